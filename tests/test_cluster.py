"""Batch mode on a real Ray cluster (issue 16): two nodes on 127.0.0.1 (``ray.cluster_utils.Cluster``), the
real small model, the driver as the user runs it (``opening batch ... --ray ADDRESS``). One actor's worker
is SIGKILLed mid-run; the driver itself is SIGKILLed and run again. The output must hold every passage's
key exactly once, with the same records as local batch mode gives with the same seed."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ray = pytest.importorskip("ray", reason="the cluster extra: pip install -e '.[cluster]' (CI installs it)")
psutil = pytest.importorskip("psutil")

from opening.data.shard_folder import shard_files, shard_records  # noqa: E402

N_PASSAGES = 16
FLAGS = ("-n", "2", "--max-tokens", "24", "--seed", "7", "--parallel", "1", "--threads", "1", "--save-anyway")
MODEL: list[str] = []
"""The scripted model (conftest), set by ``local_run``: the cluster's mechanics, not a model's words, are
under test, and its candidates are the same on every CPU and cost next to nothing to sample."""
RUN_TIMEOUT_S = 900


@pytest.fixture(scope="module")
def cluster():
    from ray.cluster_utils import Cluster

    two = Cluster(initialize_head=True, connect=False, head_node_args={"num_cpus": 1, "include_dashboard": False})
    two.add_node(num_cpus=1)
    two.wait_for_nodes()
    yield two
    two.shutdown()


def corpus(folder: Path) -> Path:
    folder.mkdir()
    colours = ["red", "green", "blue", "old", "small", "fast"]
    texts = [f"Passage {i}: the {colours[i % 6]} boat number {i} sails home before the evening storm." for i in range(N_PASSAGES)]
    path = folder / "texts.jsonl"
    path.write_text("".join(json.dumps({"text": t}) + "\n" for t in texts), encoding="utf-8")
    return path


def driver(inputs: Path, out: Path, address: str) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "opening", "batch", str(inputs), "--out", str(out), *FLAGS, "--model", MODEL[0]]
    cmd += ["--ray", address, "--actors", "2", "--batch-size", "2"]
    return subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=dict(os.environ))


def written(folder: Path) -> list[dict]:
    if not folder.exists():
        return []
    out = []
    for shard in shard_files(folder):
        out += [json.loads(line) for line in shard.read_text(encoding="utf-8").splitlines() if line.strip()]
    return out


def wait_for_records(folder: Path, n: int, proc: subprocess.Popen) -> None:
    deadline = time.monotonic() + RUN_TIMEOUT_S
    while len(written(folder)) < n:
        assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
        assert time.monotonic() < deadline, "no records came"
        time.sleep(0.2)


def actor_processes() -> list[psutil.Process]:
    found = []
    for proc in psutil.process_iter(["cmdline"]):
        line = " ".join(proc.info["cmdline"] or [])
        if "PassageActor" in line and "ray::" in line:
            found.append(proc)
    return found


def same_results(cluster_records: list[dict], local_records: list[dict]) -> None:
    local = {r["key"]: r for r in local_records}
    assert set(local) == {r["key"] for r in cluster_records}
    for r in cluster_records:
        mine, ref = r, local[r["key"]]
        assert mine["status"] == ref["status"] and mine["pair"] == ref["pair"], r["key"]
        assert [c["instruction"] for c in mine["candidates"]] == [c["instruction"] for c in ref["candidates"]]
        assert [c["nll"] for c in mine["candidates"]] == pytest.approx([c["nll"] for c in ref["candidates"]], abs=1e-3)


@pytest.fixture(scope="module")
def local_run(tmp_path_factory, scripted_path: Path) -> tuple[Path, list[dict]]:
    """The same passages by local batch mode (one thread, one passage in flight, the same seed)."""
    MODEL[:] = [str(scripted_path)]
    folder = tmp_path_factory.mktemp("local")
    inputs = corpus(folder / "corpus")
    out = folder / "local.jsonl"
    done = subprocess.run([sys.executable, "-m", "opening", "batch", str(inputs), "--out", str(out), *FLAGS,
                           "--model", MODEL[0]], capture_output=True, timeout=RUN_TIMEOUT_S)
    assert done.returncode == 0, done.stderr.decode()
    return inputs, [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]


def test_an_actor_killed_mid_run_is_replaced_and_no_passage_is_lost_or_doubled(cluster, local_run, tmp_path: Path) -> None:
    inputs, local = local_run
    out = tmp_path / "shards"
    proc = driver(inputs, out, cluster.address)
    wait_for_records(out, 4, proc)
    actors = actor_processes()
    assert len(actors) == 2, [a.cmdline() for a in actors]
    victim = actors[0].pid
    os.kill(victim, signal.SIGKILL)
    _, err = proc.communicate(timeout=RUN_TIMEOUT_S)
    log = err.decode()
    assert proc.returncode == 0, log
    assert not psutil.pid_exists(victim) or psutil.Process(victim).status() == psutil.STATUS_ZOMBIE
    records = written(out)
    keys = [r["key"] for r in records]
    assert len(keys) == N_PASSAGES and len(set(keys)) == N_PASSAGES  # every passage, once
    same_results(records, local)
    nodes = re.search(r"by node: (.+?); \d+ redone records dropped", log)
    assert nodes and nodes.group(1).count("passages") == 2, log  # both nodes did work
    print(log.splitlines()[-1])


def test_a_killed_driver_runs_again_and_schedules_only_what_is_missing(cluster, local_run, tmp_path: Path) -> None:
    inputs, local = local_run
    out = tmp_path / "shards"
    first = driver(inputs, out, cluster.address)
    wait_for_records(out, 6, first)
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=60)
    before = {r["key"] for r in written(out)}
    assert 6 <= len(before) < N_PASSAGES
    second = driver(inputs, out, cluster.address)
    _, err = second.communicate(timeout=RUN_TIMEOUT_S)
    log = err.decode()
    assert second.returncode == 0, log
    scheduled = re.search(r"(\d+) passages to schedule \((\d+) already in ", log)
    assert scheduled, log
    assert int(scheduled.group(2)) == len(before) and int(scheduled.group(1)) == N_PASSAGES - len(before)
    records = written(out)
    assert len(records) == N_PASSAGES and len({r["key"] for r in records}) == N_PASSAGES
    assert len(shard_files(out)) == 2  # one shard per run of the job
    same_results(list(shard_records(out)), local)


def test_a_node_without_the_model_says_so_in_one_line(cluster, local_run, tmp_path: Path, scripted_path: Path) -> None:
    inputs, _ = local_run
    model = tmp_path / "model.gguf"
    model.write_bytes(scripted_path.read_bytes())
    cmd = [sys.executable, "-m", "opening", "batch", str(inputs), "--out", str(tmp_path / "o"), *FLAGS,
           "--model", str(model), "--ray", cluster.address, "--actors", "2"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    said = []
    assert proc.stderr is not None
    for raw in proc.stderr:  # the driver has read the corpus in the model's tokens: now take the model away
        said.append(raw.decode())
        if "to schedule" in said[-1]:
            model.unlink()
            break
    rest = proc.stderr.read().decode()
    proc.wait(timeout=RUN_TIMEOUT_S)
    err = "".join(said) + rest
    lines = [x for x in err.splitlines() if x.startswith("opening: ")]
    assert proc.returncode == 1, err
    assert any(re.search(r"the node .+ cannot get the model: model file not found: .*model\.gguf", x) for x in lines), err
    assert "Traceback" not in err and "RayTaskError" not in err, err
