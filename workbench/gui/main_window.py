"""The main window: the views, the feature-maps dock, and the wiring between them and the core."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
from PySide6.QtCore import QSettings, Qt, QTimer
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QDockWidget, QLabel, QMainWindow, QTabWidget, QVBoxLayout, QWidget

from workbench.core import paths
from workbench.core.model.files import is_checkpoint, open_model
from workbench.core.recognition.conversions import as_bytes, page_from_digit, paper_from_ink
from workbench.core.recognition.explanation import occlusion_map
from workbench.core.recognition.predictor import ModelLoadError
from workbench.core.recognition.preprocessing import to_mnist
from workbench.core.report.sections import ClassifiedInput, InputLog
from workbench.gui import menus
from workbench.gui.draw.draw_view import DrawView
from workbench.gui.jobs.stream_worker import StreamJob
from workbench.gui.load.load_view import LoadView
from workbench.gui.maps.feature_maps import FeatureMapsView, layer_infos
from workbench.gui.menus import ANATOMY, DRAW, EVALUATE, LAB, LOAD, TRAIN, WindowMenus
from workbench.gui.widgets.export_image import add_export_menu
from workbench.gui.widgets.model_choice import model_status
from workbench.gui.widgets.notice_bar import NoticeBar
from workbench.gui.window_settings import app_settings, restore_settings, save_settings

log = logging.getLogger(__name__)
# Built on first view: they import pyqtgraph (about a second), which the window must not wait for.
LAZY_TABS = {TRAIN: "Train", EVALUATE: "Evaluate", ANATOMY: "Anatomy", LAB: "Lab"}


class MainWindow(WindowMenus, QMainWindow):
    """The views, the feature-maps dock and the status bar, wired to each other and the core."""

    def __init__(
        self,
        predictor=None,
        model_source: Path | None = None,
        model_error: str | None = None,
        settings: QSettings | None = None,
    ):
        super().__init__()
        self.settings = settings or app_settings()
        self.predictor = None
        self.model_source = model_source  # the file the user chose; None: the shipped model
        self.device = str(self.settings.value("model/device", "auto"))
        self.last_occlusion = None
        self._inputs: dict[int, tuple[np.ndarray | None, object]] = {
            DRAW: (None, None),
            LOAD: (None, None),
        }
        self._source = DRAW
        self.input_log = InputLog()  # what the user had read since the window opened (report)
        self._drawing_number = 1
        self._model_jobs = StreamJob(parent=self)
        self._occlusion_timer = QTimer(self, singleShot=True, interval=150)

        self.setWindowTitle("LeNet digit workbench")
        icon = paths.ASSETS_DIR / "icon.png"
        if icon.is_file():
            self.setWindowIcon(QIcon(str(icon)))
        self.notice = NoticeBar()
        self.draw_view = DrawView()
        self.load_view = LoadView()
        self.tabs = QTabWidget()
        self.tabs.addTab(self.draw_view, "Draw")
        self.tabs.addTab(self.load_view, "Load")
        self.train_view = self.evaluate_view = self.anatomy_view = self.lab_view = None
        for title in LAZY_TABS.values():
            self.tabs.addTab(QWidget(), title)
        central = QWidget()
        column = QVBoxLayout(central)
        column.setContentsMargins(4, 4, 4, 0)
        column.addWidget(self.notice)
        column.addWidget(self.tabs, 1)
        self.setCentralWidget(central)
        self.feature_view = FeatureMapsView()
        self.feature_dock = QDockWidget("Feature maps", self)
        self.feature_dock.setObjectName("featureMapsDock")
        self.feature_dock.setWidget(self.feature_view)
        self.feature_dock.setMinimumWidth(330)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.feature_dock)
        self.model_label = QLabel()
        self.statusBar().addPermanentWidget(self.model_label)
        self.setAcceptDrops(True)
        self._build_menus()
        self._wire()
        self.load_view.set_samples(menus.sample_files())
        for view, name in ((self.draw_view, "draw"), (self.load_view, "load")):
            add_export_menu(view, lambda v=view: v, name, self._on_export_saved, self._image_folder)
        add_export_menu(
            self.feature_view,
            self.feature_view.export_widget,
            "feature-maps",
            self._on_export_saved,
            self._image_folder,
        )
        restore_settings(self)
        if predictor is not None:
            self._use_predictor(predictor, model_source)
        else:
            self._show_model()
        if model_error:
            self.show_notice(model_error, "error")

    def _wire(self) -> None:
        canvas = self.draw_view.canvas
        canvas.drawing_changed.connect(self._on_canvas_drawing_changed)
        canvas.stroke_finished.connect(self._on_canvas_stroke_finished)
        canvas.cleared.connect(self._on_canvas_cleared)
        self.load_view.digits_changed.connect(self._on_load_view_digits_changed)
        self.draw_view.brush_changed.connect(self._on_draw_view_brush_changed)
        self.draw_view.threshold_changed.connect(self._on_draw_view_threshold_changed)
        self.draw_view.panel.why_toggled.connect(self.set_why)
        self.load_view.panel.why_toggled.connect(self.set_why)
        self.load_view.digit_selected.connect(self._on_load_view_digit_selected)
        self.load_view.load_failed.connect(self._on_load_view_load_failed)
        self.load_view.page_loaded.connect(self._on_load_view_page_loaded)
        self.load_view.open_requested.connect(self._on_open_image_triggered)
        self.load_view.paste_requested.connect(self._on_paste_triggered)
        self.tabs.currentChanged.connect(self._on_tabs_current_changed)
        self.model_menu.open_requested.connect(self._on_model_menu_open_requested)
        self.model_menu.shipped_requested.connect(self._on_model_menu_shipped_requested)
        self.model_menu.device_chosen.connect(self._on_model_menu_device_chosen)
        self.model_menu.about_requested.connect(self._on_model_menu_about_requested)
        self._model_jobs.job_finished.connect(self._on_model_jobs_job_finished)
        self._model_jobs.job_failed.connect(self._on_model_jobs_job_failed)
        self._occlusion_timer.timeout.connect(self._on_occlusion_timer_timeout)

    # -- commands (menus, tests, scripts) -------------------------------------------------------

    def open_image(self, path: str | Path) -> bool:
        self.tabs.setCurrentIndex(LOAD)
        self.settings.setValue("files/image_dir", str(Path(path).parent))
        if not self.load_view.open_path(path):
            self.statusBar().showMessage("Still reading the previous image…", 3000)
            return False
        return True

    def open_model(self, path: str | Path, device: str | None = None) -> bool:
        """Load a model file; on failure the current model stays and the notice says why.

        A checkpoint is exported in the background (torch); an ONNX file loads at once.
        """
        path, device = Path(path), device or self.device
        if is_checkpoint(path):
            if not self._model_jobs.start_call(lambda: (open_model(path, device), path)):
                return False
            self.model_menu.set_busy(True)
            self.statusBar().showMessage(f"Exporting {path.name} to ONNX…")
            return True
        try:
            predictor = open_model(path, device)
        except ModelLoadError as exc:
            self._refuse_model(exc)
            return False
        self._use_predictor(predictor, path)
        return True

    def set_why(self, on: bool) -> None:
        """Show or hide the occlusion map over the 28×28 input."""
        on = bool(on)
        for control in (
            self.draw_view.panel.why_button,
            self.load_view.panel.why_button,
            self.why_action,
        ):
            control.blockSignals(True)
            control.setChecked(on)
            control.blockSignals(False)
        self.settings.setValue("view/why", on)
        if on:
            self._occlusion_timer.start(0)
        else:
            self._occlusion_timer.stop()
            self.draw_view.panel.set_occlusion(None)
            self.load_view.panel.set_occlusion(None)

    def show_notice(self, text: str, kind: str = "info") -> None:
        self.notice.show_notice(text, kind)
        self.statusBar().showMessage(text, 8000)

    def current_input(self) -> tuple[np.ndarray | None, object]:
        return self._inputs[self._source]

    # -- the draw path: canvas → 28×28 → prediction → views --------------------------------------

    def _on_canvas_drawing_changed(self) -> None:
        self._set_input(DRAW, to_mnist(self.draw_view.canvas.ink()))

    def _on_load_view_digit_selected(self, index: int) -> None:
        self._set_input(LOAD, self.load_view.selected_image())

    def _set_input(self, source: int, image: np.ndarray | None) -> None:
        prediction = None
        if image is not None and self.predictor is not None:
            prediction = self.predictor.predict(image[None])
        self._inputs[source] = (image, prediction)
        top = prediction.top(2)[0] if prediction is not None else None
        view = self.draw_view if source == DRAW else self.load_view
        view.set_result(image, top)
        if source == self._source:
            self.feature_view.set_input(image, prediction)
            if self.train_view is not None:
                self.train_view.set_input(image)
            if self.why_action.isChecked():
                self._occlusion_timer.start()

    def _on_occlusion_timer_timeout(self) -> None:
        image, prediction = self._inputs[self._source]
        if image is None or prediction is None or self.predictor is None:
            return
        self.last_occlusion = occlusion_map(image, self.predictor)
        panel = self.draw_view.panel if self._source == DRAW else self.load_view.panel
        panel.set_occlusion(self.last_occlusion)

    def _on_tabs_current_changed(self, index: int) -> None:
        self.lazy_view(index)
        if index in (DRAW, LOAD) and index != self._source:
            self._source = index
            self.feature_view.set_input(*self._inputs[index])
            if self.why_action.isChecked():
                self._occlusion_timer.start()
        self.undo_action.setEnabled(index in (DRAW, LOAD))
        self.clear_action.setEnabled(index in (DRAW, LOAD))

    # -- the report: inputs read since the window opened ----------------------------------------

    def _on_canvas_stroke_finished(self) -> None:
        image, prediction = self._inputs[DRAW]
        if image is None or prediction is None:
            return
        paper = paper_from_ink(self.draw_view.canvas.ink())
        height, width = paper.shape
        self.input_log.update(
            ClassifiedInput(
                "drawing",
                f"drawing {self._drawing_number}",
                paper,
                ((0, 0, width, height),),
                (tuple(prediction.top(2)[0]),),
            )
        )

    def _on_canvas_cleared(self) -> None:
        self._drawing_number += 1

    def _on_load_view_digits_changed(self) -> None:
        page = self.load_view.page
        if page is None:
            return
        read = [d for d in page.digits if d.top]
        grey = as_bytes(page.grey)
        self.input_log.update(
            ClassifiedInput(
                "photo",
                page.name,
                grey,
                tuple(d.box for d in read),
                tuple(tuple(d.top[:2]) for d in read),
            )
        )

    # -- the train, evaluate and anatomy tabs ---------------------------------------------------

    def lazy_view(self, index: int) -> QWidget | None:
        """The view of a lazily built tab, building and wiring it on first use."""
        if index not in LAZY_TABS:
            return None
        name = LAZY_TABS[index].lower()
        if (existing := getattr(self, f"{name}_view")) is not None:
            return existing
        if index == TRAIN:
            from workbench.gui.train.train_view import TrainView

            view = TrainView()
            view.set_input(self.current_input()[0])
            view.model_chosen.connect(self._on_train_view_model_chosen)
        elif index == EVALUATE:
            from workbench.gui.evaluate.evaluate_view import EvaluateView

            view = EvaluateView()
            view.input_chosen.connect(self._on_evaluate_view_input_chosen)
            view.evaluation_failed.connect(self._on_evaluate_view_evaluation_failed)
        elif index == ANATOMY:
            from workbench.gui.anatomy.anatomy_view import AnatomyView

            view = AnatomyView()
        else:
            from workbench.gui.lab.lab_view import LabView

            view = LabView()
        setattr(self, f"{name}_view", view)
        if index in (EVALUATE, ANATOMY) and self.predictor is not None:
            view.set_predictor(self.predictor)
        add_export_menu(view, lambda v=view: v, name, self._on_export_saved, self._image_folder)
        blocked = self.tabs.blockSignals(True)
        current = self.tabs.currentIndex()
        placeholder = self.tabs.widget(index)
        self.tabs.removeTab(index)
        self.tabs.insertTab(index, view, LAZY_TABS[index])
        placeholder.deleteLater()
        self.tabs.setCurrentIndex(current)
        self.tabs.blockSignals(blocked)
        return view

    def _on_train_view_model_chosen(self, path: Path) -> None:
        self.open_model(path)

    def _on_evaluate_view_input_chosen(self, image: np.ndarray) -> None:
        """A test image from the gallery becomes the current input, shown on the Load tab."""
        self.load_view.open_grey(page_from_digit(image), "MNIST test image")
        self.tabs.setCurrentIndex(LOAD)

    def _on_evaluate_view_evaluation_failed(self, message: str) -> None:
        self.show_notice(message, "error")

    # -- models ---------------------------------------------------------------------------------

    def _use_predictor(self, predictor, source: Path | None) -> None:
        self.predictor = predictor
        shipped = source is not None and Path(source).resolve() == paths.SHIPPED_MODEL.resolve()
        self.model_source = None if source is None or shipped else Path(source)
        self.settings.setValue("model/source", str(self.model_source or ""))
        self.feature_view.set_layers(layer_infos(predictor))
        self.load_view.set_predictor(predictor)
        self._set_input(DRAW, self._inputs[DRAW][0])
        self._set_input(LOAD, self.load_view.selected_image())
        for view in (self.evaluate_view, self.anatomy_view):
            if view is not None:
                view.set_predictor(predictor)
        self._show_model()
        if predictor.notice:
            self.show_notice(predictor.notice, "info")

    def _refuse_model(self, error: Exception) -> None:
        still = f" Still using {self.predictor.describe()}." if self.predictor is not None else ""
        self.show_notice(f"Could not open the model: {error}.{still}", "error")

    def _show_model(self) -> None:
        text, tip = model_status(self.predictor, self.model_source)
        self.model_label.setText(text)
        self.model_label.setToolTip(tip)
        self.model_menu.set_device(self.device)
        self.model_menu.set_model(self.model_source or self.predictor and self.predictor.path)

    def _on_model_jobs_job_finished(self, result) -> None:
        predictor, source = result
        self.model_menu.set_busy(False)
        self.statusBar().clearMessage()
        self._use_predictor(predictor, source)

    def _on_model_jobs_job_failed(self, error: Exception) -> None:
        self.model_menu.set_busy(False)
        self.statusBar().clearMessage()
        self._refuse_model(error)

    def _on_load_view_page_loaded(self, name: str) -> None:
        self.notice.hide()
        self.statusBar().showMessage(f"Read {name}", 4000)

    def _on_load_view_load_failed(self, message: str) -> None:
        self.show_notice(f"Could not read the image: {message}", "error")

    # -- settings -------------------------------------------------------------------------------

    def _on_draw_view_brush_changed(self, share: float) -> None:
        self.settings.setValue("draw/brush", share)

    def _on_draw_view_threshold_changed(self, threshold: float) -> None:
        self.settings.setValue("draw/threshold", threshold)
        self.load_view.set_threshold(threshold)

    def closeEvent(self, event) -> None:
        if self.train_view is not None:
            if not self.train_view.confirm_close(self):
                event.ignore()
                return
            self.train_view.shutdown()
        if self.evaluate_view is not None:
            self.evaluate_view.shutdown()
        save_settings(self)
        self._occlusion_timer.stop()
        self._model_jobs.wait()
        self.load_view.wait_for_jobs()
        super().closeEvent(event)
