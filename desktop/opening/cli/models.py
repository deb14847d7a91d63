"""``opening models …``: list, inspect, add and download GGUF models; show the catalog."""

from __future__ import annotations

import argparse
import io
import json
import sys
from pathlib import Path
from typing import Any, TextIO

from opening.base.checks import regular_file
from opening.base.errors import BadInput, ModelError
from opening.base.messages import Message
from opening.base.sampling import SamplingParams
from opening.base.settings import Settings
from opening.cli.command import write_stdout
from opening.cli.progress import TerminalProgress
from opening.models.catalog import load_catalog
from opening.models.gguf_file import GGUFInfo, format_params, inspect_gguf
from opening.models.hub_download import DownloadProgress, check_request, download
from opening.models.registry import known_models, register
from opening.models.resolve import resolve_model
from opening.pipeline.run import check_fit, engine_settings


def add_parser(sub: argparse._SubParsersAction, parser_class: type[argparse.ArgumentParser]) -> None:
    models = sub.add_parser("models", help="list, inspect, add and download models")
    cmds = models.add_subparsers(dest="models_command", metavar="ACTION", parser_class=parser_class)
    cmds.required = True
    listing = cmds.add_parser("list", help="the models you have (registered, downloaded, embedded)")
    listing.add_argument("--format", choices=("text", "json"), default="text")
    inspect = cmds.add_parser("inspect", help="what a GGUF file holds, read without loading weights")
    inspect.add_argument("path")
    inspect.add_argument("--format", choices=("text", "json"), default="text")
    inspect.add_argument("-n", type=int, default=SamplingParams.n, metavar="N", help="candidates, for the fit estimate")
    inspect.add_argument("--max-tokens", type=int, default=SamplingParams.max_tokens, metavar="N")
    add = cmds.add_parser("add", help="register a GGUF file where it is (no copy)")
    add.add_argument("path")
    add.add_argument("--default", action="store_true", help="also make it the default model")
    get = cmds.add_parser("download", help="download a catalog model, or REPO_ID FILENAME, from the Hub")
    get.add_argument("what", help="a catalog name (see 'opening models catalog') or a repo id")
    get.add_argument("filename", nargs="?", help="the GGUF file in the repo (with a repo id)")
    get.add_argument("--revision", default=None, help="branch, tag or commit (default: the catalog's, or main)")
    get.add_argument("--sha256", default=None, help="expected SHA-256 (default: the catalog's, else the Hub's)")
    get.add_argument("--folder", default=None, help="where to keep it (default: the user's model folder)")
    get.add_argument("--default", action="store_true", help="also make it the default model")
    cmds.add_parser("catalog", help="recommended models and how to get OpenING's own")


def run(args: argparse.Namespace) -> int:
    command = args.models_command
    if command in ("inspect", "add"):
        if not args.path:
            raise BadInput("path.none_given", what=Message("what.model_file"))
        regular_file(Path(args.path), "what.model_file")  # a wrong path is bad input (exit 2); a bad file a model error
    out = io.StringIO()  # written in one piece at the end: a closed pipe or full disk is handled once
    if command == "list":
        code = _list(args.format, out)
    elif command == "inspect":
        code = _inspect(Path(args.path), args.format, SamplingParams(n=args.n, max_tokens=args.max_tokens), out)
    elif command == "add":
        code = _add(Path(args.path), args.default, out)
    elif command == "download":
        code = _download(args, out)
    else:
        code = _catalog(out)
    write_stdout(out.getvalue())
    return code


def describe(info: GGUFInfo) -> dict[str, Any]:
    return {**info.summary(), "name": info.name}


def _text_lines(summary: dict[str, Any]) -> list[str]:
    count = format_params(summary["parameters"], digits=2)
    return [
        f"name:          {summary['name']}",
        f"architecture:  {summary['architecture']}",
        f"parameters:    {count}",
        f"quantization:  {summary['quantization']}",
        f"context:       {summary['context_length']}",
        f"chat template: {'yes' if summary['chat_template'] else 'no'}",
        f"file size:     {summary['file_size'] / 1e6:.1f} MB",
    ]


