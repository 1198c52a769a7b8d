"""The Anatomy view against hand computations: the textbook examples and the standard formulas."""

from __future__ import annotations

import json

import pytest

from workbench.core.model.spec import PRESETS
from workbench.gui.anatomy.anatomy_view import COLUMNS, EXAMPLES, AnatomyView

SHAPE, PARAMS, MACS, RF = (
    COLUMNS.index(c) for c in ("output shape", "parameters", "MACs", "receptive field")
)


def out_size(n: int, k: int, s: int = 1, p: int = 0, d: int = 1) -> int:
    """The standard formula: ⌊(n + 2p − d(k − 1) − 1) / s⌋ + 1."""
    return (n + 2 * p - d * (k - 1) - 1) // s + 1


def rows_by_name(view: AnatomyView) -> dict[str, list[str]]:
    return {row[0]: row for row in view.row_texts()}


@pytest.fixture
def view(qtbot):
    widget = AnatomyView()
    qtbot.addWidget(widget)
    widget.resize(1000, 700)
    return widget


def show_example(view: AnatomyView, title: str) -> dict[str, list[str]]:
    view.source_box.setCurrentIndex(view.source_box.findData(title))
    assert view.error() == ""
    return rows_by_name(view)


def test_alexnet_conv1(view):
    rows = show_example(view, "AlexNet's CONV1 on 227×227×3")
    side = out_size(227, 11, s=4)
    assert side == 55
    assert rows["conv1"][SHAPE] == "55×55×96"
    assert rows["conv1"][PARAMS] == f"{(11 * 11 * 3 + 1) * 96:,}" == "34,944"
    assert rows["conv1"][MACS] == f"{11 * 11 * 3 * 96 * 55 * 55:,}"


def test_two_conv3_layers_with_pooling_and_fc3(view):
    rows = show_example(view, "Conv3-10, Pool2, Conv3-10, Pool2, FC-3 on 28×28×1")
    assert [rows[n][SHAPE] for n in ("conv1", "pool1", "conv2", "pool2", "flatten")] == [
        "28×28×10",
        "14×14×10",
        "14×14×10",
        "7×7×10",
        "490",
    ]
    assert rows["conv1"][PARAMS] == str((3 * 3 * 1 + 1) * 10) == "100"
    assert rows["conv2"][PARAMS] == str((3 * 3 * 10 + 1) * 10) == "910"
    assert rows["fc"][PARAMS] == f"{(490 + 1) * 3:,}" == "1,473"
    assert rows["total"][PARAMS] == f"{100 + 910 + 1473:,}"
    # Receptive field: r += (k − 1)·j, j *= s, layer by layer.
    assert [rows[n][RF] for n in ("conv1", "pool1", "conv2", "pool2")] == [
        "3×3",
        "4×4",
        "8×8",
        "10×10",
    ]


def test_dilated_kernel(view):
    rows = show_example(view, "2×2 kernel, dilation 4, stride 2, pad 1 on 16×16")
    assert out_size(16, 2, s=2, p=1, d=4) == 7
    assert rows["conv1"][SHAPE] == "7×7×1"
    assert rows["conv1"][RF] == "5×5"  # a 2×2 kernel dilated by 4 spans 5 pixels


def test_lenet5_has_61706_parameters(view):
    view.source_box.setCurrentIndex(view.source_box.findData("lenet5"))
    rows = rows_by_name(view)
    conv1, conv2 = (5 * 5 * 1 + 1) * 6, (5 * 5 * 6 + 1) * 16
    fc = (16 * 5 * 5 + 1) * 120 + (120 + 1) * 84 + (84 + 1) * 10
    assert rows["total"][PARAMS] == f"{conv1 + conv2 + fc:,}" == "61,706"
    assert rows["pool2"][SHAPE] == "5×5×16" and rows["flatten"][SHAPE] == "400"
    classic = show_example(view, "LeNet-5 as in 1998 (32×32, tanh, average pooling)")
    assert classic["total"][PARAMS] == "61,706"
    assert classic["C1"][SHAPE] == "28×28×6" and classic["S2"][1] == "avg pool"
    assert classic["C1"][1] == "conv + tanh"


