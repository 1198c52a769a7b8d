"""A first convolution on a one-channel image, rewritten for int8 as four phases of its pool.

onnxruntime's int8 convolution is slow on one input channel: LeNet-5's first layer (1 → 6
channels, 5×5) took three quarters of an int8 pass over the test set, more than the whole
float pass. The same layer on the image folded into 2×2 blocks (SpaceToDepth: 4 channels of
half the size) is a 3×3 convolution with 4 × C outputs: one set of C for each position in a
2×2 pooling window (its phase). The 2×2 max pool is the largest of the four phases (ReLU
commutes with a max), and the layer's full-size output, shown as feature maps, is the phases
put back in place (DepthToSpace). Exact in float: the same products, summed in another order.

    Pad → SpaceToDepth(2) → Conv(4 → 4C, ⌈(k+1)/2⌉²) ┬ Reshape [N, 4, C, h, w] → ReduceMax → Relu
                                                   └ DepthToSpace(2) (→ Relu): the layer's maps
The logits-only session (`onnx_wire.keep_outputs`) drops the maps' branch.
"""

from __future__ import annotations

import numpy as np

PHASES = 4  # a 2×2 pooling window


def pool_by_phases(model) -> bool:
    """Rewrite `model` (an onnx.ModelProto, in place) when it begins Conv(1 → C, k×k, stride 1)
    → Relu → MaxPool(2×2, stride 2) on a fixed-size image whose convolution output has even
    sides; True if it did. Every value keeps its name: the layers' outputs stay outputs."""
    from onnx import helper, numpy_helper

    graph = model.graph
    found = _first_block(graph)
    if found is None:
        return False
    conv, relu, pool, height, width = found
    initial = {t.name: t for t in graph.initializer}
    weight = numpy_helper.to_array(initial[conv.input[1]]).astype(np.float32)
    bias = (
        numpy_helper.to_array(initial[conv.input[2]]).astype(np.float32)
        if len(conv.input) > 2 and conv.input[2]
        else np.zeros(weight.shape[0], np.float32)
    )
    channels, _, k, _ = weight.shape
    top, left, bottom, right = _pads(conv)
    out_h, out_w = height + top + bottom - k + 1, width + left + right - k + 1
    if out_h % 2 or out_w % 2 or out_h < 2 or out_w < 2:
        return False  # the pool drops a row or column the maps would need
    pooled_h, pooled_w = out_h // 2, out_w // 2
    taps = (k + 2) // 2  # a k-tap window at either phase spans this many 2×2 blocks
    # The padded image must hold (pooled + taps - 1) blocks: pad or crop the far edges to it.
    need_h, need_w = 2 * (pooled_h + taps - 1), 2 * (pooled_w + taps - 1)
    bottom += need_h - (height + top + bottom)
    right += need_w - (width + left + right)
    prefix = conv.name or "conv"
    names = {
        key: f"{prefix}_phases_{key}"
        for key in ("pads", "padded", "blocks", "w", "b", "all", "shape", "grid", "axes", "max")
    }
    nodes = [
        helper.make_node(
            "Pad", [conv.input[0], names["pads"]], [names["padded"]], name=names["padded"]
        ),
        helper.make_node(
            "SpaceToDepth", [names["padded"]], [names["blocks"]], blocksize=2, name=names["blocks"]
        ),
        helper.make_node(
            "Conv",
            [names["blocks"], names["w"], names["b"]],
            [names["all"]],
            kernel_shape=[taps, taps],
            name=names["all"],
        ),
        # the layer as it was, pixel by pixel: phase (di, dj) of channel c is DCR's order
        helper.make_node(
            "DepthToSpace", [names["all"]], [conv.output[0]], blocksize=2, mode="DCR", name=prefix
        ),
        helper.make_node("Relu", [conv.output[0]], [relu.output[0]], name=relu.name),
        helper.make_node("Reshape", [names["all"], names["shape"]], [names["grid"]]),
        _reduce_max(helper, model, names["grid"], names["axes"], names["max"]),
        helper.make_node("Relu", [names["max"]], [pool.output[0]], name=pool.name),
    ]
    tensors = {
        "pads": np.array([0, 0, top, left, 0, 0, bottom, right], np.int64),
        "w": phase_weights(weight[:, 0], taps),
        "b": np.tile(bias, PHASES),
        "shape": np.array([0, PHASES, channels, pooled_h, pooled_w], np.int64),
        "axes": np.array([1], np.int64),
    }
    graph.initializer.extend(numpy_helper.from_array(v, names[key]) for key, v in tensors.items())
    at = list(graph.node).index(conv)
    for node in (conv, relu, pool):
        graph.node.remove(node)
    still_read = {name for node in graph.node for name in node.input}
    for name in conv.input[1:]:
        if name and name not in still_read and name in initial:
            graph.initializer.remove(initial[name])
    for offset, node in enumerate(nodes):
        graph.node.insert(at + offset, node)
    return True