def _inspect(path: Path, fmt: str, params: SamplingParams, out: TextIO) -> int:
    params.validate()
    info = inspect_gguf(path)  # refuses broken files with the reason
    fit = check_fit(info, params, engine_settings(Settings.load()))
    summary = describe(info)
    if fmt == "json":
        summary["fit"] = {
            "needs_bytes": fit.total,
            "available_bytes": fit.available,
            "fits": fit.fits,
            "weights": fit.weights,
            "kv_cache": fit.kv_cache,
            "buffers": fit.compute,
            "app": fit.process,
            "for": {"n": params.n, "max_tokens": params.max_tokens},
        }
        json.dump(summary, out, ensure_ascii=False, indent=2)
        out.write("\n")
        return 0
    out.write("\n".join([f"path:          {path}", *_text_lines(summary)]) + "\n")
    out.write(f"memory:        {fit.summary()} (for {params.n} candidates × {params.max_tokens} tokens)\n")
    if fit.warning():
        print(f"opening: warning: {fit.warning()}", file=sys.stderr)
    return 0


def _list(fmt: str, out: TextIO) -> int:
    try:
        current = str(resolve_model(None, Settings.load()).path.resolve())
    except ModelError:
        current = None
    rows = []
    for model in known_models():
        row: dict[str, Any] = {
            "path": model.path,
            "source": model.source,
            "repo_id": model.repo_id,
            "default": model.path == current,
        }
        try:
            row.update(describe(inspect_gguf(Path(model.path))))
        except ModelError as exc:
            row["error"] = str(exc)
        rows.append(row)
    if fmt == "json":
        json.dump(rows, out, ensure_ascii=False, indent=2)
        out.write("\n")
        return 0
    if not rows:
        out.write("no models yet: 'opening models download qwen2.5-1.5b-instruct' or 'opening models add FILE.gguf'\n")
    for row in rows:
        mark = "*" if row["default"] else " "
        if "error" in row:
            out.write(f"{mark} {row['path']}  [{row['source']}] unusable: {row['error']}\n")
            continue
        out.write(
            f"{mark} {row['name']}  {row['architecture']} {row['quantization']}"
            f" {row['file_size'] / 1e6:.0f} MB  [{row['source']}]  {row['path']}\n"
        )
    return 0


def _add(path: Path, make_default: bool, out: TextIO) -> int:
    info = inspect_gguf(path)
    entry = register(path, "added")
    if make_default:
        _set_default(Path(entry.path))
    print(f"opening: added {info.name} ({entry.path})", file=sys.stderr)
    out.write(entry.path + "\n")
    return 0


def _set_default(path: Path) -> None:
    settings = Settings.load()
    settings.default_model = str(path)
    settings.save()  # raises OpeningError with the reason
    print(f"opening: {path.name} is now the default model", file=sys.stderr)


def _download(args: argparse.Namespace, out: TextIO) -> int:
    if args.filename is not None:
        repo_id, filename, revision, sha256 = args.what, args.filename, args.revision or "main", args.sha256
    else:
        entry = load_catalog().find(args.what)
        repo_id, filename = entry.repo_id, entry.filename
        revision, sha256 = args.revision or entry.revision, args.sha256 or entry.sha256
    if args.folder == "":
        raise BadInput("cli.folder_empty")
    folder = Path(args.folder).expanduser() if args.folder else None
    check_request(repo_id, filename, sha256, folder)  # before anything is said or moved
    print(f"opening: downloading {repo_id}/{filename} ({revision})", file=sys.stderr)
    bar = TerminalProgress(unit="B", scale=True, every=5.0)
    try:
        got = download(
            repo_id,
            filename,
            revision=revision,
            sha256=sha256,
            folder=folder,
            progress=lambda p: bar.update(p.done, p.total, _download_label(p)),
        )
    finally:
        bar.close()
    inspect_gguf(got.path)  # a download that is not a usable GGUF is reported now, not at load time
    register(got.path, "downloaded", repo_id)
    checked = {"catalog": "the catalog's SHA-256", "hub": "the Hub's SHA-256", "nothing": "nothing (no SHA-256 known)"}
    print(f"opening: saved {got.path}; sha256 {got.sha256} checked against {checked[got.checked_against]}", file=sys.stderr)
    if args.default:
        _set_default(got.path)
    out.write(f"{got.path}\n")
    return 0


def _download_label(p: DownloadProgress) -> str:
    return f"downloading (resumed at {p.resumed_from / 1e6:.1f} MB)" if p.resumed_from else "downloading"


def _catalog(out: TextIO) -> int:
    catalog = load_catalog()
    for e in catalog.models:
        size = f"{'~' if e.size_approx else ''}{e.size / 1e9:.2f} GB"
        out.write(
            f"{e.name}\n  {e.title}; {size}; {e.licence}; {', '.join(e.languages)}; template {e.family};"
            f" about {e.ram_hint_gb} GB RAM\n  {e.repo_id} / {e.filename}\n  {e.notes}\n  verified: {e.verified}\n"
        )
    for r in catalog.recipes:
        out.write(f"{r.name}\n  {r.title}\n  {r.how}\n")
    return 0