@pytest.mark.parametrize(
    ("size", "kernel", "stride", "padding", "dilation", "channels"),
    [(32, 7, 2, 3, 1, 8), (28, 3, 1, 2, 2, 4), (31, 4, 3, 0, 1, 5), (20, 3, 2, 1, 3, 2)],
)
def test_edited_spec_follows_the_standard_formulas(
    qtbot, view, size, kernel, stride, padding, dilation, channels
):
    conv_side = out_size(size, kernel, stride, padding, dilation)
    pool_side = out_size(conv_side, 3, 2)  # a 3×3 pool with stride 2
    spec = {
        "name": "homework",
        "input_shape": [3, size, size],
        "pooling": "avg",
        "layers": [
            {
                "kind": "conv",
                "name": "c",
                "channels": channels,
                "kernel": kernel,
                "stride": stride,
                "padding": padding,
                "dilation": dilation,
            },
            {"kind": "pool", "name": "p", "kernel": 3, "stride": 2},
            {"kind": "fc", "name": "out", "units": 10},
        ],
    }
    with qtbot.waitSignal(view.anatomy_updated, timeout=5000):
        view.editor.setPlainText(json.dumps(spec))  # as typed: the table follows
    rows = rows_by_name(view)
    assert rows["c"][SHAPE] == f"{conv_side}×{conv_side}×{channels}"
    assert rows["c"][PARAMS] == f"{(kernel * kernel * 3 + 1) * channels:,}"
    assert rows["c"][MACS] == f"{kernel * kernel * 3 * channels * conv_side**2:,}"
    span = dilation * (kernel - 1) + 1
    assert rows["c"][RF] == f"{span}×{span}"
    assert rows["p"][SHAPE] == f"{pool_side}×{pool_side}×{channels}"
    assert rows["p"][RF] == f"{span + 2 * stride}×{span + 2 * stride}"
    assert rows["p"][1] == "avg pool" and rows["p"][PARAMS] == "0"
    flat = channels * pool_side**2
    assert rows["out"][PARAMS] == f"{(flat + 1) * 10:,}"
    assert rows["total"][PARAMS] == f"{(kernel * kernel * 3 + 1) * channels + (flat + 1) * 10:,}"


def test_a_bad_spec_shows_the_error_naming_the_layer(view):
    view.source_box.setCurrentIndex(view.source_box.findData("lenet5"))
    good = view.row_texts()
    spec = PRESETS["lenet5"].to_dict()
    spec["layers"][2]["kernel"] = 15  # conv2 on a 14×14 input
    view.set_spec_text(json.dumps(spec))
    assert "layer 3 (conv2)" in view.error() and view.error_label.isVisibleTo(view)
    assert "layer 3 (conv2)" in view.error_label.text()
    assert not view.table.isEnabled() and view.row_texts() == good  # the last good one, greyed
    view.set_spec_text("{ not json")
    assert "not valid JSON" in view.error()
    view.set_spec_text(json.dumps(PRESETS["conv1"].to_dict()))
    assert view.error() == "" and view.table.isEnabled() and not view.error_label.isVisibleTo(view)


@pytest.fixture(scope="module")
def trained_like_model(tmp_path_factory):
    """A LeNet-5 built and exported to ONNX, with its initial random weights."""
    pytest.importorskip("torch")
    from workbench.core.model.export import export_onnx
    from workbench.core.model.network import build_network
    from workbench.core.recognition.predictor import Predictor

    net = build_network(PRESETS["lenet5"], seed=0).eval()
    path = tmp_path_factory.mktemp("anatomy") / "lenet5.onnx"
    export_onnx(net, path)
    return Predictor(path, device="cpu"), net


def test_current_model_table_and_conv_filters(view, trained_like_model):
    predictor, net = trained_like_model
    view.set_predictor(predictor)
    assert view.source_box.currentText() == "Current model: lenet5.onnx"
    assert rows_by_name(view)["total"][PARAMS] == f"{sum(p.numel() for p in net.parameters()):,}"
    assert view.filter_layers() == ["conv1", "conv2"]
    view.source_box.setCurrentIndex(view.source_box.findData("conv2"))
    assert view.filter_layers() == []  # a spec that is not the model's has no weights
    view.source_box.setCurrentIndex(0)
    assert view.filter_layers() == ["conv1", "conv2"]
    assert "61,706" in view.copy_table()


def test_every_example_is_a_valid_model(view):
    for title in EXAMPLES:
        show_example(view, title)


def test_presentation_size_makes_the_filters_three_times_as_large(view, trained_like_model):
    from workbench.gui.anatomy.anatomy_view import PRESENTATION_ZOOM

    predictor, _ = trained_like_model
    view.set_predictor(predictor)
    small = [picture.pixmap().size() for picture in view.filter_pictures()]
    assert len(small) == 2 and all(size.width() >= 80 for size in small)
    view.presentation_box.setChecked(True)
    large = [picture.pixmap().size() for picture in view.filter_pictures()]
    assert large == [size * PRESENTATION_ZOOM for size in small]
    assert large[0].width() >= 300  # readable on a projector
    view.set_predictor(predictor)  # filters drawn again keep the presentation size
    assert [picture.pixmap().size() for picture in view.filter_pictures()] == large
    view.presentation_box.setChecked(False)
    assert [picture.pixmap().size() for picture in view.filter_pictures()] == small
