/**
 * A TensorFlow graph under construction, and its encoding as a GraphDef inside a SavedModel (the protos of
 * tensorflow/core/framework/{graph,node_def,attr_value,tensor,tensor_shape}.proto and
 * tensorflow/core/protobuf/{meta_graph,saved_model}.proto; field numbers below are theirs).
 */
import { ProtoWriter } from "./protobuf";

export type DType = "float32" | "int32" | "bool";

const DATA_TYPE: Record<DType, number> = { float32: 1, int32: 3, bool: 10 };

/** One attribute value; the key says which AttrValue field it fills. */
export type Attr =
  | { type: DType }
  | { int: number }
  | { ints: number[] }
  | { float: number }
  | { bool: boolean }
  | { str: string }
  | { strs: string[] }
  | { shape: (number | null)[] | null }
  | { tensor: ConstTensor };

export interface ConstTensor {
  dtype: DType;
  shape: number[];
  values: ArrayLike<number>;
}

/** A tensor in the graph: "node" (output 0) or "node:i". */
export type Ref = string;

interface Node {
  name: string;
  op: string;
  inputs: Ref[];
  attrs: Record<string, Attr>;
}

function shapeProto(shape: (number | null)[] | null): ProtoWriter {
  const proto = new ProtoWriter();
  if (shape === null) return proto.int(3, true); // unknown rank
  for (const d of shape) proto.message(2, new ProtoWriter().int(1, d ?? -1));
  return proto;
}

function tensorProto(t: ConstTensor): ProtoWriter {
  const proto = new ProtoWriter().int(1, DATA_TYPE[t.dtype]).message(2, shapeProto(t.shape));
  const n = t.values.length;
  if (t.dtype === "float32") {
    const content = new Float32Array(n);
    for (let i = 0; i < n; i++) content[i] = t.values[i];
    return proto.bytes(4, new Uint8Array(content.buffer));
  }
  const content = new Int32Array(n);
  for (let i = 0; i < n; i++) content[i] = Number(t.values[i]);
  return proto.bytes(4, new Uint8Array(content.buffer)); // bool: the graph only uses int32 and float constants
}

function attrProto(attr: Attr): ProtoWriter {
  const proto = new ProtoWriter();
  if ("type" in attr) return proto.int(6, DATA_TYPE[attr.type]);
  if ("int" in attr) return proto.int(3, attr.int);
  if ("float" in attr) return proto.float(4, attr.float);
  if ("bool" in attr) return proto.int(5, attr.bool);
  if ("str" in attr) return proto.string(2, attr.str);
  if ("shape" in attr) return proto.message(7, shapeProto(attr.shape));
  if ("tensor" in attr) return proto.message(8, tensorProto(attr.tensor));
  const list = new ProtoWriter();
  if ("ints" in attr) list.packedInts(3, attr.ints);
  else for (const s of attr.strs) list.string(2, s);
  return proto.message(1, list);
}

export class GraphBuilder {
  private nodes: Node[] = [];
  private used = new Set<string>();

  /** A node name not taken yet, from a readable base ("conv1/Conv2D", then "conv1/Conv2D_1", ...). */
  private unique(base: string): string {
    const clean = base.replace(/[^A-Za-z0-9_./-]/g, "_").replace(/^[^A-Za-z0-9.]/, "n");
    let name = clean;
    for (let i = 1; this.used.has(name); i++) name = `${clean}_${i}`;
    this.used.add(name);
    return name;
  }

  /** Adds an op; returns its name, which is also the reference to its first output (`${name}:1` is the second). */
  op(op: string, inputs: Ref[], attrs: Record<string, Attr> = {}, name: string = op): Ref {
    const node = { name: this.unique(name), op, inputs, attrs };
    this.nodes.push(node);
    return node.name;
  }

  placeholder(name: string, dtype: DType, shape: (number | null)[] | null): Ref {
    const ref = this.op("Placeholder", [], { dtype: { type: dtype }, shape: { shape } }, name);
    if (ref !== name) throw new Error(`placeholder name "${name}" is taken`);
    return ref;
  }

  constant(values: ArrayLike<number>, shape: number[], dtype: DType = "float32", name = "Const"): Ref {
    return this.op("Const", [], { dtype: { type: dtype }, value: { tensor: { dtype, shape, values } } }, name);
  }

  scalar(value: number, dtype: DType = "float32"): Ref {
    return this.constant([value], [], dtype);
  }

  get size(): number {
    return this.nodes.length;
  }

  /** One line per node ("name = Op(inputs)"), for reading a graph when TensorFlow rejects it. */
  describe(): string {
    return this.nodes.map((n) => `${n.name} = ${n.op}(${n.inputs.join(", ")})`).join("\n");
  }

  /** GraphDef { node = 1, versions = 4 }. */
  private graphDef(): ProtoWriter {
    const graph = new ProtoWriter();
    for (const node of this.nodes) {
      const proto = new ProtoWriter().string(1, node.name).string(2, node.op);
      for (const input of node.inputs) proto.string(3, input);
      for (const [key, attr] of Object.entries(node.attrs)) proto.mapEntry(5, key, attrProto(attr));
      graph.message(1, proto);
    }
    // producer: a GraphDef version TensorFlow 2.x reads without upgrades; no consumer limits
    return graph.message(4, new ProtoWriter().int(1, 1286));
  }

  /** A SavedModel holding this graph as one MetaGraphDef tagged `tag`, with no variables to restore. */
  savedModel(tag = "serve"): Uint8Array {
    const metaInfo = new ProtoWriter().string(4, tag);
    const metaGraph = new ProtoWriter().message(1, metaInfo).message(2, this.graphDef());
    return new ProtoWriter().int(1, 1).message(2, metaGraph).finish();
  }
}
