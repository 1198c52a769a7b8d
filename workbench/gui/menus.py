"""The main window's menu bar and the commands behind its entries: files, clipboard, export,
the model menu, about. A mixin of MainWindow, which holds the views these commands act on."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QStandardPaths
from PySide6.QtGui import QAction, QGuiApplication, QKeySequence
from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

from workbench import __version__
from workbench.core import paths
from workbench.core.guide import VIEWS
from workbench.core.model.quantize import int8_sibling, is_int8_path
from workbench.gui.load.load_view import IMAGE_FILTER, sample_title
from workbench.gui.widgets.export_image import ask_png_path, copy_widget, save_widget_png
from workbench.gui.widgets.model_choice import ModelMenu, ask_model_path, describe_model

DRAW, LOAD, TRAIN, EVALUATE, ANATOMY, LAB = 0, 1, 2, 3, 4, 5
VIEW_TITLES = VIEWS  # the tabs' titles, in this order (the guide has a page for each)


def _in_package(folder: Path) -> bool:
    """True for the installed package's own folders (the samples, the shipped models)."""
    folder = folder.resolve()
    package = (paths.PACKAGE_DIR.resolve(), paths.ASSETS_DIR.resolve())
    return any(folder.is_relative_to(inside) for inside in package)


def sample_files() -> list[Path]:
    folder = paths.ASSETS_DIR / "samples"
    return sorted(p for p in folder.glob("*") if p.suffix.lower() in (".png", ".jpg", ".jpeg"))


class WindowMenus:
    """Menus and their commands; mixed into MainWindow (a QMainWindow) before QMainWindow."""

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
        self._action(
            file,
            "&Save view as image (PNG, 2× PNG, SVG)…",
            self._on_save_view_triggered,
            "Ctrl+Shift+S",
        )
        self._action(file, "Save &feature maps as PNG…", self._on_save_features_triggered)
        self._action(
            file,
            "Export &report…",
            self._on_export_report_triggered,
            "Ctrl+R",
            "A self-contained HTML (and PDF) report for a homework",
        )
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
        self.model_menu.int8_toggled.connect(self._on_model_menu_int8_toggled)
        bar.addMenu(self.model_menu)

        view = bar.addMenu("&View")
        self.view_actions = []
        for index, title in enumerate(VIEW_TITLES):
            action = self._action(
                view, f"&{title}", lambda _=False, i=index: self.tabs.setCurrentIndex(i)
            )
            action.setShortcut(QKeySequence(f"Ctrl+{index + 1}"))
            self.view_actions.append(action)
        view.addSeparator()
        toggle = self.feature_dock.toggleViewAction()
        toggle.setText("&Feature maps")
        toggle.setShortcut(QKeySequence("Ctrl+Shift+M"))
        toggle.setStatusTip("Show or hide the feature-map dock")
        view.addAction(toggle)
        self.why_action = self._action(
            view, "&Why this digit?", self.set_why, "Ctrl+I", "Occlusion map over the 28×28 input"
        )
        self.why_action.setCheckable(True)

        help_menu = bar.addMenu("&Help")
        self.guide = None  # built on first use
        self.guide_action = self._action(
            help_menu,
            "&Guide",
            self._on_guide_triggered,
            QKeySequence.StandardKey.HelpContents,
            "What each view shows, what to try, and the homework question it answers",
        )
        self.guide_action.setShortcut(QKeySequence("F1"))
        self._action(help_menu, "&About", self._on_about_triggered)

    # -- files, clipboard, export ---------------------------------------------------------------

    def _image_folder(self) -> str:
        """Where the file dialogs open: the user's last image folder, else Pictures, else home;
        never a folder inside the installed package (File → Open sample is for the samples)."""
        last = str(self.settings.value("files/image_dir", "") or "")
        if last and Path(last).is_dir() and not _in_package(Path(last)):
            return last
        pictures = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.PicturesLocation)
        return pictures if pictures and Path(pictures).is_dir() else str(Path.home())

    def _remember_image_folder(self, path: str | Path) -> None:
        folder = Path(path).resolve().parent
        if not _in_package(folder):
            self.settings.setValue("files/image_dir", str(folder))

    def _on_open_image_triggered(self) -> None:
        name, _ = QFileDialog.getOpenFileName(
            self, "Open image", self._image_folder(), IMAGE_FILTER
        )
        if name:
            self.open_image(name)

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

    def _on_guide_triggered(self) -> None:
        """Open the guide at the page of the current tab."""
        from workbench.gui.widgets.guide_dialog import GuideDialog

        if self.guide is None:
            self.guide = GuideDialog(self)
        self.guide.show_page(self.tabs.tabText(self.tabs.currentIndex()).replace("&", ""))
        self.guide.show()
        self.guide.raise_()
        self.guide.activateWindow()

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

    def _on_export_report_triggered(self) -> None:
        from workbench.gui.report.report_dialog import ReportDialog

        evaluation = images = None
        view = self.evaluate_view
        if view is not None and view.result() is not None and not view.is_stored():
            evaluation, images = view.result(), view.test_images()
        ReportDialog(
            self.predictor,
            self.input_log,
            evaluation=evaluation,
            test_images=images,
            chosen_input=self.current_input()[0],
            parent=self,
        ).exec()

    # -- the model menu ---------------------------------------------------------------------------

    def _on_model_menu_open_requested(self) -> None:
        folder = str(self.settings.value("files/model_dir", str(Path.home())))
        path = ask_model_path(self, folder)
        if path is not None:
            self.settings.setValue("files/model_dir", str(path.parent))
            self.open_model(path)

    def _on_model_menu_shipped_requested(self) -> None:
        self.open_model(paths.SHIPPED_MODEL)

    def _on_model_menu_int8_toggled(self, on: bool) -> None:
        current = self.model_source or (self.predictor.path if self.predictor else None)
        twin = int8_sibling(current) if current is not None else None
        if twin is None or is_int8_path(twin) != on:
            self.model_menu.set_model(current)  # nothing to switch to: undo the tick
            return
        if not self.open_model(twin):
            self.model_menu.set_model(current)

    def _on_model_menu_device_chosen(self, device: str) -> None:
        self.device = device
        self.settings.setValue("model/device", device)
        if self.predictor is not None:
            self.open_model(self.model_source or self.predictor.path, device)

    def _on_model_menu_about_requested(self) -> None:
        text = describe_model(self.predictor) if self.predictor else "No model is loaded."
        QMessageBox.information(self, "About this model", text)
