"""Fetch a GGUF file from the Hugging Face Hub (or ``HF_ENDPOINT``) with progress, resume and a SHA-256 check.

huggingface_hub asks the Hub for the file's size and SHA-256 (auth, redirects, error codes) and moves
the bytes (``http_get``, which retries a dropped connection with a Range request). It no longer keeps a
partial file between calls (2.x deletes it), so this module keeps its own: ``.FILE.part`` beside the
target, with the version's ETag, continued with a Range request next time — after a cancel, a dropped
line or a killed process. Around that it adds what a desktop user needs:

* the target folder is the user's model folder (``models/OWNER/REPO/FILE``) or one they choose;
* progress as bytes, speed and time left, through a callback that may cancel (raise ``Cancelled``);
* a free-space check before the transfer;
* the SHA-256 of the finished file against the catalog's value, or else the one the Hub reports
  (the ETag of an LFS file is its SHA-256); a mismatch deletes the file and says so;
* ``HF_HUB_OFFLINE=1`` and ``HF_ENDPOINT`` read at call time, with one clear message per failure;
* a lock, so two windows or commands never write the same partial file.

A token for gated repos is read by huggingface_hub from its usual places (``HF_TOKEN``, ``hf auth login``).
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from opening.base import paths
from opening.base.checks import inside
from opening.base.errors import BadInput, Cancelled, ModelError, OpeningError, describe_os_error
from opening.base.messages import Message
from opening.base.progress import CancelFn
from opening.models.file_hash import cached_sha256, remember_sha256, sha256_file

log = logging.getLogger(__name__)
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_SPARE_BYTES = 64 * 1024 * 1024
"""Keep this much free after the download."""
CHUNK_BYTES = 1024 * 1024
"""huggingface_hub reads the body in 10 MB pieces, so progress, cancel and what a cut connection keeps
move in 10 MB steps (10 s each on a slow line); we make the step 1 MB."""


@dataclass(frozen=True)
class DownloadProgress:
    done: int
    total: int | None
    resumed_from: int
    bytes_per_s: float
    seconds_left: float | None

    @property
    def fraction(self) -> float | None:
        return self.done / self.total if self.total else None


BytesFn = Callable[[DownloadProgress], None]
"""Told about the bytes moved (with speed and time left) as a download goes."""


@dataclass(frozen=True)
class Downloaded:
    path: Path
    sha256: str
    checked_against: str
    """``catalog``, ``hub`` (the Hub's ETag) or ``nothing`` (the Hub gave no SHA-256)."""


def offline() -> bool:
    return os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in ("1", "on", "yes", "true")


def endpoint() -> str:
    return os.environ.get("HF_ENDPOINT", "").rstrip("/") or "https://huggingface.co"


_REPO_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,95}/[A-Za-z0-9][A-Za-z0-9._-]{0,95}$")


def target_folder(repo_id: str, folder: Path | None = None) -> Path:
    """``models/OWNER/REPO`` in the user's model folder (or ``folder``); the repo id is checked for form."""
    if not _REPO_ID.match(repo_id) or ".." in repo_id:
        raise BadInput("download.bad_repo_id", repo=repr(repo_id))
    return (folder or paths.models_dir()) / repo_id


def check_request(repo_id: str, filename: str, sha256: str | None, folder: Path | None = None, repo_type: str = "model") -> Path:
    """Check a download's words before anything moves; return the file it will write. The target stays
    inside ``models/OWNER/REPO`` (or ``folder``): no absolute names, no ``..``; only ``.gguf`` files from a
    model repo, only JSON Lines or JSON files from a dataset repo (the trainer's sources)."""
    check_sha256(sha256)
    if folder is not None and folder.exists() and not folder.is_dir():
        raise BadInput("path.not_a_folder", path=folder)
    final = inside(target_folder(repo_id, folder), filename, "what.file_name")
    if repo_type == "dataset":
        if not filename.lower().endswith((".jsonl", ".json")):
            raise BadInput("download.not_dataset_file", name=repr(filename))
    elif not filename.lower().endswith(".gguf"):
        raise BadInput("download.not_gguf", name=repr(filename))
    if final.exists() and not final.is_file():
        raise BadInput("download.target_not_file", path=final)
    return final


def check_sha256(value: str | None) -> str | None:
    if value is None:
        return None
    if not _SHA256.match(value.strip().lower()):
        raise BadInput("download.bad_sha256", got=repr(value[:80]))
    return value.strip().lower()


