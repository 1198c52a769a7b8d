"""Every view fits a 1280×720 and a 1366×768 screen: opening it, or what it does, never widens
(or heightens) the window."""

from __future__ import annotations

import dataclasses
import time

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from workbench.gui.menus import ANATOMY, DRAW, EVALUATE, LAB, LOAD, TRAIN, sample_files

RUN_TIMEOUT = 120_000


def settle(seconds: float = 0.05) -> None:
    """Let the layouts and queued resizes run (they grow a window on the next passes)."""
    end = time.monotonic() + seconds
    while True:
        QApplication.processEvents()
        if time.monotonic() >= end:
            return


def assert_fits(window, size: tuple[int, int], where: str) -> None:
    settle()
    width, height = size
    grown = window.width() > width or window.height() > height
    assert not grown, f"{where}: the window grew to {window.width()}×{window.height()}"
    minimum = window.minimumSizeHint()
    assert minimum.width() <= width and minimum.height() <= height, (
        f"{where}: the window needs at least {minimum.width()}×{minimum.height()}"
    )


@pytest.mark.parametrize("size", [(1280, 720), (1366, 768)], ids=["1280x720", "1366x768"])
def test_every_view_fits_without_growing_the_window(
    qtbot, predictor, model_path, tiny_mnist_dir, monkeypatch, draw_digit, size
):
    from workbench.gui.main_window import MainWindow

    monkeypatch.setenv("WORKBENCH_DATA", str(tiny_mnist_dir))
    window = MainWindow(predictor, model_path)
    qtbot.addWidget(window)
    window.resize(*size)
    window.show()
    qtbot.waitExposed(window)
    assert_fits(window, size, "start")

    # Draw, with the occlusion map and its legend under the input.
    draw_digit(window.draw_view.canvas, 7)
    window.set_why(True)
    qtbot.waitUntil(lambda: window.last_occlusion is not None, timeout=5000)
    assert_fits(window, size, "Draw with the occlusion map")

    # Load, with a page of digits in the strip.
    window.tabs.setCurrentIndex(LOAD)
    if sample_files():
        with qtbot.waitSignal(window.load_view.page_loaded, timeout=20_000):
            assert window.open_image(sample_files()[0])
        assert window.load_view.page.digits
    assert_fits(window, size, "Load")

    for index, name in ((EVALUATE, "Evaluate"), (ANATOMY, "Anatomy"), (LAB, "Lab")):
        window.tabs.setCurrentIndex(index)
        assert_fits(window, size, name)

    # Train: a short run (its live status and curves), then Across epochs with its maps.
    window.tabs.setCurrentIndex(TRAIN)
    view = window.train_view
    assert_fits(window, size, "Train")
    # The window checks the folder with checksums first (generated digits fail them); a new
    # source given while that check runs would be dropped, so wait for it.
    qtbot.waitUntil(lambda: not view.data_panel.is_busy(), timeout=30_000)
    view.set_data_source(tiny_mnist_dir, verify=False)
    qtbot.waitUntil(view.data_panel.is_ready, timeout=30_000)
    config = dataclasses.replace(
        view.form.config(),
        epochs=2,
        batch_size=50,
        val_size=200,
        augment=False,
        schedule="constant",
    )
    seen: set[tuple[int, int]] = set()  # the window's size while the run's status and curves move
    watch = QTimer(window, interval=20)
    watch.timeout.connect(lambda: seen.add((window.width(), window.height())))
    watch.start()
    with qtbot.waitSignal(view.run_finished, timeout=RUN_TIMEOUT) as finished:
        assert view.start(config, "a run with a long name, as people name their runs")
        qtbot.waitUntil(view.is_training, timeout=10_000)
        assert_fits(window, size, "Train while a run starts")
    watch.stop()
    assert len(seen) == 1 and seen == {size}, f"during the run the window was {sorted(seen)}"
    assert_fits(window, size, "Train after a run")
    view.tabs.setCurrentWidget(view.scrubber)
    view.scrubber.set_run(finished.args[0])
    view.scrubber.show_epoch(1)
    assert_fits(window, size, "Train → Across epochs")

    window.tabs.setCurrentIndex(DRAW)
    assert_fits(window, size, "back to Draw")
    window.close()
