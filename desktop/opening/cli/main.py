"""``opening`` command line: the parser and the dispatch. Results go to stdout; logs, progress and
errors to stderr (exit codes: ``opening.cli.command``)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from opening import __version__
from opening.base.logs import configure_logging
from opening.cli import batch, eval_choice, export, generate
from opening.cli import models as cli_models
from opening.cli.command import ArgumentParser, check_argv, run_command
from opening.gui.options import add_gui_arguments, gui_argv

PROG = "opening"


def _build_parser() -> argparse.ArgumentParser:
    parser = ArgumentParser(prog=PROG, description="Generate instruction-tuning pairs from real text, locally.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="log more to stderr (-vv: llama.cpp too)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=ArgumentParser)
    sub.required = True
    generate.add_parser(sub, ArgumentParser)
    cli_models.add_parser(sub, ArgumentParser)
    batch.add_parser(sub, ArgumentParser)
    eval_choice.add_parser(sub, ArgumentParser)
    export.add_parser(sub, ArgumentParser)
    add_gui_arguments(sub.add_parser("gui", help="open the desktop window (same as opening-desktop)"))
    review = sub.add_parser("review", help="open the window's Review tab on a dataset")
    review.add_argument("dataset", metavar="DATASET")
    add_gui_arguments(review)
    return parser


def _cmd_review(args: argparse.Namespace) -> int:
    from pathlib import Path

    from opening.base.errors import BadInput

    if not Path(args.dataset).is_file():
        raise BadInput("path.not_a_file", path=args.dataset)
    args.review = args.dataset
    return _cmd_gui(args)


def _cmd_gui(args: argparse.Namespace) -> int:
    from opening.gui.app import main as gui_main  # Qt is imported only here

    return gui_main(gui_argv(args))


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)

    def run() -> int:
        check_argv(argv)
        parser = _build_parser()
        args = parser.parse_args(argv)
        configure_logging(args.verbose, PROG)
        commands = {
            "generate": generate.run,
            "gui": _cmd_gui,
            "review": _cmd_review,
            "models": cli_models.run,
            "eval-choice": eval_choice.run,
            "batch": batch.run,
            "export": export.run,
        }
        return commands[args.command](args)

    return run_command(PROG, run)


if __name__ == "__main__":
    sys.exit(main())
