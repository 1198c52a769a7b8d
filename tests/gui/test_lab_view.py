"""The Lab tab: worked examples load, the window steps over the padded input, numbers are shown."""

from __future__ import annotations

import subprocess
import sys

import pytest
from PySide6.QtCore import QSize, Qt

from workbench.core.lab.examples import EXAMPLES
from workbench.gui.lab.lab_view import LabView
from workbench.gui.lab.matrix_grid import FILLER, PICKED, SPAN, TAP, UNREAD


@pytest.fixture
def lab(qtbot):
    view = LabView()
    qtbot.addWidget(view)
    view.resize(1280, 720)
    view.show()
    qtbot.waitExposed(view)
    return view


def grid_texts(grid) -> list[list[str]]:
    return [[grid.text_at(i, j) for j in range(grid.columnCount())] for i in range(grid.rowCount())]


def highlighted(grid, colour) -> set[tuple[int, int]]:
    return {
        (i, j)
        for i in range(grid.rowCount())
        for j in range(grid.columnCount())
        if grid.colour_at(i, j) == colour.name()
    }


def test_conv_example_steps_through_every_cell(lab, qtbot):
    lab.load_example(EXAMPLES[0])
    page = lab.conv_page
    assert lab.tabs.currentWidget() is page
    steps = page.steps
    assert grid_texts(steps.output) == [["15", "16"], ["6", "15"]]
    assert "⌊1/1⌋ + 1 = 2" in page.formula.text()
    assert highlighted(steps.grid, TAP) == {(i, j) for i in range(3) for j in range(3)}
    assert steps.arithmetic.toPlainText().endswith("= 15")
    qtbot.mouseClick(steps.next_button, Qt.MouseButton.LeftButton)
    assert steps.index == 1
    assert highlighted(steps.grid, TAP) == {(i, j) for i in range(3) for j in range(1, 4)}
    assert highlighted(steps.output, TAP) == {(0, 1)}
    assert steps.arithmetic.toPlainText() == (
        "out[0,1] = 2·2 + 3·0 + 0·1 + 1·0 + 2·1 + 3·2 + 0·1 + 1·0 + 2·2 = 16"
    )
    steps.output.cellClicked.emit(1, 0)  # clicking an output cell jumps to it
    assert steps.index == 2 and steps.arithmetic.toPlainText().endswith("= 6")
    steps.show_step(3)
    assert not steps.next_button.isEnabled() and steps.previous_button.isEnabled()


def test_same_padding_greys_the_border_and_keeps_the_size(lab):
    lab.load_example(EXAMPLES[1])
    steps = lab.conv_page.steps
    assert steps.output.rowCount() == 4 and steps.output.columnCount() == 4
    assert steps.grid.rowCount() == 6
    assert steps.grid_title.text() == "padded input (6×6)"
    assert steps.grid.text_at(0, 0) == "0" and steps.grid.text_at(1, 1) == "1"
    steps.show_step(15)  # the last window sits in the bottom-right corner, over padding
    assert steps.grid.colour_at(5, 5) == TAP.name()
    assert steps.grid.colour_at(0, 0) == FILLER.name()


def test_cells_the_floor_drops_are_marked(lab):
    lab.load_example(EXAMPLES[2])  # 6×6, 3×3, stride 2: ⌊3/2⌋ leaves the last row and column
    page = lab.conv_page
    assert "floor drops the last 1 row and column" in page.formula.text()
    steps = page.steps
    assert steps.grid_title.text() == "input (6×6)"  # no padding: nothing added
    assert highlighted(steps.grid, UNREAD) == {(5, j) for j in range(6)} | {
        (i, 5) for i in range(6)
    }
    steps.show_step(3)
    assert highlighted(steps.grid, TAP) == {(i, j) for i in range(2, 5) for j in range(2, 5)}


def test_typing_a_matrix_recomputes_and_errors_are_shown(lab, qtbot):
    page = lab.conv_page
    page.input_edit.setPlainText("[[1, 2], [3, 4]]")
    page.kernel_edit.setPlainText("1 -1")
    page.compute()
    assert grid_texts(page.steps.output) == [["-1"], ["-1"]]
    page.dilation.setValue(2)
    page.compute()
    assert page.error.isVisible()
    assert "larger than the padded input" in page.error.text()
    assert page.steps.output.rowCount() == 0
    page.padding.setValue(1)
    page.compute()
    assert not page.error.isVisible() and page.steps.output.rowCount() == 4
    page.input_edit.set_matrix([[1] * 50] * 50)
    page.compute()
    assert "too large to step through here" in page.error.text()
    page.input_edit.setPlainText("1 2\n3")
    qtbot.waitUntil(lambda: "different lengths" in page.error.text(), timeout=2000)


