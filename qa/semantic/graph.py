"""A model's ONNX graph made cheaper to run: two edits, each found by its pattern and skipped when absent.

- The NaN guards after softmax are taken out (same outputs). Models exported by recent PyTorch write attention
  as Softmax -> IsNaN -> Where(isnan, 0, softmax): a guard for a query whose every key is masked. qa never
  feeds such a row (every text keeps [CLS] and [SEP]), so the guard changes nothing, yet it reads and writes
  the batch x heads x pieces x pieces scores twice per layer (a quarter of the time at 256 word pieces).
- Int8 weights are multiplied as int8 (qa index --int8 only). A weight-quantized model stores W as int8 with a
  scale and writes MatMul(x, Cast(W_int8) * scale): onnxruntime folds that into a float W and multiplies in
  float. The edit writes onnxruntime's DynamicQuantizeMatMul(x, W_int8, scale) instead, which quantizes x to 8
  bits a batch at a time and multiplies in integers (VNNI where the processor has it): the same weights,
  vectors within a cosine of about 0.99 of the float product's, embedded about 1.6 times as fast
  (benchmarks/README.md). A model stored with float weights (one a user brings) gets them made int8 here, one
  symmetric scale a column, as the default's were made: its MatMul(x, W) becomes DynamicQuantizeMatMul too.

The graph is edited in protobuf wire format (ModelProto field 7 is the graph, GraphProto field 1 its nodes,
NodeProto fields 1, 2, 4, 7 its inputs, outputs, op type and domain; ModelProto field 8 an opset import), so
no ONNX package is needed; every other byte of the file is kept as it is.
"""
from __future__ import annotations

from dataclasses import dataclass

GRAPH, OPSET_IMPORT = 7, 8  # ModelProto.graph, ModelProto.opset_import
NODE, INITIALIZER, GRAPH_OUTPUT = 1, 5, 12  # GraphProto.node, .initializer, .output
NODE_INPUT, NODE_OUTPUT, NODE_OP, NODE_DOMAIN = 1, 2, 4, 7
OPSET_DOMAIN, OPSET_VERSION = 1, 2
MICROSOFT = "com.microsoft"  # onnxruntime's own operators (DynamicQuantizeMatMul)
VALUE_INFO_NAME = 1
TENSOR_DIMS, TENSOR_TYPE, TENSOR_NAME, TENSOR_RAW = 1, 2, 8, 9  # TensorProto.dims, .data_type, .name, .raw_data
FLOAT, INT8 = 1, 3  # TensorProto.DataType


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


def wiring(nodes: list[Node]) -> tuple[dict[str, int], dict[str, int]]:
    """({value name: index of the node writing it}, {value name: how many node inputs read it})."""
    producer = {out: i for i, node in enumerate(nodes) for out in node.outputs}
    uses: dict[str, int] = {}
    for node in nodes:
        for name in node.inputs:
            uses[name] = uses.get(name, 0) + 1
    return producer, uses


def guards(nodes: list[Node], graph_outputs: set[str]) -> dict[int, str]:
    """{index of an IsNaN or Where node to drop: ""} plus {index of the Where: the name its output becomes}."""
    producer, uses = wiring(nodes)
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


