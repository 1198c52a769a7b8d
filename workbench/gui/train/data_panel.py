"""Where the training data comes from: check the MNIST folder, download it, or choose a folder."""

from __future__ import annotations

import html
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from workbench.core.paths import data_dir
from workbench.gui.jobs.stream_worker import StreamJob

STYLES = {
    "ok": "DataPanel { background: #eef6ee; border: 1px solid #b9d7b9; }",
    "problem": "DataPanel { background: #fff4d6; border: 1px solid #e5c77a; }",
    "error": "DataPanel { background: #fde2e1; border: 1px solid #e0a09c; }",
}


@dataclass(frozen=True)
class DataStatus:
    folder: Path
    files: dict[str, str]  # file name -> "ok", "missing" or "corrupt: <reason>"

    @property
    def ok(self) -> bool:
        return all(state == "ok" for state in self.files.values())


def _checksums(verify: bool):
    from workbench.core.data.mnist import OFFICIAL_MD5

    return OFFICIAL_MD5 if verify else None


def check_job(folder: Path, verify: bool) -> Iterator[DataStatus]:
    from workbench.core.data.mnist import file_status

    yield DataStatus(folder, file_status(folder, _checksums(verify)))


def download_job(folder: Path, verify: bool) -> Iterator[object]:
    from workbench.core.data.mnist import iter_fetch

    yield from iter_fetch(folder, checksums=_checksums(verify))
    yield from check_job(folder, verify)


def _megabytes(count: int) -> str:
    return f"{count / 1e6:.1f} MB"


