"""Keep only some graph outputs of a serialised ONNX model, editing the protobuf bytes directly.

`import onnx` costs seconds on a busy machine; the lean logits-only session must not pay that.
ONNX models are protobuf: ModelProto field 7 is the graph, GraphProto field 12 its outputs
(ValueInfoProto, whose field 1 is the name). Everything else is copied byte for byte.
"""

from __future__ import annotations

from collections.abc import Iterator

_MODEL_GRAPH, _GRAPH_OUTPUT, _VALUE_INFO_NAME = 7, 12, 1
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


def _name(value_info: memoryview) -> str | None:
    for number, wire, _, begin, end in _fields(value_info):
        if number == _VALUE_INFO_NAME and wire == _LENGTH_DELIMITED:
            return bytes(value_info[begin:end]).decode("utf-8")
    return None


def _length_delimited(number: int, payload: bytes) -> bytes:
    return _encode_varint(number << 3 | _LENGTH_DELIMITED) + _encode_varint(len(payload)) + payload


def keep_outputs(model: bytes, names: set[str] | frozenset[str]) -> bytes:
    """`model` with only the graph outputs named in `names`, in their order there."""
    data = memoryview(model)
    out = bytearray()
    found = False
    for number, wire, start, begin, end in _fields(data):
        if number != _MODEL_GRAPH or wire != _LENGTH_DELIMITED:
            out += data[start:end]
            continue
        graph = data[begin:end]
        kept = bytearray()
        for g_number, g_wire, g_start, g_begin, g_end in _fields(graph):
            if g_number == _GRAPH_OUTPUT and g_wire == _LENGTH_DELIMITED:
                if _name(graph[g_begin:g_end]) not in names:
                    continue
                found = True
            kept += graph[g_start:g_end]
        out += _length_delimited(_MODEL_GRAPH, bytes(kept))
    if not found:
        raise WireError(f"the graph has none of the outputs {sorted(names)}")
    return bytes(out)
