"""Load a model file the app has not loaded before in a child process first, so that an abort inside
llama.cpp (a ``GGML_ASSERT`` on a header value our checks let through, a segfault in a kernel) becomes
a message instead of ending the app or the command.

The child (``python -m opening.llama.probe FILE``) loads the file memory-mapped without repacking (fast,
light), makes a small context and decodes one token: the steps where llama.cpp asserts on a bad file.
The verdict — usable, or the reason — is remembered by (path, size, mtime) in the user's cache folder,
so a file is probed once; a file that changes is probed again.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from opening.base import paths
from opening.base.atomic import atomic_write_text
from opening.base.errors import Cancelled, ModelError, OpeningError
from opening.base.messages import Message
from opening.base.progress import CancelFn
from opening.models.gguf_file import inspect_gguf

log = logging.getLogger(__name__)
PROBE_TIMEOUT_S = 900.0
"""A 7B file on a slow disk is read once by the probe's decode; far beyond that is a hang."""
_OK = "ok"
_EXIT_REFUSED = 3


def _verdicts_file() -> Path:
    return paths.cache_dir() / "model_checks.json"


def _key(path: Path) -> str:
    """The file as it is now, checked by the llama.cpp installed now (another build, e.g. the bundle's
    portable one, checks again)."""
    st = path.stat()
    return f"{path.resolve()}|{st.st_size}|{st.st_mtime_ns}|{_build_id()}"


def _build_id() -> str:
    import llama_cpp

    package = Path(llama_cpp.__file__).parent
    try:
        stamp = (package / "llama_cpp.py").stat().st_mtime_ns
    except OSError:  # a frozen bundle keeps the module in its archive
        stamp = 0
    return f"{getattr(llama_cpp, '__version__', '?')}@{package}:{stamp}"


def _load_verdicts() -> dict[str, str]:
    try:
        raw = json.loads(_verdicts_file().read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return {}
    return {k: v for k, v in raw.items() if isinstance(k, str) and isinstance(v, str)} if isinstance(raw, dict) else {}


def _remember(key: str, verdict: str) -> None:
    verdicts = _load_verdicts()
    verdicts[key] = verdict
    try:
        _verdicts_file().parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(_verdicts_file(), json.dumps(verdicts, ensure_ascii=False, indent=1))
    except OSError as exc:  # a read-only user folder only means probing again next time
        log.warning("could not remember the model check in %s: %s", _verdicts_file(), exc)


def probe_command(path: Path) -> list[str]:
    """The child's command line (a frozen bundle's launcher answers ``--probe-model FILE`` itself)."""
    if getattr(sys, "frozen", False):
        return [sys.executable, "--probe-model", str(path)]
    return [sys.executable, "-m", "opening.llama.probe", str(path)]


def vet_model(path: Path, *, cancel: CancelFn | None = None, timeout: float = PROBE_TIMEOUT_S) -> None:
    """Raise :class:`ModelError` with the reason if ``path`` cannot be used; return if it can."""
    inspect_gguf(path)  # header, tensor table and hyper-parameter checks, before any llama.cpp
    key = _key(path)
    verdict = _load_verdicts().get(key)
    if verdict is None:
        verdict = _run_child(path, cancel, timeout)
        _remember(key, verdict)
    if verdict != _OK:
        raise ModelError(_message(verdict))


def _message(verdict: str) -> Message:
    """A verdict is kept as its message's JSON (a verdict from an older version is plain text)."""
    try:
        return Message.from_json(json.loads(verdict))
    except ValueError:
        return Message.verbatim(verdict)


def _run_child(path: Path, cancel: CancelFn | None, timeout: float) -> str:
    log.info("checking %s in a child process before loading it", path)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    child = subprocess.Popen(
        probe_command(path), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env
    )
    deadline = time.monotonic() + timeout
    try:
        while child.poll() is None:
            if cancel is not None and cancel():
                raise Cancelled("model.load_cancelled")
            if time.monotonic() > deadline:
                raise ModelError("model.probe_timeout", name=path.name, seconds=timeout)
            time.sleep(0.02)
    except BaseException:
        child.kill()
        child.wait()
        raise
    said = (child.stdout.read() if child.stdout else b"").decode("utf-8", "replace").strip()
    if child.returncode == 0:
        return _OK
    if child.returncode == _EXIT_REFUSED and said:
        return said.splitlines()[-1]
    how = _signal_name(child.returncode)
    if how == "SIGILL":
        return json.dumps(Message("model.probe_sigill", {"name": path.name}).to_json(), ensure_ascii=False)
    return json.dumps(Message("model.probe_crashed", {"name": path.name, "how": how}).to_json(), ensure_ascii=False)


def _signal_name(returncode: int) -> str:
    if returncode < 0:
        try:
            return signal.Signals(-returncode).name
        except ValueError:
            return f"signal {-returncode}"
    return f"exit code {returncode}"


def child_main(path: str) -> int:
    """Load ``path`` and decode one token (the child's whole job); 0: it works."""
    from opening.llama.context import LlamaContext
    from opening.llama.model import LlamaModel

    try:
        with LlamaModel(path, use_mmap=True, repack=False) as model:
            ctx = LlamaContext(model, 64, 1, 1)
            try:
                token = model.bos if model.bos >= 0 else 0
                ctx.put(0, token, 0, 0, True)
                if ctx.decode(1) != 0:
                    raise ModelError("model.probe_decode", name=Path(path).name)
            finally:
                ctx.close()
    except OpeningError as exc:
        print(json.dumps(exc.message.to_json(), ensure_ascii=False), flush=True)
        return _EXIT_REFUSED
    return 0


if __name__ == "__main__":
    sys.exit(child_main(sys.argv[1]))