class _Meter:
    """Turns byte counts into speed and time left; checks for cancel on every update."""

    def __init__(self, report: BytesFn | None, cancel: CancelFn | None) -> None:
        self.report, self.cancel = report, cancel
        self.started = time.monotonic()
        self.resumed_from = 0
        self.done = 0
        self.total: int | None = None
        self._last_report = 0.0

    def start(self, initial: int, total: int | None) -> None:
        self.started = time.monotonic()
        self.resumed_from = self.done = initial
        self.total = total
        self._emit(force=True)

    def add(self, n: int) -> None:
        self.done += n
        if self.cancel is not None and self.cancel():
            raise Cancelled("download.cancelled")
        self._emit(force=self.total is not None and self.done >= self.total)

    def _emit(self, *, force: bool) -> None:
        now = time.monotonic()
        if self.report is None or (not force and now - self._last_report < 0.1):
            return
        self._last_report = now
        elapsed = max(now - self.started, 1e-6)
        speed = (self.done - self.resumed_from) / elapsed
        left = (self.total - self.done) / speed if self.total and speed > 0 else None
        self.report(DownloadProgress(self.done, self.total, self.resumed_from, speed, left))


def _progress_class(meter: _Meter) -> type:
    """A tqdm class for huggingface_hub that feeds ``meter`` and draws nothing."""
    from huggingface_hub.utils import tqdm as hf_tqdm

    class _Bar(hf_tqdm):
        def __init__(self, *args: object, **kwargs: object) -> None:
            kwargs["disable"] = True
            super().__init__(*args, **kwargs)
            initial, total = kwargs.get("initial"), kwargs.get("total")
            meter.start(initial if isinstance(initial, int) else 0, total if isinstance(total, int) else None)

        def update(self, n: float | None = 1) -> bool | None:
            meter.add(int(n or 0))
            return None

    return _Bar


def download(
    repo_id: str,
    filename: str,
    *,
    revision: str = "main",
    sha256: str | None = None,
    folder: Path | None = None,
    progress: BytesFn | None = None,
    cancel: CancelFn | None = None,
    hub_endpoint: str | None = None,
    repo_type: str = "model",
) -> Downloaded:
    """Download (or resume, or find already complete) ``filename`` of ``repo_id``; verify it.
    ``hub_endpoint``: a mirror (e.g. ``https://hf-mirror.com``) instead of ``HF_ENDPOINT`` / the Hub;
    ``repo_type``: ``dataset`` for a dataset repo's file (the trainer's sources)."""
    from filelock import FileLock, Timeout
    from huggingface_hub import constants as hf_constants
    from huggingface_hub import errors as hf_errors
    from huggingface_hub import get_hf_file_metadata, hf_hub_url
    from huggingface_hub.file_download import http_get
    from huggingface_hub.utils import build_hf_headers

    hf_constants.DOWNLOAD_CHUNK_SIZE = min(hf_constants.DOWNLOAD_CHUNK_SIZE, CHUNK_BYTES)
    final = check_request(repo_id, filename, sha256, folder, repo_type)
    sha256 = check_sha256(sha256)
    dest = final.parent
    where = f"{repo_id}/{filename}"
    if offline():
        if final.is_file():
            return _verify(final, sha256, None)
        raise ModelError("download.offline", where=where, folder=dest)
    hub = (hub_endpoint or "").strip().rstrip("/") or endpoint()
    meter = _Meter(progress, cancel)
    part = final.with_name(f".{final.name}.part")
    try:
        url = hf_hub_url(repo_id, filename, repo_type=repo_type, revision=revision, endpoint=hub)
        meta = get_hf_file_metadata(url)
        etag = (meta.etag or "").strip('"').lower()
        hub_sha = etag if _SHA256.match(etag) else None
        if final.is_file() and final.stat().st_size == meta.size:
            return _verify(final, sha256, hub_sha)
        _check_space(dest, meta.size, part)
        dest.mkdir(parents=True, exist_ok=True)
        with FileLock(str(part) + ".lock", timeout=0.5):
            _forget_other_version(part, meta.etag or "")
            headers = build_hf_headers()
            if urlsplit(meta.location).netloc != urlsplit(url).netloc:
                headers.pop("authorization", None)  # never send the token to a CDN
            with part.open("ab") as fh:
                resume = fh.tell()
                if meta.size is not None and resume > meta.size:
                    fh.truncate(0)
                    resume = 0
                http_get(
                    meta.location,
                    fh,
                    resume_size=resume,
                    headers=headers,
                    expected_size=meta.size,
                    displayed_filename=filename,
                    tqdm_class=_progress_class(meter),
                )
                fh.flush()
                os.fsync(fh.fileno())
    except OpeningError:  # ours (cancelled, no space, corrupt): already the user's message
        raise
    except Timeout:
        raise ModelError("download.busy", where=where) from None
    except hf_errors.GatedRepoError:
        raise ModelError("download.gated", repo=repo_id) from None
    except hf_errors.RepositoryNotFoundError:
        raise ModelError("download.no_repo", repo=repo_id, hub=hub) from None
    except hf_errors.RevisionNotFoundError:
        raise ModelError("download.no_revision", repo=repo_id, revision=repr(revision)) from None
    except hf_errors.EntryNotFoundError:
        raise ModelError("download.no_file", repo=repo_id, name=repr(filename), revision=revision) from None
    except hf_errors.HfHubHTTPError as exc:
        raise ModelError("download.refused", where=where, detail=_short(exc)) from None
    except Exception as exc:  # a full disk, httpx's transport errors and the like
        if any(k.__name__ in _NO_CONNECTION for k in type(exc).__mro__):
            raise ModelError("download.cannot_connect", where=where, hub=hub) from None
        if isinstance(exc, OSError):
            raise ModelError("download.failed", where=where, detail=describe_os_error(exc)) from None
        raise ModelError("download.failed_from", where=where, hub=hub, kind=type(exc).__name__, detail=_short(exc)) from None
    checked = _verify(part, sha256, hub_sha, shown_name=filename)
    os.replace(part, final)
    _forget_other_version(part, None)
    Path(str(part) + ".lock").unlink(missing_ok=True)  # filelock leaves its file behind; the download is done
    remember_sha256(final, checked.sha256)  # the first run after a download does not hash 4 GB again
    return Downloaded(final, checked.sha256, checked.checked_against)


