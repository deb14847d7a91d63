"""Sources by name when online: ``--dolly hub`` / ``--firefly hub`` fetch the published JSONL files from
their Hugging Face dataset repos, and ``hf://OWNER/NAME/FILE.jsonl`` any dataset repo's file. They go
through the app's own downloader (resumable, SHA-256 checked, ``HF_ENDPOINT`` or a mirror, offline mode)
into the user's datasets folder, once; the readers then read them as local copies. SNI's task files live
on GitHub (allenai/natural-instructions, ``tasks/``), so ``--sni`` is a local folder only."""

from __future__ import annotations

from pathlib import Path

from opening.base import paths
from opening.base.errors import BadInput
from opening.models.hub_download import BytesFn, download

HUB_PREFIX = "hf://"
KNOWN = {
    "dolly": "hf://databricks/databricks-dolly-15k/databricks-dolly-15k.jsonl",
    "firefly": "hf://YeungNLP/firefly-train-1.1M/firefly-train-1.1M.jsonl",
}
"""What ``hub`` means for each source: the file its authors published."""


def source_file(value: str, kind: str, progress: BytesFn | None = None) -> Path:
    """A local path as it is; ``hub`` or ``hf://…``: the file downloaded (or found already downloaded)."""
    if value == "hub":
        value = KNOWN[kind]
    if not value.startswith(HUB_PREFIX):
        return Path(value).expanduser()
    parts = value[len(HUB_PREFIX) :].split("/")
    if len(parts) < 3 or not all(parts):
        raise BadInput("train.bad_hub_name", name=value)
    got = download("/".join(parts[:2]), "/".join(parts[2:]), repo_type="dataset", folder=paths.datasets_dir(), progress=progress)
    return got.path
