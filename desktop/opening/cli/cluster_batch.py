"""``opening batch INPUT... --out DIR --ray [ADDRESS]`` and ``opening batch --merge DIR``: the terminal side
of batch mode on a Ray cluster (:mod:`opening.cluster.ray_batch`, imported only when ``--ray`` is given,
so the command works without the ``cluster`` extra until then)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from opening.base.errors import BadInput
from opening.base.progress import human_duration
from opening.cli.progress import TerminalProgress
from opening.data.shard_folder import merge_shards
from opening.models.model_source import HUB_PREFIX, ModelSource
from opening.pipeline.batch import BatchSpec

PROG = "opening"
LOCAL = "local"


def add_options(b: argparse.ArgumentParser) -> None:
    b.add_argument(
        "--ray",
        nargs="?",
        const=LOCAL,
        default=None,
        metavar="ADDRESS",
        help="run on a Ray cluster (needs the 'cluster' extra): ADDRESS is HOST:PORT, 'auto' (RAY_ADDRESS), or"
        " nothing for a Ray instance on this machine; --out is then a folder of JSONL shards",
    )
    b.add_argument("--actors", type=int, default=2, metavar="K", help="with --ray: actors, each with one loaded model")
    b.add_argument("--batch-size", type=int, default=4, metavar="B", help="with --ray: passages per actor call")
    b.add_argument("--model-sha256", default=None, metavar="HEX", help="with --model hf://...: the file's SHA-256")
    b.add_argument("--merge", default=None, metavar="DIR", help="write the shards of DIR as one dataset (--out FILE)")


def merge(args: argparse.Namespace) -> int:
    if args.inputs:
        raise BadInput("cluster.merge_no_inputs", first=args.inputs[0])
    merged = merge_shards(args.merge, args.out)
    kept = f"; {merged.kept} records of the earlier merge kept as they were" if merged.kept else ""
    print(f"{PROG}: {merged.records} records from {merged.shards} shards written to {merged.path}{kept}", file=sys.stderr)
    return 0


def model_source(args: argparse.Namespace) -> ModelSource | None:
    """``--model hf://OWNER/REPO/FILE.gguf`` (with ``--ray``): the Hub file, fetched on this machine too (the
    driver reads the corpus in the model's tokens); ``args.model`` becomes the local path. None otherwise."""
    if not (args.ray and args.model and args.model.startswith(HUB_PREFIX)):
        return None
    source = ModelSource.parse(args.model, sha256=args.model_sha256)
    args.model = str(source.fetch())
    return source


def run(args: argparse.Namespace, spec: BatchSpec, source: ModelSource, scorer: Path | None = None) -> int:
    """Batch mode on Ray; ``scorer``: the model that scores on every node (a path each node can read)."""
    if not 1 <= args.actors <= 4096:
        raise BadInput("cluster.actors", got=args.actors)
    if not 1 <= args.batch_size <= 1024:
        raise BadInput("cluster.batch_size", got=args.batch_size)
    try:
        from opening.cluster.ray_batch import ClusterRun, ClusterStats, run_on_ray
    except ImportError as exc:
        raise BadInput("cluster.no_ray", detail=str(exc)) from None
    progress = TerminalProgress(unit=" passages")

    def planned(stats: ClusterStats) -> None:
        print(f"{PROG}: {stats.total} passages to schedule ({stats.already} already in {spec.out})", file=sys.stderr)

    def on_record(_record: dict[str, Any], stats: ClusterStats) -> None:
        eta = stats.eta_seconds()
        nodes = ", ".join(f"{node} {n}" for node, n in sorted(stats.per_node.items()))
        desc = f"by node: {nodes}" + (f"; about {human_duration(eta)} left" if eta else "")
        progress.count(stats.done, stats.total, desc, label=PROG)

    address = None if args.ray == LOCAL else args.ray
    threads = args.threads or 1
    scorer_source = ModelSource(path=str(scorer)) if scorer is not None else None
    cluster = ClusterRun(spec, source, address, args.actors, threads, args.batch_size, planned, on_record, scorer=scorer_source)
    try:
        stats = run_on_ray(cluster)
    finally:
        progress.close()
    statuses = ", ".join(f"{k}: {v}" for k, v in sorted(stats.by_status.items())) or "none"
    nodes = "; ".join(f"{node}: {n} passages" for node, n in sorted(stats.per_node.items())) or "none"
    print(
        f"{PROG}: {stats.done} passages run ({statuses}) in {human_duration(stats.seconds)}; by node: {nodes};"
        f" {stats.duplicates} redone records dropped. Shards in {spec.out}; 'opening batch --merge {spec.out}' makes one file.",
        file=sys.stderr,
    )
    return 0
