"""Where a model comes from when it must reach other machines: a path every node shares, or a Hub repo and
file that each node downloads once into its own model folder (SHA-256 checked by the downloader).

``hf://OWNER/REPO/FILE.gguf`` names a Hub file on the command line; anything else is a path.
"""

from __future__ import annotations

import socket
import time
from dataclasses import dataclass
from pathlib import Path

from opening.base.checks import regular_file
from opening.base.errors import ModelError, OpeningError
from opening.base.progress import CancelFn
from opening.models.hub_download import download

HUB_PREFIX = "hf://"
BUSY_WAIT_S = 1800.0
"""How long a node waits for another process on it that is downloading the same file."""


@dataclass(frozen=True)
class ModelSource:
    path: str | None = None
    repo_id: str | None = None
    filename: str | None = None
    sha256: str | None = None
    revision: str = "main"
    hub_endpoint: str | None = None

    @classmethod
    def parse(cls, text: str, *, sha256: str | None = None, hub_endpoint: str | None = None) -> ModelSource:
        if text.startswith(HUB_PREFIX):
            parts = text[len(HUB_PREFIX) :].split("/")
            if len(parts) < 3 or not all(parts):
                raise ModelError("cluster.bad_hub_name", name=text)
            return cls(repo_id="/".join(parts[:2]), filename="/".join(parts[2:]), sha256=sha256, hub_endpoint=hub_endpoint)
        return cls(path=str(Path(text).expanduser().resolve()))

    def describe(self) -> str:
        return self.path or f"{HUB_PREFIX}{self.repo_id}/{self.filename}"

    def fetch(self, *, cancel: CancelFn | None = None) -> Path:
        """The model file on this machine: the shared path checked, or the Hub file downloaded (once: a
        file already there is verified, not fetched again). A failure names this machine."""
        node = socket.gethostname()
        try:
            if self.path is not None:
                regular_file(Path(self.path), "what.model_file", ModelError)
                return Path(self.path)
            assert self.repo_id is not None and self.filename is not None
            deadline = time.monotonic() + BUSY_WAIT_S
            while True:
                try:
                    got = download(
                        self.repo_id,
                        self.filename,
                        revision=self.revision,
                        sha256=self.sha256,
                        hub_endpoint=self.hub_endpoint,
                        cancel=cancel,
                    )
                    return got.path
                except ModelError as exc:  # another actor on this node is fetching it: wait for that one
                    if exc.message.key != "download.busy" or time.monotonic() > deadline:
                        raise
                    time.sleep(1.0)
        except OpeningError as exc:
            raise ModelError("cluster.node_has_no_model", node=node, reason=exc.message) from None