def int8_matmuls(nodes: list[Node], graph_outputs: set[str], initializers: dict) -> tuple[dict[int, str], dict, list]:
    """The MatMuls whose weight is Cast(an int8 initializer) * a scale initializer, or a float initializer (then
    quantized here to int8, one scale a column), but for those that project down (more rows than columns: a
    feed-forward block's output): ({index of each Cast and Mul to drop: ""}, {index of the MatMul: (input, int8
    weight, scale)}, [the initializers the float weights' int8 forms add]).

    A feed-forward output reads the GELU's activations, whose few large outliers make 8 bits a tensor too
    coarse (Bondarenko et al., 2021): quantizing it too put the vectors twice as far from the float product's
    and cost dev hit@3 0.03 (benchmarks/README.md); left in float, the dev figures are unchanged."""
    producer, uses = wiring(nodes)
    dropped: dict[int, str] = {}
    replaced = {}
    added: list[bytes] = []
    for i, node in enumerate(nodes):
        if node.op != "MatMul" or len(node.inputs) != 2:
            continue
        weight = node.inputs[1]
        kind, dims, raw = initializers.get(weight, (0, (), None))
        if kind == FLOAT and len(dims) == 2 and dims[0] <= dims[1] and raw is not None and uses[weight] == 1:
            quantized, scale = per_column_int8(raw, dims)
            names = f"qa.int8/{weight}", f"qa.scale/{weight}"
            added += [tensor_field(names[0], INT8, dims, quantized), tensor_field(names[1], FLOAT, dims[1:], scale)]
            replaced[i] = (node.inputs[0], *names)
            continue
        scaled = producer.get(weight)
        if scaled is None or nodes[scaled].op != "Mul" or len(nodes[scaled].inputs) != 2 or uses[weight] != 1:
            continue
        weight, scale = nodes[scaled].inputs
        cast = producer.get(weight)
        if cast is None or nodes[cast].op != "Cast" or uses[weight] != 1 or weight in graph_outputs:
            continue
        kind, dims, _raw = initializers.get(nodes[cast].inputs[0], (0, (), None))
        if kind != INT8 or len(dims) != 2 or dims[0] > dims[1] or initializers.get(scale, (0,))[0] != FLOAT:
            continue
        dropped[cast] = dropped[scaled] = ""
        replaced[i] = (node.inputs[0], nodes[cast].inputs[0], scale)
    return dropped, replaced, added


def per_column_int8(raw: memoryview, dims: tuple[int, ...]) -> tuple[bytes, bytes]:
    """A float32 K x N matrix's bytes as int8 (one symmetric scale a column) and those N scales' bytes."""
    import numpy as np

    weights = np.frombuffer(raw, dtype="<f4").reshape(dims)
    scale = np.abs(weights).max(axis=0) / 127
    scale[scale == 0] = 1
    quantized = np.clip(np.rint(weights / scale), -127, 127).astype(np.int8)
    return quantized.tobytes(), scale.astype("<f4").tobytes()


def tensor_field(name: str, kind: int, dims: tuple[int, ...], raw: bytes) -> bytes:
    """An initializer field (key, length, TensorProto) holding ``raw`` little-endian data."""
    encoded = name.encode()
    payload = b"".join(varint(TENSOR_DIMS << 3) + varint(d) for d in dims) + varint(TENSOR_TYPE << 3) + varint(kind)
    payload += field_head(TENSOR_NAME, len(encoded)) + encoded + field_head(TENSOR_RAW, len(raw)) + raw
    return field_head(INITIALIZER, len(payload)) + payload


def without_nan_guards(model: bytes) -> tuple[bytes, int]:
    """The model with its Softmax NaN guards taken out, and how many nodes were; the bytes unchanged when none is."""
    return edit(model, lambda nodes, outputs, _initializers: (guards(nodes, outputs), {}, []))


def with_int8_matmuls(model: bytes) -> tuple[bytes, int]:
    """The model with its int8-weight MatMuls (and float-weight ones, their weights made int8) run as
    DynamicQuantizeMatMul, and how many nodes were dropped or replaced; the bytes unchanged when it has none."""
    return edit(model, int8_matmuls)


