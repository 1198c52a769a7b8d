"""Start the window: the Qt application, the icon, and the model to open with (never torch)."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

from workbench.core import paths

log = logging.getLogger(__name__)


def startup_model(source: str, device: str):
    """(predictor, source, error) for the model to open with: the last one chosen, else the
    shipped LeNet-5. A checkpoint is used only through its cached ONNX export, so starting up
    never imports torch.
    """
    from workbench.core.model.files import CHECKPOINT_SUFFIX, cache_dir
    from workbench.core.recognition.predictor import ModelLoadError, Predictor

    error = None
    if source:
        chosen = Path(source)
        try:
            if chosen.suffix.lower() == CHECKPOINT_SUFFIX:
                cached = sorted(
                    cache_dir().glob(f"{chosen.stem}-*.onnx"), key=lambda p: p.stat().st_mtime
                )
                if not cached:
                    raise ModelLoadError(f"{chosen.name}: open it again (Model → Open model…)")
                return Predictor(cached[-1], device=device), chosen, None
            return Predictor(chosen, device=device), chosen, None
        except ModelLoadError as exc:
            error = f"Could not reopen your last model ({exc}); trying the shipped LeNet-5."
    try:
        return Predictor(paths.SHIPPED_MODEL, device=device), None, error
    except ModelLoadError as exc:
        shipped = (
            f"The shipped model could not be loaded ({exc}). Open a model with Model → Open model…."
        )
        return None, None, f"{error} {shipped}" if error else shipped


def create_window(settings=None):
    """The main window with its start-up model (the QApplication must exist)."""
    from workbench.gui.main_window import MainWindow, app_settings

    settings = settings or app_settings()
    device = str(settings.value("model/device", "auto"))
    predictor, source, error = startup_model(str(settings.value("model/source", "")), device)
    return MainWindow(predictor, source, error, settings)


def run_app(argv: list[str] | None = None) -> int:
    """Open the workbench window; returns the exit status when it closes."""
    from PySide6.QtGui import QIcon
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication(list(argv if argv is not None else sys.argv))
    app.setApplicationName("workbench")
    app.setApplicationDisplayName("LeNet digit workbench")
    app.setOrganizationName("workbench")
    icon = paths.ASSETS_DIR / "icon.png"
    if icon.is_file():
        app.setWindowIcon(QIcon(str(icon)))
    window = create_window()
    window.show()
    log.info("window open with %s", window.predictor.describe() if window.predictor else "none")
    return app.exec()
