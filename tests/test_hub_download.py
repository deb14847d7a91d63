"""Downloads from a local stand-in for the Hub (HF_ENDPOINT=http://127.0.0.1:PORT); no test touches the real Hub."""

from __future__ import annotations

import os

import pytest

from fake_hub import FakeHub
from opening.base import paths
from opening.base.errors import Cancelled, ModelError
from opening.models.hub_download import DownloadProgress, download

REPO, NAME = "someone/tiny-GGUF", "tiny.Q4_K_M.gguf"
SIZE = 3 * 1024 * 1024 + 123


@pytest.fixture
def hub(monkeypatch: pytest.MonkeyPatch):
    fake = FakeHub()
    url = fake.start()
    monkeypatch.setenv("HF_ENDPOINT", url)
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv("HF_TOKEN", raising=False)
    yield fake
    fake.stop()


def payload(size: int = SIZE) -> bytes:
    return os.urandom(size)


def test_download_completes_with_the_right_sha256_and_growing_progress(hub: FakeHub) -> None:
    data = payload()
    sha = hub.add(REPO, NAME, data)
    hub.delay_per_chunk = 0.012  # about 0.6 s in all: progress is reported at most every 0.1 s, per 1 MB read
    events: list[DownloadProgress] = []
    got = download(REPO, NAME, progress=events.append)
    assert got.path == paths.models_dir() / REPO / NAME
    assert got.path.read_bytes() == data
    assert (got.sha256, got.checked_against) == (sha, "hub")
    from opening.models import file_hash

    assert file_hash._load()[file_hash._key(got.path)] == sha  # loading it later will not hash it again
    done = [e.done for e in events]
    assert len(done) >= 3 and done == sorted(done) and done[-1] == SIZE
    assert events[-1].total == SIZE and events[0].resumed_from == 0
    assert all(e.bytes_per_s > 0 for e in events[1:]) and events[-1].seconds_left == 0
    # a second call finds the finished file and transfers nothing
    before = len(hub.gets())
    assert download(REPO, NAME).path == got.path
    assert len(hub.gets()) == before


def test_catalog_sha256_is_checked_first(hub: FakeHub) -> None:
    data = payload(200_000)
    sha = hub.add(REPO, NAME, data)
    assert download(REPO, NAME, sha256=sha.upper()).checked_against == "catalog"


def test_a_cut_connection_resumes_without_starting_from_zero(hub: FakeHub) -> None:
    data = payload()
    hub.add(REPO, NAME, data)
    hub.cut_after = SIZE // 2
    try:
        got = download(REPO, NAME)  # huggingface_hub may retry by itself within the call…
    except ModelError as exc:
        assert "resume" in str(exc)
        got = download(REPO, NAME)  # …or the user runs it again
    assert got.path.read_bytes() == data
    gets = hub.gets()
    assert len(gets) == 2
    assert gets[0].range is None and gets[1].range is not None
    resumed_at = int(gets[1].range[6:].split("-")[0])
    assert 0 < resumed_at <= SIZE // 2
    assert sum(g.body_bytes for g in gets) < SIZE * 1.5  # only the unwritten tail of the cut piece again


def test_a_cancelled_download_resumes_next_time(hub: FakeHub) -> None:
    data = payload()
    hub.add(REPO, NAME, data)
    hub.delay_per_chunk = 0.01  # 1 MB (one progress report) every 0.16 s
    seen: list[int] = []

    def cancel() -> bool:
        return bool(seen) and seen[-1] > SIZE // 3

    with pytest.raises(Cancelled):
        download(REPO, NAME, progress=lambda p: seen.append(p.done), cancel=cancel)
    assert not (paths.models_dir() / REPO / NAME).exists()
    partial = list((paths.models_dir() / REPO).glob(f".{NAME}.part"))
    assert partial and partial[0].stat().st_size > 0

    events: list[DownloadProgress] = []
    got = download(REPO, NAME, progress=events.append)
    assert got.path.read_bytes() == data
    assert events[0].resumed_from > 0
    assert hub.gets()[-1].range == f"bytes={events[0].resumed_from}-"


def test_a_corrupt_file_is_detected_and_removed(hub: FakeHub) -> None:
    hub.add(REPO, NAME, payload(500_000))
    hub.corrupt = True
    with pytest.raises(ModelError, match="^tiny.Q4_K_M.gguf is corrupt.*deleted"):
        download(REPO, NAME)
    folder = paths.models_dir() / REPO
    assert not (folder / NAME).exists()
    left = [p.name for p in folder.rglob("*") if p.is_file()]
    assert not [n for n in left if NAME in n and not n.endswith(".lock")], left  # no partial file to resume


def test_offline_mode_gives_a_clear_message_and_touches_no_network(hub: FakeHub, monkeypatch) -> None:
    hub.add(REPO, NAME, payload(1000))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(ModelError, match=r"offline mode is on \(HF_HUB_OFFLINE=1\)"):
        download(REPO, NAME)
    assert hub.requests == []


def test_a_file_already_downloaded_is_used_offline(hub: FakeHub, monkeypatch) -> None:
    data = payload(1000)
    sha = hub.add(REPO, NAME, data)
    download(REPO, NAME)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    count = len(hub.requests)
    assert download(REPO, NAME, sha256=sha).path.read_bytes() == data
    assert len(hub.requests) == count


def test_gated_repo_needs_the_token(hub: FakeHub, monkeypatch) -> None:
    data = payload(1000)
    hub.add(REPO, NAME, data)
    hub.gated[REPO] = "hf_secret"
    with pytest.raises(ModelError, match="gated.*hf auth login"):
        download(REPO, NAME)
    monkeypatch.setenv("HF_TOKEN", "hf_secret")
    assert download(REPO, NAME).path.read_bytes() == data
    assert hub.gets()[-1].auth == "Bearer hf_secret"


def test_missing_things_and_unreachable_hosts_are_one_clear_line(hub: FakeHub, monkeypatch) -> None:
    hub.add(REPO, NAME, payload(1000))
    with pytest.raises(ModelError, match="has no file 'nope.gguf'"):
        download(REPO, "nope.gguf")
    with pytest.raises(ModelError, match="no repository other/repo"):
        download("other/repo", NAME)
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")  # nothing listens on the discard port
    with pytest.raises(ModelError) as info:
        download(REPO, NAME)
    assert "\n" not in str(info.value) and "127.0.0.1:9" in str(info.value)


def test_not_enough_disk_space_is_said_before_downloading(hub: FakeHub) -> None:
    hub.add(REPO, NAME, payload(1000))
    hub.claimed_size = 10**15  # a petabyte
    with pytest.raises(ModelError, match="^not enough free space"):  # our message, not wrapped
        download(REPO, NAME)
    assert hub.gets() == []