def edit(model: bytes, plan) -> tuple[bytes, int]:
    """The model rebuilt as ``plan(nodes, graph outputs, {initializer: (data type, dims, raw data)})`` says: ({index
    of a node to drop: "" or the name its output's readers read instead}, {index of a MatMul: DynamicQuantizeMatMul
    inputs}, [initializer fields to add])."""
    parts = list(fields(memoryview(model)))
    at = [k for k, (number, wire, _raw, _value) in enumerate(parts) if number == GRAPH and wire == 2]
    if len(at) != 1:
        return model, 0
    graph = list(fields(parts[at[0]][3]))
    nodes = {k: parse_node(raw, value) for k, (number, wire, raw, value) in enumerate(graph)
             if number == NODE and wire == 2}
    outputs = {name_of(value) for number, wire, _raw, value in graph if number == GRAPH_OUTPUT and wire == 2}
    initializers = dict(initializer(value) for number, wire, _raw, value in graph if number == INITIALIZER and wire == 2)
    order = list(nodes)
    found, replaced, added = plan([nodes[k] for k in order], outputs, initializers)
    if not found and not replaced:
        return model, 0
    renamed = {nodes[order[i]].outputs[0]: name for i, name in found.items() if name}
    dropped = {order[i] for i in found}
    replacing = {order[i]: node_field(inputs, nodes[order[i]].outputs, "DynamicQuantizeMatMul", MICROSOFT)
                 for i, inputs in replaced.items()}
    body = []
    for k, (_number, _wire, raw, _value) in enumerate(graph):
        if k in dropped:
            continue
        if k in replacing:
            raw = replacing[k]
        elif k in nodes and any(name in renamed for name in nodes[k].inputs):
            raw = rewired(raw, renamed)
        body.append(raw)
    body += added
    head = [raw for _n, _w, raw, _v in parts[:at[0]]]
    tail = [raw for _n, _w, raw, _v in parts[at[0] + 1:]]
    if replacing and MICROSOFT not in imported_domains(parts):
        opset = (field_head(OPSET_DOMAIN, len(MICROSOFT)) + MICROSOFT.encode()
                 + varint(OPSET_VERSION << 3) + varint(1))
        tail.append(field_head(OPSET_IMPORT, len(opset)) + opset)
    graph_head = field_head(GRAPH, sum(len(raw) for raw in body))
    return b"".join([*head, graph_head, *body, *tail]), len(dropped) + len(replacing)


def name_of(value_info: memoryview) -> str:
    return next((bytes(v).decode() for n, w, _r, v in fields(value_info) if n == VALUE_INFO_NAME and w == 2), "")


def initializer(tensor: memoryview) -> tuple[str, tuple[int, tuple[int, ...], memoryview | None]]:
    """(name, (data type, dims, raw data or None)) of a TensorProto."""
    name, kind, dims, raw = "", 0, [], None
    for number, wire, _raw, value in fields(tensor):
        if number == TENSOR_NAME and wire == 2:
            name = bytes(value).decode()
        elif number == TENSOR_RAW and wire == 2:
            raw = value
        elif number == TENSOR_TYPE and wire == 0:
            kind = value
        elif number == TENSOR_DIMS and wire == 0:
            dims.append(value)
        elif number == TENSOR_DIMS and wire == 2:  # packed
            pos = 0
            while pos < len(value):
                dim, pos = read_varint(value, pos)
                dims.append(dim)
    return name, (kind, tuple(dims), raw)


def imported_domains(parts) -> set[str]:
    return {bytes(v).decode() for number, wire, _raw, value in parts if number == OPSET_IMPORT and wire == 2
            for n, w, _r, v in fields(value) if n == OPSET_DOMAIN and w == 2}


def node_field(inputs, outputs, op: str, domain: str) -> bytes:
    """A node field (key, length, NodeProto) from its inputs, outputs, op type and domain."""
    payload = b"".join(field_head(NODE_INPUT, len(n.encode())) + n.encode() for n in inputs)
    payload += b"".join(field_head(NODE_OUTPUT, len(n.encode())) + n.encode() for n in outputs)
    payload += field_head(NODE_OP, len(op)) + op.encode() + field_head(NODE_DOMAIN, len(domain)) + domain.encode()
    return field_head(NODE, len(payload)) + payload


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