class DataPanel(QFrame):
    """A line saying which data trains the runs; when MNIST is missing or corrupt, the ways out.

    A corrupt file is named and never used: Download fetches it again (and any missing one).
    """

    data_ready = Signal(Path)  # the folder holds the four good files
    data_unavailable = Signal(str)
    folder_changed = Signal(Path)  # the user chose another folder (the window may remember it)

    def __init__(
        self, folder: Path | None = None, verify: bool = True, parent: QWidget | None = None
    ):
        super().__init__(parent)
        self.folder = Path(folder) if folder is not None else data_dir()
        self.verify = verify
        self.status: DataStatus | None = None
        self.in_memory: int | None = None  # images given as arrays: nothing to check
        self._job = StreamJob(
            is_progress=lambda item: not isinstance(item, DataStatus), parent=self
        )
        self._job.event_received.connect(self._on_job_event_received)
        self._job.job_ended.connect(self._on_job_job_ended)
        self._job.job_failed.connect(self._on_job_job_failed)
        self._downloading = False
        self._fetch_names: list[str] = []

        self.message = QLabel()
        self.message.setWordWrap(True)
        self.progress = QProgressBar()
        self.progress.setTextVisible(True)
        self.progress.hide()
        self.download_button = QPushButton("Download MNIST")
        self.download_button.setToolTip("Fetch the four MNIST files (about 11 MB) into the folder")
        self.cancel_button = QPushButton("Cancel")
        self.folder_button = QPushButton("Use a folder…")
        self.folder_button.setToolTip("A folder that holds the four MNIST .gz files")
        self.download_button.clicked.connect(self.download)
        self.cancel_button.clicked.connect(self.cancel)
        self.folder_button.clicked.connect(self._on_folder_button_clicked)
        buttons = QHBoxLayout()
        buttons.setContentsMargins(0, 0, 0, 0)
        buttons.addWidget(self.download_button)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.folder_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 4, 8, 4)
        layout.setSpacing(4)
        top = QHBoxLayout()
        top.addWidget(self.message, 1)
        top.addLayout(buttons)
        layout.addLayout(top)
        layout.addWidget(self.progress)
        self._show("Checking the training data…", "problem", download=False)

    # -- commands -----------------------------------------------------------------------------

    def is_ready(self) -> bool:
        return self.in_memory is not None or (self.status is not None and self.status.ok)

    def is_busy(self) -> bool:
        return self._job.is_busy()

    def set_arrays(self, count: int) -> None:
        """Training data given as arrays (tests, scripts): nothing to fetch."""
        self.in_memory = count
        self._show(
            f"Training data: {count:,} images given by the caller.",
            "ok",
            download=False,
            choose=False,
        )
        self.data_ready.emit(self.folder)

    def check(self) -> None:
        """Check the folder's files in the background (MD5 when `verify`)."""
        if self.in_memory is not None or self._job.is_busy():
            return
        self._job.start(lambda: check_job(self.folder, self.verify))

    def use_folder(self, folder: str | Path, verify: bool | None = None) -> None:
        """Train from another folder of MNIST files (checked before any run uses it)."""
        self.folder = Path(folder)
        if verify is not None:
            self.verify = verify
        self.status = None
        self.in_memory = None
        self.folder_changed.emit(self.folder)
        self._show("Checking the training data…", "problem", download=False)
        self.check()

    def download(self) -> None:
        if self._job.is_busy():
            return
        pending = self.status.files if self.status else {}
        self._fetch_names = [name for name, state in pending.items() if state != "ok"]
        self._downloading = True
        self.progress.setRange(0, 0)
        self.progress.show()
        self._show(
            f"Downloading MNIST into {html.escape(str(self.folder))}…",
            "problem",
            download=False,
            cancel=True,
            choose=False,
        )
        self._job.start(lambda: download_job(self.folder, self.verify))

    def cancel(self) -> None:
        self._job.cancel()

    def shutdown(self) -> None:
        self._job.wait()

    # -- internals ----------------------------------------------------------------------------

    def _show(
        self, text: str, kind: str, download: bool = True, cancel: bool = False, choose: bool = True
    ) -> None:
        self.message.setText(text)
        self.setStyleSheet(STYLES[kind])
        self.download_button.setVisible(download)
        self.cancel_button.setVisible(cancel)
        self.folder_button.setVisible(choose)
        self.folder_button.setText("Change folder…" if kind == "ok" else "Use a folder…")

    def _show_status(self, status: DataStatus) -> None:
        if self.in_memory is not None or status.folder != self.folder:
            return  # a check of a folder that is no longer the source
        self.status = status
        where = html.escape(str(status.folder))
        if status.ok:
            checked = "checked" if self.verify else "not checksum-verified"
            self._show(
                f"Training data: MNIST in <code>{where}</code> ({checked}).", "ok", download=False
            )
            self.data_ready.emit(status.folder)
            return
        missing = [name for name, state in status.files.items() if state == "missing"]
        corrupt = {
            name: state for name, state in status.files.items() if state.startswith("corrupt")
        }
        lines = []
        if corrupt:
            lines += [
                f"<b>{html.escape(name)}</b> is corrupt ({html.escape(state[9:])}); it will "
                "not be used."
                for name, state in corrupt.items()
            ]
        if missing:
            lines.append(
                f"MNIST is missing from <code>{where}</code>: "
                f"{', '.join(html.escape(n) for n in missing)}."
            )
        lines.append("Download it (about 11 MB), or point at a folder that holds the four files.")
        self.download_button.setText("Download again" if corrupt else "Download MNIST")
        self._show("<br>".join(lines), "problem")
        self.data_unavailable.emit(" ".join(lines))

    def _on_job_event_received(self, item: object) -> None:
        if isinstance(item, DataStatus):
            self._show_status(item)
            return
        done, total, name = item.done, item.total, item.file  # DownloadProgress
        index = self._fetch_names.index(name) + 1 if name in self._fetch_names else 1
        count = max(len(self._fetch_names), 1)
        if total:
            self.progress.setRange(0, total)
            self.progress.setValue(done)
            self.progress.setFormat(
                f"{name} ({index} of {count}): {_megabytes(done)} of {_megabytes(total)}"
            )
        else:
            self.progress.setRange(0, 0)
            self.progress.setFormat(f"{name}: {_megabytes(done)}")

    def _on_job_job_ended(self, cancelled: bool) -> None:
        was_downloading, self._downloading = self._downloading, False
        self.progress.hide()
        if cancelled and was_downloading:
            self.status = None  # some files may have come in: check again
        if self.in_memory is None and (self.status is None or self.status.folder != self.folder):
            self.check()  # the folder changed while a check ran, or a download ended

    def _on_job_job_failed(self, exc: Exception) -> None:
        self._downloading = False
        self.progress.hide()
        text = html.escape(str(exc))
        self._show(f"Could not get MNIST: {text}", "error")
        self.data_unavailable.emit(str(exc))

    def _on_folder_button_clicked(self) -> None:
        folder = QFileDialog.getExistingDirectory(
            self, "Folder with the MNIST files", str(self.folder)
        )
        if folder:
            self.use_folder(folder)