def test_dilation_marks_the_taps_and_the_span_between(lab):
    page = lab.conv_page
    page.input_edit.set_matrix([[r * 5 + c for c in range(5)] for r in range(5)])
    page.kernel_edit.set_matrix([[1, 0], [0, 1]])
    page.stride.setValue(1)
    page.padding.setValue(0)
    page.dilation.setValue(2)
    page.compute()
    steps = page.steps
    assert highlighted(steps.grid, TAP) == {(0, 0), (0, 2), (2, 0), (2, 2)}
    assert highlighted(steps.grid, SPAN) == {(0, 1), (1, 0), (1, 1), (1, 2), (2, 1)}
    assert steps.arithmetic.toPlainText() == "out[0,0] = 0·1 + 2·0 + 10·0 + 12·1 = 12"


def test_pooling_marks_the_maximum_and_averages(lab):
    lab.load_example(EXAMPLES[3])
    steps = lab.pool_page.steps
    assert grid_texts(steps.output) == [["6", "8"], ["3", "4"]]
    assert highlighted(steps.grid, PICKED) == {(1, 1)}
    assert not steps.kernel.isVisible()
    lab.load_example(EXAMPLES[4])
    assert grid_texts(steps.output) == [["3.25", "5.25"], ["2", "2"]]
    assert steps.arithmetic.toPlainText() == "out[0,0] = (1 + 1 + 5 + 6) / 4 = 3.25"


def test_alexnet_conv1_is_shape_only(lab):
    lab.load_example(EXAMPLES[5])
    page = lab.size_page
    assert lab.tabs.currentWidget() is page
    assert page.result.text().endswith("⌊216/4⌋ + 1 = 55")
    assert "34,944 parameters" in page.remark.text()
    page.stride.setValue(3)
    assert page.result.text().endswith("= 73")
    assert "division is exact" in page.remark.text()  # 216 = 3·72
    page.n.setValue(228)
    page.stride.setValue(4)
    assert "drops the last 1 row and column" in page.remark.text()


def test_gradients_page_shows_dw_dx_and_the_step(lab):
    lab.load_example(EXAMPLES[6])
    page = lab.grad_page
    assert grid_texts(page.results["dw"]) == [["5", "7", "1"], ["-1", "5", "7"], ["1", "-1", "5"]]
    assert grid_texts(page.results["w_new"])[0] == ["1.95", "-0.07", "0.99"]
    assert page.result_titles["w_new"].text() == "W − 0.01·dW (3×3)"
    assert page.steps.arithmetic.toPlainText() == "dW[0,0] = 1·1 + 2·2 + 0·(-1) + 1·0 = 5"
    page.walk_choice.setCurrentIndex(1)
    assert page.steps.kernel_title.text() == "W rotated 180° (3×3)"
    assert grid_texts(page.steps.kernel)[0] == [
        "2",
        "0",
        "1",
    ]  # rot180 of [[2,0,1],[0,1,2],[1,0,2]]
    assert page.steps.grid.rowCount() == 6  # dY padded by F − 1 = 2 on each side
    page.upstream_edit.setPlainText("1 2 3")
    page.compute()
    assert "dY must have the output's shape, 2×2" in page.error.text()
    page.ones_button.click()
    assert page.upstream_edit.matrix().tolist() == [[1, 1], [1, 1]]
    assert not page.error.isVisible()


def test_network_page_shows_the_chain_rule(lab):
    lab.load_example(EXAMPLES[7])
    page = lab.net_page
    assert page.value_of("f") == "0.5" and page.value_of("L") == "10.125"
    assert page.value_of("∂L/∂w₂") == "-0.8224" and page.value_of("∂L/∂w₁") == "0"
    assert page.value_of("w₂ new") == "0.4112"
    assert page.value_of("∂L/∂w₂ for (f − y)²") == "-1.6449"
    page.w2.setValue(1.0)
    assert page.value_of("∂L/∂w₁") != "0"
    assert page.net.dl_dw1 == pytest.approx(page.net.dl_dh * page.net.h * (1 - page.net.h))


def test_examples_combo_loads_and_signals(lab, qtbot):
    with qtbot.waitSignal(lab.example_loaded) as blocker:
        lab.examples.setCurrentIndex(4)
        lab.examples.activated.emit(4)
    assert blocker.args == [EXAMPLES[3].title]
    assert lab.tabs.currentWidget() is lab.pool_page


def test_play_walks_to_the_end(lab, qtbot):
    lab.load_example(EXAMPLES[0])
    steps = lab.conv_page.steps
    steps.timer.setInterval(10)
    steps.play_button.setChecked(True)
    qtbot.waitUntil(lambda: not steps.play_button.isChecked(), timeout=3000)
    assert steps.index == 3


@pytest.mark.parametrize("size", [QSize(1366, 768), QSize(1280, 720)])
def test_every_page_fits_the_screen_without_growing(qtbot, size):
    view = LabView()
    qtbot.addWidget(view)
    view.resize(size)
    view.show()
    qtbot.waitExposed(view)
    for index, example in enumerate(EXAMPLES):
        view.load_example(example)
        qtbot.wait(1)
        assert view.size() == size, (index, view.size())
    assert view.minimumSizeHint().width() <= 1000
    assert view.minimumSizeHint().height() <= 560


def test_the_lab_view_does_not_load_torch():
    code = (
        "import sys\nfrom workbench.gui.lab.lab_view import LabView\nprint('torch' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"
