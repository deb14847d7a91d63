"""The window's command-line options, one definition for ``opening-desktop`` and ``opening gui``
(plain argparse: importing this loads no Qt)."""

from __future__ import annotations

import argparse


def add_gui_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--language", choices=("en", "zh"), help="interface language (default: the system's)")
    parser.add_argument("--model", metavar="PATH", help="open this GGUF instead of the usual one")
    parser.add_argument("--seed", type=int, metavar="N", help="fixed seed: the same text and parameters give the same run")
    parser.add_argument("--review", metavar="DATASET.jsonl", help="open the Review tab on this dataset")


def gui_argv(args: argparse.Namespace) -> list[str]:
    """The options of ``opening gui`` as ``opening-desktop`` arguments."""
    argv = ["-v"] * getattr(args, "verbose", 0)
    for name in ("language", "model", "seed", "review"):
        value = getattr(args, name, None)
        if value is not None:
            argv += [f"--{name}", str(value)]
    return argv
