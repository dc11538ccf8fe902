/**
 * A graph run as one TensorFlow session call through tfjs-node's SavedModel entry points: the graph is written as
 * a variable-free SavedModel to a temporary folder, loaded (TensorFlow's graph optimiser, Grappler, and its oneDNN
 * passes run on it at the first call), and then each call feeds tfjs tensors by reference and returns tfjs tensors.
 */
import * as tfjs from "@tensorflow/tfjs";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { GraphBuilder, Ref } from "./graph-def";

interface SessionBackend {
  loadSavedModelMetaGraph(path: string, tags: string): number;
  deleteSavedModel(id: number): void;
  runSavedModel(id: number, inputs: tfjs.Tensor[], inputInfos: { name: string; tfDtype: string }[], outputNames: string[]): tfjs.Tensor[];
}

function sessionBackend(): SessionBackend {
  const backend = tfjs.backend() as unknown as Partial<SessionBackend>;
  if (tfjs.getBackend() !== "tensorflow" || typeof backend.runSavedModel !== "function" || typeof backend.loadSavedModelMetaGraph !== "function") {
    throw new Error(`graph sessions need the native "tensorflow" backend, not "${tfjs.getBackend()}"`);
  }
  return backend as SessionBackend;
}

let dumped = 0;

/**
 * SKIPLIB_GRAPH_DUMP=dir keeps each graph as dir/graph-N/ (the SavedModel, its node list, its feeds and fetches),
 * to read what TensorFlow rejected, or to profile it op by op (bench/graph_profile.py).
 */
function dump(root: string, bytes: Uint8Array, graph: GraphBuilder, inputs: Ref[], outputs: Ref[]): void {
  const dir = join(root, `graph-${++dumped}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "saved_model.pb"), bytes);
  writeFileSync(join(dir, "graph.txt"), `${graph.describe()}\n`);
  writeFileSync(join(dir, "signature.json"), `${JSON.stringify({ inputs: inputs.map(tensorName), outputs: outputs.map(tensorName) })}\n`);
}

/** "name" → "name:0", as the session's feed and fetch names read. */
const tensorName = (ref: Ref) => (ref.includes(":") ? ref : `${ref}:0`);

/** TensorFlow failed a session call: it returned nothing, so no variable has changed. */
export class GraphRunFailed extends Error {
  constructor(cause: unknown) {
    super(`TensorFlow failed to run the graph: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = "GraphRunFailed";
  }
}

export class GraphSession {
  private readonly inputInfos: { name: string; tfDtype: string }[];
  private readonly outputNames: string[];
  private id: number | undefined;
  // the backend that loaded it: a session is freed there even when another backend is active by then
  private readonly backend: SessionBackend;

  /** Loads `graph`; `inputs` are its placeholders in feeding order, `outputs` the tensors each run returns. */
  constructor(graph: GraphBuilder, inputs: Ref[], outputs: Ref[]) {
    const backend = sessionBackend();
    this.backend = backend;
    const dir = mkdtempSync(join(tmpdir(), "skiplib-graph-"));
    try {
      const bytes = graph.savedModel();
      writeFileSync(join(dir, "saved_model.pb"), bytes);
      if (process.env.SKIPLIB_GRAPH_DUMP) dump(process.env.SKIPLIB_GRAPH_DUMP, bytes, graph, inputs, outputs);
      this.id = backend.loadSavedModelMetaGraph(dir, "serve");
    } finally {
      rmSync(dir, { recursive: true, force: true }); // the session holds the graph in memory
    }
    // tfDtype only matters to tfjs-node for uint8/int64 feeds, which these graphs do not have
    this.inputInfos = inputs.map((ref) => ({ name: tensorName(ref), tfDtype: "DT_FLOAT" }));
    this.outputNames = outputs.map(tensorName);
  }

  /** One session call: feeds by reference (no copy), new tfjs tensors out, in the order of `outputs`; GraphRunFailed when TensorFlow fails it. */
  run(inputs: tfjs.Tensor[]): tfjs.Tensor[] {
    if (this.id === undefined) throw new Error("this graph session was disposed");
    if (inputs.length !== this.inputInfos.length) throw new Error(`graph session takes ${this.inputInfos.length} inputs, got ${inputs.length}`);
    sessionBackend(); // the tensors must live on the native backend
    try {
      return this.backend.runSavedModel(this.id, inputs, this.inputInfos, this.outputNames);
    } catch (error) {
      throw new GraphRunFailed(error);
    }
  }

  dispose(): void {
    if (this.id === undefined) return;
    this.backend.deleteSavedModel(this.id);
    this.id = undefined;
  }
}
