"""The main window: menus, status bar, settings, and the wiring between the views and the core."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
from PySide6.QtCore import QByteArray, QSettings, Qt, QTimer
from PySide6.QtGui import QAction, QGuiApplication, QIcon, QKeySequence
from PySide6.QtWidgets import (
    QDockWidget,
    QFileDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from workbench import __version__
from workbench.core import paths
from workbench.core.model.files import is_checkpoint, open_model
from workbench.core.recognition.explanation import occlusion_map
from workbench.core.recognition.predictor import ModelLoadError
from workbench.core.recognition.preprocessing import to_mnist
from workbench.core.report.sections import ClassifiedInput, InputLog
from workbench.gui.draw.draw_view import DrawView
from workbench.gui.jobs.stream_worker import StreamJob
from workbench.gui.load.load_view import IMAGE_FILTER, LoadView, sample_title
from workbench.gui.maps.feature_maps import FeatureMapsView, layer_infos
from workbench.gui.widgets.export_image import (
    add_export_menu,
    ask_png_path,
    copy_widget,
    save_widget_png,
)
from workbench.gui.widgets.model_choice import ModelMenu, ask_model_path, describe_model
from workbench.gui.widgets.notice_bar import NoticeBar

log = logging.getLogger(__name__)
DRAW, LOAD, TRAIN, EVALUATE, ANATOMY = 0, 1, 2, 3, 4
# Built on first view: they import pyqtgraph (about a second), which the window must not wait for.
LAZY_TABS = {TRAIN: "Train", EVALUATE: "Evaluate", ANATOMY: "Anatomy"}


def app_settings() -> QSettings:
    """Settings in the user data folder (so tests, with their own folder, never share them)."""
    return QSettings(str(paths.home_dir() / "workbench-gui.ini"), QSettings.Format.IniFormat)


def sample_files() -> list[Path]:
    folder = paths.ASSETS_DIR / "samples"
    return sorted(p for p in folder.glob("*") if p.suffix.lower() in (".png", ".jpg", ".jpeg"))


class MainWindow(QMainWindow):
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
        self.train_view = self.evaluate_view = self.anatomy_view = None
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
        self.load_view.set_samples(sample_files())
        for view, name in ((self.draw_view, "draw"), (self.load_view, "load")):
            add_export_menu(view, lambda v=view: v, name, self._on_export_saved, self._image_folder)
        add_export_menu(
            self.feature_view,
            self.feature_view.export_widget,
            "feature-maps",
            self._on_export_saved,
            self._image_folder,
        )
        self._restore_settings()
        if predictor is not None:
            self._use_predictor(predictor, model_source)
        else:
            self._show_model()
        if model_error:
            self.show_notice(model_error, "error")

    # -- menus and wiring -----------------------------------------------------------------------

    def _action(self, menu, text: str, slot, shortcut=None, tip: str = "") -> QAction:
        action = menu.addAction(text)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        if tip:
            action.setStatusTip(tip)
        action.triggered.connect(slot)
        return action

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file = bar.addMenu("&File")
        self._action(
            file,
            "&Open image…",
            self._on_open_image_triggered,
            QKeySequence.StandardKey.Open,
            "Open a photo or scan with digits",
        )
        self.sample_menu = file.addMenu("Open &sample")
        for path in sample_files():
            self.sample_menu.addAction(sample_title(path), lambda p=path: self.open_image(p))
        self.sample_menu.setEnabled(bool(sample_files()))
        file.addSeparator()
        self._action(file, "&Save view as PNG…", self._on_save_view_triggered, "Ctrl+Shift+S")
        self._action(file, "Save &feature maps as PNG…", self._on_save_features_triggered)
        self._action(file, "Export &report…", self._on_export_report_triggered, "Ctrl+R",
                     "A self-contained HTML (and PDF) report for a homework")
        file.addSeparator()
        self._action(file, "&Quit", self.close, QKeySequence.StandardKey.Quit)

        edit = bar.addMenu("&Edit")
        self.undo_action = self._action(
            edit,
            "&Undo",
            self._on_undo_triggered,
            QKeySequence.StandardKey.Undo,
            "Undo the last stroke or fix",
        )
        self.clear_action = self._action(
            edit,
            "&Clear",
            self._on_clear_triggered,
            "Ctrl+L",
            "Clear the drawing, or close the photo",
        )
        edit.addSeparator()
        self._action(
            edit,
            "&Paste image",
            self._on_paste_triggered,
            QKeySequence.StandardKey.Paste,
            "Read the digits of an image on the clipboard",
        )
        self._action(edit, "Copy view as &image", self._on_copy_view_triggered, "Ctrl+Shift+C")
        self._action(edit, "Copy feature &maps as image", self._on_copy_features_triggered)

        self.model_menu = ModelMenu(self)
        bar.addMenu(self.model_menu)

        view = bar.addMenu("&View")
        self._action(view, "&Draw", lambda: self.tabs.setCurrentIndex(DRAW), "Ctrl+1")
        self._action(view, "&Load", lambda: self.tabs.setCurrentIndex(LOAD), "Ctrl+2")
        toggle = self.feature_dock.toggleViewAction()
        toggle.setShortcut(QKeySequence("Ctrl+3"))
        view.addAction(toggle)
        self.why_action = self._action(
            view, "&Why this digit?", self.set_why, "Ctrl+I", "Occlusion map over the 28×28 input"
        )
        self.why_action.setCheckable(True)

        help_menu = bar.addMenu("&Help")
        self._action(help_menu, "&About", self._on_about_triggered)

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
        ink = self.draw_view.canvas.ink()
        paper = np.clip(np.round((1.0 - ink) * 255), 0, 255).astype(np.uint8)
        height, width = paper.shape
        self.input_log.update(ClassifiedInput(
            "drawing", f"drawing {self._drawing_number}", paper, ((0, 0, width, height),),
            (tuple(prediction.top(2)[0]),)))

    def _on_canvas_cleared(self) -> None:
        self._drawing_number += 1

    def _on_load_view_digits_changed(self) -> None:
        page = self.load_view.page
        if page is None:
            return
        read = [d for d in page.digits if d.top]
        grey = np.clip(np.round(page.grey * 255), 0, 255).astype(np.uint8)
        self.input_log.update(ClassifiedInput(
            "photo", page.name, grey, tuple(d.box for d in read),
            tuple(tuple(d.top[:2]) for d in read)))

    def _on_export_report_triggered(self) -> None:
        from workbench.gui.report.report_dialog import ReportDialog

        evaluation = images = None
        view = self.evaluate_view
        if view is not None and view.result() is not None and not view.is_stored():
            evaluation, images = view.result(), view.test_images()
        ReportDialog(self.predictor, self.input_log, evaluation=evaluation, test_images=images,
                     chosen_input=self.current_input()[0], parent=self).exec()

    # -- the train, evaluate and anatomy tabs ---------------------------------------------------

    def lazy_view(self, index: int) -> QWidget | None:
        """The view of a lazily built tab, building and wiring it on first use."""
        if index not in LAZY_TABS:
            return None
        existing = {TRAIN: self.train_view, EVALUATE: self.evaluate_view,
                    ANATOMY: self.anatomy_view}[index]
        if existing is not None:
            return existing
        if index == TRAIN:
            from workbench.gui.train.train_view import TrainView

            view = self.train_view = TrainView()
            view.set_input(self.current_input()[0])
            view.model_chosen.connect(self._on_train_view_model_chosen)
        elif index == EVALUATE:
            from workbench.gui.evaluate.evaluate_view import EvaluateView

            view = self.evaluate_view = EvaluateView()
            view.input_chosen.connect(self._on_evaluate_view_input_chosen)
            view.evaluation_failed.connect(self._on_evaluate_view_evaluation_failed)
        else:
            from workbench.gui.anatomy.anatomy_view import AnatomyView

            view = self.anatomy_view = AnatomyView()
        if index != TRAIN and self.predictor is not None:
            view.set_predictor(self.predictor)
        name = LAZY_TABS[index].lower()
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
        page = 1.0 - np.kron(np.asarray(image, dtype=np.float32), np.ones((6, 6), np.float32))
        self.load_view.open_grey(np.pad(page, 20, constant_values=1.0), "MNIST test image")
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
        predictor = self.predictor
        if predictor is None:
            self.model_label.setText("No model loaded: Model → Open model…")
            return
        name = self.model_source.name if self.model_source else predictor.path.name
        where = "CUDA" if predictor.provider.startswith("CUDA") else "CPU"
        spec = f" ({predictor.spec.name})" if predictor.spec else ""
        self.model_label.setText(f"Model: {name}{spec} · runs on {where}")
        self.model_label.setToolTip(
            f"{predictor.path}\nonnxruntime provider: {predictor.provider}"
            f"\ndevice asked for: {predictor.device_requested}"
        )
        self.model_menu.set_device(self.device)

    def _on_model_menu_open_requested(self) -> None:
        folder = str(self.settings.value("files/model_dir", str(Path.home())))
        path = ask_model_path(self, folder)
        if path is not None:
            self.settings.setValue("files/model_dir", str(path.parent))
            self.open_model(path)

    def _on_model_menu_shipped_requested(self) -> None:
        self.open_model(paths.SHIPPED_MODEL)

    def _on_model_menu_device_chosen(self, device: str) -> None:
        self.device = device
        self.settings.setValue("model/device", device)
        if self.predictor is not None:
            self.open_model(self.model_source or self.predictor.path, device)

    def _on_model_menu_about_requested(self) -> None:
        text = describe_model(self.predictor) if self.predictor else "No model is loaded."
        QMessageBox.information(self, "About this model", text)

    def _on_model_jobs_job_finished(self, result) -> None:
        predictor, source = result
        self.model_menu.set_busy(False)
        self.statusBar().clearMessage()
        self._use_predictor(predictor, source)

    def _on_model_jobs_job_failed(self, error: Exception) -> None:
        self.model_menu.set_busy(False)
        self.statusBar().clearMessage()
        self._refuse_model(error)

    # -- files, clipboard, export ---------------------------------------------------------------

    def _image_folder(self) -> str:
        return str(self.settings.value("files/image_dir", str(Path.home())))

    def _on_open_image_triggered(self) -> None:
        name, _ = QFileDialog.getOpenFileName(
            self, "Open image", self._image_folder(), IMAGE_FILTER
        )
        if name:
            self.open_image(name)

    def _on_load_view_page_loaded(self, name: str) -> None:
        self.notice.hide()
        self.statusBar().showMessage(f"Read {name}", 4000)

    def _on_load_view_load_failed(self, message: str) -> None:
        self.show_notice(f"Could not read the image: {message}", "error")

    def _on_paste_triggered(self) -> None:
        if self.load_view.open_mime(QGuiApplication.clipboard().mimeData()):
            self.tabs.setCurrentIndex(LOAD)
        else:
            self.show_notice("The clipboard holds no image (copy an image or an image file).")

    def _on_undo_triggered(self) -> None:
        if self.tabs.currentIndex() == DRAW:
            self.draw_view.canvas.undo()
        elif self.tabs.currentIndex() == LOAD:
            self.load_view.undo()

    def _on_clear_triggered(self) -> None:
        if self.tabs.currentIndex() == DRAW:
            self.draw_view.canvas.clear()
        elif self.tabs.currentIndex() == LOAD:
            self.load_view.close_page()

    def _current_view(self) -> QWidget:
        return self.tabs.currentWidget()

    def _on_copy_view_triggered(self) -> None:
        copy_widget(self._current_view())
        self.statusBar().showMessage("Copied the view to the clipboard", 3000)

    def _on_copy_features_triggered(self) -> None:
        copy_widget(self.feature_view.export_widget())
        self.statusBar().showMessage("Copied the feature maps to the clipboard", 3000)

    def _on_save_view_triggered(self) -> None:
        self._save_png(self._current_view(), self.tabs.tabText(self.tabs.currentIndex()).lower())

    def _on_save_features_triggered(self) -> None:
        self._save_png(self.feature_view.export_widget(), "feature-maps")

    def _save_png(self, widget: QWidget, name: str) -> None:
        path = ask_png_path(self, Path(self._image_folder()) / f"{name}.png")
        if path is None:
            return
        try:
            self._on_export_saved(save_widget_png(widget, path))
        except OSError as exc:
            self.show_notice(str(exc), "error")

    def _on_export_saved(self, path: Path) -> None:
        self.statusBar().showMessage(f"Saved {path}", 5000)

    def _on_about_triggered(self) -> None:
        QMessageBox.about(
            self,
            "About the workbench",
            f"<b>LeNet digit workbench {__version__}</b><br>Draw or load digits, "
            "see the top-2 answers and every layer's feature maps.<br>"
            f"User data: {paths.home_dir()}",
        )

    def dragEnterEvent(self, event) -> None:
        self.load_view.dragEnterEvent(event)

    def dropEvent(self, event) -> None:
        if self.load_view.open_mime(event.mimeData()):
            self.tabs.setCurrentIndex(LOAD)
            event.acceptProposedAction()

    # -- settings -------------------------------------------------------------------------------

    def _on_draw_view_brush_changed(self, share: float) -> None:
        self.settings.setValue("draw/brush", share)

    def _on_draw_view_threshold_changed(self, threshold: float) -> None:
        self.settings.setValue("draw/threshold", threshold)
        self.load_view.set_threshold(threshold)

    def _restore_settings(self) -> None:
        s = self.settings
        geometry = s.value("window/geometry")
        if isinstance(geometry, QByteArray) and not geometry.isEmpty():
            self.restoreGeometry(geometry)
        else:
            self.resize(1280, 800)
        state = s.value("window/state")
        if isinstance(state, QByteArray) and not state.isEmpty():
            self.restoreState(state)
        self.draw_view.set_brush_width(
            float(s.value("draw/brush", self.draw_view.canvas.brush_width()))
        )
        threshold = float(s.value("draw/threshold", self.draw_view.threshold_value()))
        self.draw_view.set_threshold(threshold)
        self.load_view.set_threshold(threshold)
        tab = int(s.value("window/tab", DRAW))
        self.tabs.setCurrentIndex(tab if tab in (DRAW, LOAD) else DRAW)
        self.set_why(str(s.value("view/why", "false")).lower() == "true")

    def closeEvent(self, event) -> None:
        if self.train_view is not None:
            if not self.train_view.confirm_close(self):
                event.ignore()
                return
            self.train_view.shutdown()
        if self.evaluate_view is not None:
            self.evaluate_view.shutdown()
        self.settings.setValue("window/geometry", self.saveGeometry())
        self.settings.setValue("window/state", self.saveState())
        self.settings.setValue("window/tab", self.tabs.currentIndex())
        self.settings.sync()
        self._occlusion_timer.stop()
        self._model_jobs.wait()
        self.load_view.wait_for_jobs()
        super().closeEvent(event)
