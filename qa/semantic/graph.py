"""A model's ONNX graph made cheaper to run with the same outputs: the NaN guards after softmax are taken out.

Models exported by recent PyTorch write attention as Softmax -> IsNaN -> Where(isnan, 0, softmax): a guard
for a query whose every key is masked. qa never feeds such a row (every text keeps [CLS] and [SEP]), so the
guard changes nothing, yet it reads and writes the batch x heads x pieces x pieces scores twice per layer
(a quarter of the time at 256 word pieces). The graph is edited in protobuf wire format (ModelProto field 7
is the graph, GraphProto field 1 its nodes, NodeProto fields 1, 2, 4 its inputs, outputs and op type), so no
ONNX package is needed; every other byte of the file is kept as it is.
"""
from __future__ import annotations

from dataclasses import dataclass

GRAPH, NODE, GRAPH_OUTPUT = 7, 1, 12  # ModelProto.graph, GraphProto.node, GraphProto.output
NODE_INPUT, NODE_OUTPUT, NODE_OP = 1, 2, 4
VALUE_INFO_NAME = 1


def read_varint(buf: bytes, pos: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        byte = buf[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, pos
        shift += 7


def varint(value: int) -> bytes:
    out = bytearray()
    while value >= 0x80:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def fields(buf: memoryview):
    """(field number, wire type, the whole field, value) of each field; value is a memoryview for wire type 2."""
    pos = 0
    while pos < len(buf):
        start = pos
        key, pos = read_varint(buf, pos)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = read_varint(buf, pos)
        elif wire == 2:
            size, pos = read_varint(buf, pos)
            value, pos = buf[pos:pos + size], pos + size
            if pos > len(buf):
                raise ValueError("truncated field")
        elif wire in (1, 5):
            pos += 8 if wire == 1 else 4
            value = None
        else:
            raise ValueError(f"wire type {wire} is not used by ONNX")
        yield number, wire, buf[start:pos], value


def field_head(number: int, size: int) -> bytes:
    return varint(number << 3 | 2) + varint(size)


@dataclass
class Node:
    raw: memoryview
    op: str
    inputs: list[str]
    outputs: list[str]


def parse_node(raw: memoryview, payload: memoryview) -> Node:
    node = Node(raw, "", [], [])
    for number, wire, _raw, value in fields(payload):
        if wire == 2 and number == NODE_INPUT:
            node.inputs.append(bytes(value).decode())
        elif wire == 2 and number == NODE_OUTPUT:
            node.outputs.append(bytes(value).decode())
        elif wire == 2 and number == NODE_OP:
            node.op = bytes(value).decode()
    return node


def guards(nodes: list[Node], graph_outputs: set[str]) -> dict[int, str]:
    """{index of an IsNaN or Where node to drop: ""} plus {index of the Where: the name its output becomes}."""
    producer = {out: i for i, node in enumerate(nodes) for out in node.outputs}
    uses: dict[str, int] = {}
    for node in nodes:
        for name in node.inputs:
            uses[name] = uses.get(name, 0) + 1
    found: dict[int, str] = {}
    for i, node in enumerate(nodes):
        if node.op != "Where" or len(node.inputs) != 3 or node.outputs[0] in graph_outputs:
            continue
        test, scores = node.inputs[0], node.inputs[2]
        isnan, softmax = producer.get(test), producer.get(scores)
        if (isnan is not None and softmax is not None and nodes[isnan].op == "IsNaN" and uses[test] == 1
                and nodes[isnan].inputs == [scores] and nodes[softmax].op == "Softmax"):
            found[isnan], found[i] = "", scores
    return found


def without_nan_guards(model: bytes) -> tuple[bytes, int]:
    """The model with its Softmax NaN guards taken out, and how many were; the bytes unchanged when none is."""
    parts = list(fields(memoryview(model)))
    at = [k for k, (number, wire, _raw, _value) in enumerate(parts) if number == GRAPH and wire == 2]
    if len(at) != 1:
        return model, 0
    graph = list(fields(parts[at[0]][3]))
    nodes = {k: parse_node(raw, value) for k, (number, wire, raw, value) in enumerate(graph)
             if number == NODE and wire == 2}
    outputs = {next((bytes(v).decode() for n, w, _r, v in fields(value) if n == VALUE_INFO_NAME and w == 2), "")
               for number, wire, _raw, value in graph if number == GRAPH_OUTPUT and wire == 2}
    order = list(nodes)
    found = guards([nodes[k] for k in order], outputs)
    if not found:
        return model, 0
    renamed = {nodes[order[i]].outputs[0]: name for i, name in found.items() if name}
    dropped = {order[i] for i in found}
    body = []
    for k, (_number, _wire, raw, _value) in enumerate(graph):
        if k in dropped:
            continue
        if k in nodes and any(name in renamed for name in nodes[k].inputs):
            raw = rewired(raw, renamed)
        body.append(raw)
    head = [raw for _n, _w, raw, _v in parts[:at[0]]]
    tail = [raw for _n, _w, raw, _v in parts[at[0] + 1:]]
    graph_head = field_head(GRAPH, sum(len(raw) for raw in body))
    return b"".join([*head, graph_head, *body, *tail]), len(dropped)


def rewired(raw_node: memoryview, renamed: dict[str, str]) -> bytes:
    """A node field (key, length, NodeProto) whose inputs named in ``renamed`` read the new names."""
    _key, pos = read_varint(raw_node, 0)
    _size, pos = read_varint(raw_node, pos)
    payload = bytearray()
    for number, wire, raw, value in fields(raw_node[pos:]):
        name = bytes(value).decode() if number == NODE_INPUT and wire == 2 else None
        if name in renamed:
            new = renamed[name].encode()
            raw = field_head(NODE_INPUT, len(new)) + new
        payload += raw
    return field_head(NODE, len(payload)) + bytes(payload)
