"""The View menu lists every view, Help → Guide (F1) opens the current view's page, Ctrl+O opens
in the user's folder and never inside the package."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QStandardPaths, Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QFileDialog

from workbench.core import paths
from workbench.core.guide import VIEWS, page
from workbench.gui.menus import ANATOMY, LAB, sample_files


def menu_actions(window, title: str) -> dict[str, object]:
    menu = next(a.menu() for a in window.menuBar().actions() if a.text() == title)
    return {a.text().replace("&", ""): a for a in menu.actions() if a.text()}


def test_the_view_menu_lists_every_view_with_ctrl_digits_and_the_dock(
    window, qtbot, monkeypatch, tmp_path
):
    # Visiting every view builds Train and Evaluate: with no data they read nothing in the
    # background (this test is about the menu, not about evaluating MNIST).
    monkeypatch.setenv("WORKBENCH_DATA", str(tmp_path / "no-mnist"))
    actions = menu_actions(window, "&View")
    for index, title in enumerate(VIEWS):
        assert window.tabs.tabText(index) == title
        action = actions[title]
        assert action.shortcut() == QKeySequence(f"Ctrl+{index + 1}")
        action.trigger()
        assert window.tabs.currentIndex() == index
    assert window.tabs.currentIndex() == LAB and window.lab_view is not None
    dock = actions["Feature maps"]
    assert dock.isCheckable() and dock.shortcut() == QKeySequence("Ctrl+Shift+M")
    dock.trigger()
    assert not window.feature_dock.isVisible()
    dock.trigger()
    assert window.feature_dock.isVisible()
    shortcuts = [a.shortcut().toString() for a in actions.values() if not a.shortcut().isEmpty()]
    assert len(shortcuts) == len(set(shortcuts))  # no key does two things


def test_f1_opens_the_guide_at_the_current_views_page(window, qtbot):
    guide_action = menu_actions(window, "&Help")["Guide"]
    assert QKeySequence("F1") in guide_action.shortcuts()
    window.tabs.setCurrentIndex(ANATOMY)
    guide_action.trigger()
    guide = window.guide
    qtbot.waitExposed(guide)
    assert guide.current_view() == "Anatomy"
    assert "How many parameters does CONV2 have" in guide.text.toPlainText()
    assert guide.views.count() == len(VIEWS) + 1  # and the feature-map dock
    guide.close()
    window.tabs.setCurrentIndex(0)
    window.activateWindow()
    qtbot.keyClick(window.tabs, Qt.Key.Key_F1)  # the key itself, as a user presses it
    assert guide.isVisible()
    assert guide.current_view() == "Draw"
    assert page("Draw").question in guide.text.toPlainText()
    guide.views.setCurrentRow(guide.views.count() - 1)
    assert "conv1" in guide.text.toPlainText()
    guide.close()


def test_ctrl_o_opens_in_the_users_folder_not_the_samples(window, qtbot, monkeypatch, tmp_path):
    asked: list[str] = []
    answer = {"name": ""}

    def fake_dialog(parent, caption, folder, filters):
        asked.append(folder)
        return answer["name"], ""

    monkeypatch.setattr(QFileDialog, "getOpenFileName", staticmethod(fake_dialog))
    open_action = menu_actions(window, "&File")["Open image…"]
    assert open_action.shortcut() == QKeySequence(QKeySequence.StandardKey.Open)
    pictures = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.PicturesLocation)
    fallback = pictures if Path(pictures).is_dir() else str(Path.home())
    open_action.trigger()
    assert asked[-1] == fallback
    # Opening a sample (File → Open sample) does not make the samples folder the next start.
    if sample_files():
        assert window.open_image(sample_files()[0])
        window.load_view.wait_for_jobs()
        open_action.trigger()
        assert asked[-1] == fallback
    # A folder stored by an older version inside the package is not used either.
    window.settings.setValue("files/image_dir", str(paths.ASSETS_DIR / "samples"))
    open_action.trigger()
    assert asked[-1] == fallback
    # The user's own image: its folder is where the dialog opens next time, and it is kept.
    mine = tmp_path / "photos"
    mine.mkdir()
    image = mine / "digits.png"
    image.write_bytes(sample_files()[0].read_bytes() if sample_files() else b"")
    answer["name"] = str(image)
    open_action.trigger()
    window.load_view.wait_for_jobs()
    answer["name"] = ""
    open_action.trigger()
    assert asked[-1] == str(mine.resolve())
    assert window.settings.value("files/image_dir") == str(mine.resolve())
