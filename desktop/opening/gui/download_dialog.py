"""Models → Download a model…: a catalog entry or any repo/file, with a progress bar and Cancel.

The transfer is ``hub_download.download`` on a thread of its own (it never touches llama.cpp); Cancel
sets an event the download polls every megabyte, and the partial file stays for the next try.
"""

from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QWidget,
)

from opening.base.errors import OpeningError
from opening.base.settings import Settings
from opening.gui.background_dialog import BackgroundDialog, JobWorker
from opening.gui.strings import tr
from opening.models.catalog import load_catalog
from opening.models.hub_download import Downloaded, DownloadProgress, download
from opening.models.registry import register

log = logging.getLogger(__name__)


@dataclass
class DownloadJob:
    repo_id: str
    filename: str
    revision: str = "main"
    sha256: str | None = None
    cancel: threading.Event = field(default_factory=threading.Event)
    hub_endpoint: str | None = None


class DownloadWorker(JobWorker):
    progress = Signal(object)  # DownloadProgress

    @Slot(object)
    def run(self, job: DownloadJob) -> None:
        def work() -> Downloaded:
            got = download(
                job.repo_id,
                job.filename,
                revision=job.revision,
                sha256=job.sha256,
                progress=self.progress.emit,
                cancel=job.cancel.is_set,
                hub_endpoint=job.hub_endpoint,
            )
            register(got.path, "downloaded", job.repo_id)
            return got

        self.finish(work)


def progress_text(p: DownloadProgress) -> str:
    total = f" / {p.total / 1e6:.1f}" if p.total else ""
    left = f" · {p.seconds_left:.0f} s" if p.seconds_left is not None else ""
    resumed = f" · {tr('dl_resumed', mb=p.resumed_from / 1e6)}" if p.resumed_from else ""
    return f"{p.done / 1e6:.1f}{total} MB · {p.bytes_per_s / 1e6:.1f} MB/s{left}{resumed}"


class DownloadDialog(BackgroundDialog):
    downloaded = Signal(object)  # Path of a verified, registered model

    def __init__(self, parent: QWidget | None = None, settings: Settings | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("downloadDialog")
        self.settings = settings
        self.setWindowTitle(tr("dl_title"))
        self.catalog = load_catalog()
        self.choice = QComboBox()
        self.choice.setObjectName("catalogCombo")
        for entry in self.catalog.models:
            self.choice.addItem(f"{entry.title} — {'~' if entry.size_approx else ''}{entry.size / 1e9:.2f} GB", entry)
        self.choice.addItem(tr("dl_other"), None)
        self.choice.currentIndexChanged.connect(self._chosen)
        self.repo = QLineEdit()
        self.repo.setObjectName("repoEdit")
        self.repo.setPlaceholderText("OWNER/NAME-GGUF")
        self.file = QLineEdit()
        self.file.setObjectName("fileEdit")
        self.file.setPlaceholderText("model.Q4_K_M.gguf")
        self.notes = QLabel()
        self.notes.setWordWrap(True)
        self.mirror = QLineEdit((settings.hf_endpoint if settings else None) or os.environ.get("HF_ENDPOINT", ""))
        self.mirror.setObjectName("hubEndpoint")
        self.mirror.setPlaceholderText(tr("dl_mirror_hint"))
        self.mirror.setToolTip(tr("dl_mirror_tip"))
        self.make_default = QCheckBox(tr("dl_make_default"))
        self.make_default.setObjectName("downloadDefault")  # off: the model is opened, the default stays
        self.make_controls("download", start=tr("dl_start"), start_name="downloadButton")

        form = QFormLayout()
        form.addRow(tr("dl_model"), self.choice)
        form.addRow(tr("dl_repo"), self.repo)
        form.addRow(tr("dl_file"), self.file)
        form.addRow(tr("dl_mirror"), self.mirror)
        form.addRow("", self.make_default)
        self.lay_out(form, self.notes)
        self.resize(620, 300)

        self.job: DownloadJob | None = None
        self.run_worker(DownloadWorker(), "opening-download")
        self.start_button.clicked.connect(self.start)
        self.cancel_button.clicked.connect(self.cancel)
        self._chosen()

    def _chosen(self) -> None:
        entry = self.choice.currentData()
        editable = entry is None
        self.repo.setReadOnly(not editable)
        self.file.setReadOnly(not editable)
        if entry is not None:
            self.repo.setText(entry.repo_id)
            self.file.setText(entry.filename)
            self.notes.setText(f"{entry.notes} ({entry.licence}; {', '.join(entry.languages)})")
        else:
            self.notes.setText(tr("dl_other_note"))

    @Slot()
    def start(self) -> None:
        repo, name = self.repo.text().strip(), self.file.text().strip()
        if "/" not in repo or not name:
            self.status.setText(tr("dl_need_repo"))
            return
        entry = self.choice.currentData()
        mirror = self.mirror.text().strip() or None
        if mirror and not mirror.startswith(("http://", "https://")):
            self.status.setText(tr("dl_mirror_bad", url=mirror))
            return
        if self.settings is not None and self.settings.hf_endpoint != mirror:
            self.settings.hf_endpoint = mirror
            try:
                self.settings.save()
            except OpeningError as exc:
                log.warning("%s", exc)
        revision, sha = (entry.revision, entry.sha256) if entry else ("main", None)
        self.job = DownloadJob(repo, name, revision, sha, hub_endpoint=mirror)
        self.bar.setValue(0)
        self.status.setText(tr("dl_starting"))
        self.launch(self.job)

    @Slot()
    def cancel(self) -> None:
        if self.job is not None:
            self.job.cancel.set()
            self.status.setText(tr("status_cancelling"))

    @Slot(object)
    def _on_progress(self, p: DownloadProgress) -> None:
        if p.fraction is not None:
            self.bar.setValue(round(p.fraction * 1000))
        self.status.setText(progress_text(p))

    @Slot(object)
    def _on_done(self, got: Downloaded) -> None:
        self._ended()
        self.bar.setValue(1000)
        self.status.setText(tr("dl_done", path=got.path, sha=got.sha256[:12]))
        self.downloaded.emit(Path(got.path))
        self.finished_job.emit()

    def cancelled_text(self, message: str) -> str:
        return tr("dl_cancelled")

    def _ended(self) -> None:
        self.job = None
        super()._ended()
