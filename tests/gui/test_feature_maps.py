"""Feature maps: a tile per map of every layer, a colour scale per layer, live, click to enlarge."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt

from workbench.gui.maps.feature_maps import FeatureMapsView, MapGrid, grid_shape, layer_infos


@pytest.mark.parametrize(
    ("count", "shape"),
    [
        (20, (4, 5)),
        (6, (2, 3)),
        (16, (4, 4)),
        (1, (1, 1)),
        (32, (4, 8)),
        (7, (3, 3)),
        (10, (2, 5)),
        (64, (8, 8)),
    ],
)
def test_grid_shape(count, shape):
    assert grid_shape(count) == shape
    rows, cols = grid_shape(count)
    assert rows * cols >= count and (rows - 1) * cols < count


def test_one_tile_per_map_of_every_layer_of_the_loaded_model(window, predictor):
    view = window.feature_view
    activations = predictor.predict(np.zeros((1, 28, 28), np.float32)).activations
    assert view.layer_names() == ["input", *activations, "output"]
    for name, values in activations.items():
        assert view.tile_count(name) == values.shape[1], name
    if predictor.spec is not None and predictor.spec.name == "lenet5":
        counts = {name: view.tile_count(name) for name in view.layer_names()}
        assert counts == {
            "input": 1,
            "conv1": 6,
            "pool1": 6,
            "conv2": 16,
            "pool2": 16,
            "fc1": 120,
            "fc2": 84,
            "output": 10,
        }
        assert view.grid("conv1") == (2, 3) and view.grid("conv2") == (4, 4)


def test_maps_follow_the_drawing_on_one_scale_per_layer(window, qtbot, draw_digit):
    view = window.feature_view
    assert all(section.values is None for section in view.sections.values())
    # Before any input: one placeholder line, no empty frames of tiles.
    assert view.hint.isVisibleTo(view) and not view.scroll.isVisibleTo(view)
    assert "draw or load a digit" in view.hint.text().lower()
    draw_digit(window.draw_view.canvas, 7)
    conv1 = view.sections["conv1"]
    assert conv1.values is not None and conv1.values.shape[0] == 6
    low, high, _ = conv1.scale
    assert low <= conv1.values.min() and high == pytest.approx(conv1.values.max())
    assert not view.hint.isVisibleTo(view) and view.scroll.isVisibleTo(view)
    before = conv1.values.copy()
    window.draw_view.canvas.draw_stroke([(0.3, 0.55), (0.7, 0.55)])  # a cross bar: 7 → changes
    assert not np.array_equal(before, view.sections["conv1"].values)
    window.draw_view.canvas.clear()
    assert view.sections["conv1"].values is None
    assert view.hint.isVisibleTo(view) and not view.scroll.isVisibleTo(view)


def test_clicking_a_map_shows_it_large_with_its_values(window, qtbot, draw_digit):
    draw_digit(window.draw_view.canvas, 7)
    view = window.feature_view
    grid = view.sections["conv2"].body
    assert isinstance(grid, MapGrid)
    with qtbot.waitSignal(view.map_clicked) as clicked:
        qtbot.mouseClick(grid, Qt.MouseButton.LeftButton, pos=grid.tile_rect(5).center().toPoint())
    assert clicked.args == ["conv2", 5]
    dialog = view.detail_dialog()
    assert dialog is not None and dialog.isVisible()
    np.testing.assert_array_equal(dialog.detail._values, view.sections["conv2"].values[5])
    assert "conv2" in dialog.title.text() and "map 6 of 16" in dialog.title.text()
    assert "max" in dialog.stats.text()
    draw_digit(window.draw_view.canvas, 1)  # it follows the input while open
    np.testing.assert_array_equal(dialog.detail._values, view.sections["conv2"].values[5])


def test_hidden_view_renders_when_shown(qtbot, predictor):
    view = FeatureMapsView()
    qtbot.addWidget(view)
    view.set_layers(layer_infos(predictor))
    image = np.zeros((28, 28), np.float32)
    image[6:22, 12:16] = 1.0
    view.set_input(image, predictor.predict(image[None]))
    assert view.sections["conv1"].values is None  # not shown yet: nothing rendered
    view.show()
    qtbot.waitExposed(view)
    assert view.sections["conv1"].values is not None


def test_presentation_size_floats_the_dock_with_maps_three_times_larger(window, qtbot, draw_digit):
    view = window.feature_view
    assert not view.presentation_box.isVisibleTo(view)  # nothing to present before an input
    draw_digit(window.draw_view.canvas, 7)
    assert view.presentation_box.isVisibleTo(view)
    grid = view.sections["conv1"].body
    grid.resize(2000, grid.heightForWidth(2000))  # room enough: the largest tiles show
    usual = grid.tile_side()
    view.presentation_box.setChecked(True)
    assert window.feature_dock.isFloating()
    grid.resize(2000, grid.heightForWidth(2000))
    assert grid.tile_side() == pytest.approx(3 * usual)
    assert grid.tile_side() >= 300  # a 28×28 map about 300 px: readable on a projector
    view.presentation_box.setChecked(False)
    assert not window.feature_dock.isFloating()
    grid.resize(2000, grid.heightForWidth(2000))
    assert grid.tile_side() == pytest.approx(usual)
