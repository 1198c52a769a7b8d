"""Keep only some graph outputs of a serialised ONNX model, editing the protobuf bytes directly.

`import onnx` costs seconds on a busy machine; the lean logits-only session must not pay that.
ONNX models are protobuf: ModelProto field 7 is the graph, GraphProto field 1 its nodes
(NodeProto: 1 inputs, 2 outputs, 4 op type) and 12 its outputs (ValueInfoProto, whose field 1
is the name). Nodes that no kept output needs are dropped (onnxruntime runs every node it is
given); everything else is copied byte for byte.
"""

from __future__ import annotations

from collections.abc import Iterator

_MODEL_GRAPH, _GRAPH_NODE, _GRAPH_OUTPUT, _VALUE_INFO_NAME = 7, 1, 12, 1
_NODE_INPUT, _NODE_OUTPUT, _NODE_OP_TYPE = 1, 2, 4
_SUBGRAPH_OPS = {"If", "Loop", "Scan"}  # their bodies read names no input lists: keep all
_LENGTH_DELIMITED = 2


class WireError(ValueError):
    """The bytes are not a protobuf message of the expected shape."""


def _varint(data: bytes | memoryview, pos: int) -> tuple[int, int]:
    value, shift = 0, 0
    while True:
        if pos >= len(data) or shift > 63:
            raise WireError("truncated or overlong varint")
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, pos
        shift += 7


def _encode_varint(value: int) -> bytes:
    out = bytearray()
    while True:
        low = value & 0x7F
        value >>= 7
        if value:
            out.append(low | 0x80)
        else:
            out.append(low)
            return bytes(out)


def _fields(data: bytes | memoryview) -> Iterator[tuple[int, int, int, int, int]]:
    """Per field: (number, wire type, start of the field, start of its payload, end)."""
    pos = 0
    while pos < len(data):
        start = pos
        key, pos = _varint(data, pos)
        number, wire = key >> 3, key & 7
        if wire == 0:
            _, end = _varint(data, pos)
        elif wire == 1:
            end = pos + 8
        elif wire == 5:
            end = pos + 4
        elif wire == _LENGTH_DELIMITED:
            length, pos = _varint(data, pos)
            end = pos + length
        else:
            raise WireError(f"unsupported wire type {wire}")
        if end > len(data):
            raise WireError("a field runs past the end of the message")
        yield number, wire, start, pos, end
        pos = end


def _strings(message: memoryview, field: int) -> list[str]:
    return [
        bytes(message[begin:end]).decode("utf-8")
        for number, wire, _, begin, end in _fields(message)
        if number == field and wire == _LENGTH_DELIMITED
    ]


def _name(value_info: memoryview) -> str | None:
    names = _strings(value_info, _VALUE_INFO_NAME)
    return names[0] if names else None


def _needed_nodes(graph: memoryview, outputs: set[str]) -> set[int]:
    """Start offsets of the nodes that the named outputs depend on (nodes are in order)."""
    nodes = [
        (start, _strings(graph[begin:end], _NODE_INPUT), _strings(graph[begin:end], _NODE_OUTPUT))
        for number, wire, start, begin, end in _fields(graph)
        if number == _GRAPH_NODE and wire == _LENGTH_DELIMITED
    ]
    ops = {
        op
        for number, wire, _, begin, end in _fields(graph)
        if number == _GRAPH_NODE and wire == _LENGTH_DELIMITED
        for op in _strings(graph[begin:end], _NODE_OP_TYPE)
    }
    if ops & _SUBGRAPH_OPS:
        return {start for start, _, _ in nodes}
    wanted, kept = set(outputs), set()
    for start, inputs, produced in reversed(nodes):
        if wanted.intersection(produced):
            kept.add(start)
            wanted.update(inputs)
    return kept


def _length_delimited(number: int, payload: bytes) -> bytes:
    return _encode_varint(number << 3 | _LENGTH_DELIMITED) + _encode_varint(len(payload)) + payload


def keep_outputs(model: bytes, names: set[str] | frozenset[str]) -> bytes:
    """`model` with only the graph outputs named in `names`, in their order there, and only
    the nodes they need."""
    data = memoryview(model)
    out = bytearray()
    found = False
    for number, wire, start, begin, end in _fields(data):
        if number != _MODEL_GRAPH or wire != _LENGTH_DELIMITED:
            out += data[start:end]
            continue
        graph = data[begin:end]
        kept = bytearray()
        outputs = {
            name
            for g_number, g_wire, _, g_begin, g_end in _fields(graph)
            if g_number == _GRAPH_OUTPUT and g_wire == _LENGTH_DELIMITED
            if (name := _name(graph[g_begin:g_end])) in names
        }
        needed = _needed_nodes(graph, outputs)
        for g_number, g_wire, g_start, g_begin, g_end in _fields(graph):
            if g_number == _GRAPH_OUTPUT and g_wire == _LENGTH_DELIMITED:
                if _name(graph[g_begin:g_end]) not in names:
                    continue
                found = True
            if g_number == _GRAPH_NODE and g_wire == _LENGTH_DELIMITED and g_start not in needed:
                continue
            kept += graph[g_start:g_end]
        out += _length_delimited(_MODEL_GRAPH, bytes(kept))
    if not found:
        raise WireError(f"the graph has none of the outputs {sorted(names)}")
    return bytes(out)
