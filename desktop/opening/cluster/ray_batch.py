"""``opening batch INPUT... --out DIR --ray [ADDRESS]``: the local batch pipeline, run by Ray Data actors.

The driver reads the corpus and splits it into passages exactly as local batch mode does
(:func:`opening.pipeline.batch.prepare`, in the model's own tokens), drops the passages whose keys are
already in the output folder's shards, and hands the rest to ``Dataset.map_batches`` with
:class:`PassageActor`: each actor fetches the model on its node (:class:`ModelSource`), loads it once and
runs a batch of passages through :func:`opening.pipeline.batch.run_passages` — generate, filter, score,
choose, the candidates of the batch in one context. The driver writes each record into this run's shard
(:mod:`opening.data.shard_folder`) as it arrives, once per key.

Faults: an actor that dies is restarted by Ray Data (its default ``max_restarts=-1``) and its batch is run
again (``max_task_retries=-1``); a record that arrives twice is dropped by key. A stopped driver loses nothing
written: the same command schedules only the missing passages. A failure the app explains (no model on
a node, bad input) reaches the user as that one line, not as Ray's stack of wrappers.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from opening.base.choice import Choice
from opening.base.errors import ModelError, OpeningError
from opening.base.messages import Message
from opening.base.sampling import SamplingParams
from opening.data.corpus import Passage
from opening.data.shard_folder import earlier_shard_config, open_shards
from opening.llama.engine import EngineSettings
from opening.models.file_hash import cached_sha256
from opening.models.model_source import ModelSource
from opening.pipeline.batch import BatchSpec, Prepared, batch_config, prepare, resolve_seed, run_passages
from opening.pipeline.batch_plan import job_cells
from opening.pipeline.run import open_engine, open_engine_and_scorer
from opening.pipeline.templates import model_family

log = logging.getLogger(__name__)
MAX_RESTARTS = 3
"""Actors that die while starting (no model on a node…) before the job fails with the reason."""


@dataclass(frozen=True)
class ActorSpec:
    """What every actor needs, sent to it once (plain values: it crosses process and machine borders)."""

    source: ModelSource
    threads: int
    params: dict[str, Any]
    family: str
    choice: dict[str, Any]
    early_stop: bool
    parallel: int
    config: dict[str, Any]
    scorer: ModelSource | None = None
    """The model that scores the candidates (``--scorer``), fetched on each node as the model is."""


class PassageActor:
    """One loaded engine per actor; each call runs a batch of passages and returns their records."""

    SPEC: ActorSpec
    """Set on the class the driver makes for a run (see ``_rows``)."""

    def __init__(self) -> None:
        import ray

        self.spec = spec = self.SPEC
        self.node = f"{socket.gethostname()}/{ray.get_runtime_context().get_node_id()[:8]}"
        self.failure: Message | None = None
        """Why this actor cannot run (no model on its node…): said for every batch, so the driver stops with
        that one line (an exception here would reach it only as the text of Ray's ActorDiedError)."""
        try:
            path = spec.source.fetch()
            scorer = spec.scorer.fetch() if spec.scorer is not None else None
            self.engine, _note = open_engine_and_scorer(path, EngineSettings(threads=spec.threads), scorer)
        except OpeningError as exc:
            self.failure = exc.message
            return
        self.batch = BatchSpec(
            [], "", SamplingParams(**spec.params), spec.family, Choice(**spec.choice), early_stop=spec.early_stop
        )
        log.info("actor %s on %s: %s loaded", os.getpid(), self.node, path.name)

    def __call__(self, batch: dict[str, Any]) -> dict[str, list[str]]:
        if self.failure is not None:
            failed = json.dumps({"failure": self.failure.to_json()}, ensure_ascii=False)
            return {"record": [failed], "node": [self.node]}
        passages, longest = [], 1
        for row in batch["passage"]:
            item = json.loads(str(row))
            passages.append((Passage(item["text"], item["file"], item["line"], item["item"]), item["key"]))
            longest = max(longest, item["tokens"])  # counted once, by the driver's length policy
        cells = job_cells(self.engine, self.batch.params, self.batch.family, longest)
        records: list[str] = []
        k = max(1, min(self.spec.parallel or len(passages), len(passages)))  # --parallel 0: the whole batch
        run_passages(
            self.engine,
            self.batch,
            passages,
            self.spec.config,
            lambda record, _result: records.append(json.dumps(record, ensure_ascii=False)),
            k=k,
            cells=cells,
        )
        return {"record": records, "node": [self.node] * len(records)}


@dataclass
class ClusterStats:
    total: int
    already: int
    done: int = 0
    duplicates: int = 0
    """Records that arrived again (a batch redone after an actor died) and were dropped by key."""
    per_node: dict[str, int] = field(default_factory=dict)
    by_status: dict[str, int] = field(default_factory=dict)
    started: float = field(default_factory=time.perf_counter)

    def add(self, record: dict[str, Any], node: str) -> None:
        self.done += 1
        self.per_node[node] = self.per_node.get(node, 0) + 1
        status = str(record.get("status", ""))
        self.by_status[status] = self.by_status.get(status, 0) + 1

    @property
    def seconds(self) -> float:
        return time.perf_counter() - self.started

    def eta_seconds(self) -> float | None:
        return (self.total - self.done) * self.seconds / self.done if self.done else None


@dataclass
class ClusterRun:
    spec: BatchSpec
    source: ModelSource
    address: str | None = None
    """``None``: start a local Ray instance; ``auto``: the cluster of ``RAY_ADDRESS``; else HOST:PORT."""
    actors: int = 2
    threads: int = 1
    batch_size: int = 2
    on_planned: Callable[[ClusterStats], None] | None = None
    on_record: Callable[[dict[str, Any], ClusterStats], None] | None = None
    scorer: ModelSource | None = None
    """A smaller model that scores the candidates on every node (``--scorer``)."""


def run_on_ray(run: ClusterRun) -> ClusterStats:
    """Prepare on the driver, run the passages on the cluster, write the records; see the module's docstring."""
    spec = run.spec
    path = run.source.fetch()
    engine, _note = open_engine(path, EngineSettings(threads=run.threads))  # the driver tokenizes for the length policy
    try:
        family = model_family(spec.family, engine.model.info)
        resolve_seed(spec, None if spec.restart else earlier_shard_config(spec.out))
        scorer_sha = cached_sha256(run.scorer.fetch()) if run.scorer is not None else None
        config = batch_config(cached_sha256(path), spec.params, family, spec.choice, scorer_sha)
        ledger = open_shards(spec.out, config, restart=spec.restart)
        prepared = prepare(engine, spec, ledger)
    finally:
        engine.close()
    stats = ClusterStats(len(prepared.passages), len(ledger.done))
    log.info("scheduling %d passages (%d already in the output)", stats.total, stats.already)
    if run.on_planned:
        run.on_planned(stats)
    if not prepared.passages:
        return stats
    actor = ActorSpec(
        run.source,
        run.threads,
        asdict(spec.params),
        family,
        asdict(spec.choice),
        spec.early_stop,
        spec.parallel,
        config,
        run.scorer,
    )
    for row in _rows(run, actor, prepared):
        record = json.loads(str(row["record"]))
        if "failure" in record:
            raise ModelError(Message.from_json(record["failure"]))
        if not ledger.write(record):  # a key already in the output
            stats.duplicates += 1
            continue
        stats.add(record, str(row["node"]))
        if run.on_record:
            run.on_record(record, stats)
    return stats


def _rows(run: ClusterRun, actor: ActorSpec, prepared: Prepared) -> Any:
    import ray
    import ray.data

    if not ray.is_initialized():
        os.environ.setdefault("RAY_BACKEND_LOG_LEVEL", "fatal")  # Ray's C++ notes on stderr; failures still raise
        ray.init(address=run.address, log_to_driver=False, logging_level=logging.ERROR, include_dashboard=False)
    logging.getLogger("ray.data").setLevel(logging.ERROR)  # its progress is ours to print
    context = ray.data.DataContext.get_current()
    context.enable_progress_bars = False
    # Ray Data restarts an actor that dies (max_restarts=-1) and retries its batch (max_task_retries=-1) by
    # default, spreading the actors over the nodes; an actor that cannot even start (no model on its node)
    # is tried again this many times before the job fails with its reason
    context.max_consecutive_actor_init_deaths = MAX_RESTARTS
    items = [
        {"passage": json.dumps({"key": key, "text": p.text, "file": p.file, "line": p.line, "item": p.item, "tokens": n})}
        for (p, key), n in zip(prepared.passages, prepared.tokens, strict=True)
    ]
    # the spec travels with the class (no constructor arguments in the object store: a restart needs none)
    actor_class = type("PassageActor", (PassageActor,), {"SPEC": actor})
    ds = ray.data.from_items(items).map_batches(
        actor_class,
        batch_size=run.batch_size,
        compute=ray.data.ActorPoolStrategy(size=run.actors),
        num_cpus=run.threads,
    )
    try:
        yield from ds.iter_rows()
    except Exception as exc:
        found = user_error(exc)
        if found is not None:
            raise found from None
        raise


def user_error(exc: BaseException) -> OpeningError | None:
    """The app's own error inside Ray's wrappers (a task error's cause, an actor's creation error)."""
    seen: set[int] = set()
    todo: list[BaseException | None] = [exc]
    while todo:
        err = todo.pop()
        if err is None or id(err) in seen:
            continue
        seen.add(id(err))
        if isinstance(err, OpeningError) and type(err).__module__.startswith("opening"):
            return err
        cause = getattr(err, "cause", None)
        todo += [cause if isinstance(cause, BaseException) else None, err.__cause__, err.__context__]
    return None