def phase_weights(kernel: np.ndarray, taps: int) -> np.ndarray:
    """[C, k, k] kernels → [4C, 4, taps, taps]: output (phase di·2+dj, c) over input block
    channel p·2+q (SpaceToDepth's order) at block offset (a, b) is kernel[c, 2a+p-di, 2b+q-dj]
    (zero outside the kernel)."""
    channels, k, _ = kernel.shape
    out = np.zeros((PHASES, channels, PHASES, taps, taps), np.float32)
    for di in range(2):
        for dj in range(2):
            for p in range(2):
                for q in range(2):
                    for a in range(taps):
                        for b in range(taps):
                            u, v = 2 * a + p - di, 2 * b + q - dj
                            if 0 <= u < k and 0 <= v < k:
                                out[2 * di + dj, :, 2 * p + q, a, b] = kernel[:, u, v]
    return out.reshape(PHASES * channels, PHASES, taps, taps)


def _first_block(graph):
    """(conv, relu, pool, height, width) of the pattern, or None."""
    from onnx import helper

    if len(graph.input) != 1:
        return None
    dims = graph.input[0].type.tensor_type.shape.dim
    if len(dims) != 4 or not all(d.HasField("dim_value") for d in dims[1:]):
        return None
    if dims[1].dim_value != 1:
        return None
    height, width = dims[2].dim_value, dims[3].dim_value
    consumers: dict[str, list] = {}
    for node in graph.node:
        for name in node.input:
            consumers.setdefault(name, []).append(node)
    conv = next((n for n in graph.node if n.op_type == "Conv"), None)
    if conv is None:
        return None
    attrs = {a.name: helper.get_attribute_value(a) for a in conv.attribute}
    initial = {t.name: t for t in graph.initializer}
    if conv.input[1] not in initial:
        return None
    shape = list(initial[conv.input[1]].dims)
    if len(shape) != 4 or shape[1] != 1 or shape[2] != shape[3]:
        return None
    if any(v != 1 for v in attrs.get("strides", [1, 1]) + attrs.get("dilations", [1, 1])):
        return None
    if attrs.get("group", 1) != 1 or attrs.get("auto_pad", b"NOTSET") not in (b"NOTSET", "NOTSET"):
        return None
    following = consumers.get(conv.output[0], [])
    if len(following) != 1 or following[0].op_type != "Relu":
        return None
    relu = following[0]
    following = consumers.get(relu.output[0], [])
    if len(following) != 1 or following[0].op_type != "MaxPool":
        return None
    pool = following[0]
    pool_attrs = {a.name: helper.get_attribute_value(a) for a in pool.attribute}
    if (
        list(pool_attrs.get("kernel_shape", [])) != [2, 2]
        or list(pool_attrs.get("strides", [1, 1])) != [2, 2]
        or any(pool_attrs.get("pads", [0, 0, 0, 0]))
        or pool_attrs.get("ceil_mode", 0)
        or any(v != 1 for v in pool_attrs.get("dilations", [1, 1]))
        or len(pool.output) != 1
    ):
        return None
    return conv, relu, pool, height, width


def _pads(conv) -> list[int]:
    from onnx import helper

    for attribute in conv.attribute:
        if attribute.name == "pads":
            top, left, bottom, right = helper.get_attribute_value(attribute)
            return [int(top), int(left), int(bottom), int(right)]
    return [0, 0, 0, 0]


def _reduce_max(helper, model, source: str, axes: str, out: str):
    """ReduceMax over axis 1; its axes are an input from opset 18, an attribute before."""
    opset = next((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), 0)
    if opset >= 18:
        return helper.make_node("ReduceMax", [source, axes], [out], keepdims=0, name=out)
    return helper.make_node("ReduceMax", [source], [out], axes=[1], keepdims=0, name=out)