def _forget_other_version(part: Path, etag: str | None) -> None:
    """A partial file is resumed only for the same file version (its ETag is kept beside it)."""
    tag = part.with_name(part.name + ".etag")
    if etag is None:
        tag.unlink(missing_ok=True)
        return
    if part.exists() and (not tag.exists() or tag.read_text(encoding="utf-8") != etag):
        log.info("discarding a partial download of another version: %s", part)
        part.unlink()
    tag.write_text(etag, encoding="utf-8")


def _check_space(dest: Path, size: int | None, final: Path) -> None:
    if not size:
        return
    probe = dest
    while not probe.exists():
        probe = probe.parent
    have = final.stat().st_size if final.is_file() else 0
    free = shutil.disk_usage(probe).free
    needed = size - have + _SPARE_BYTES
    if free < needed:
        raise ModelError("download.no_space", folder=probe, need_gb=size / 1e9, free_gb=free / 1e9)


_SOURCES = {
    "catalog": Message("download.from_catalog"),
    "hub": Message("download.from_hub"),
    "nothing": Message("download.from_nothing"),
}


def _verify(path: Path, expected: str | None, hub_sha: str | None, *, shown_name: str | None = None) -> Downloaded:
    want, source = (expected.lower(), "catalog") if expected else (hub_sha, "hub") if hub_sha else (None, "nothing")
    got = sha256_file(path) if shown_name else cached_sha256(path)
    if want is not None and got != want:
        if shown_name:  # our own partial download: delete it
            path.unlink(missing_ok=True)
            path.with_name(path.name + ".etag").unlink(missing_ok=True)
            done = Message("download.corrupt_deleted")
        else:  # a finished file already there: never delete what the user may have put there
            done = Message("download.corrupt_kept", {"path": path})
        raise ModelError(
            "download.corrupt",
            name=shown_name or path.name,
            got=got,
            want=want,
            source=_SOURCES[source],
            done=done,
        )
    if want is None:
        log.warning("%s: the Hub gave no SHA-256 to check against; computed %s", shown_name or path.name, got)
    return Downloaded(path, got, source)


_NO_CONNECTION = {"ConnectError", "ConnectTimeout", "ConnectionError", "ConnectionRefusedError"}
"""httpx's and requests' names for "the server could not be reached" (said in the app's words)."""


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
