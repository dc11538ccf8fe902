/**
 * What the executor needs of a kernel, wherever it runs. As in nbclient, one executor (run.ts) drives every kernel
 * and only the transport differs: a local kernel over ZeroMQ (this file) or one that a Jupyter Server, Kernel
 * Gateway or Enterprise Gateway runs, over REST and a WebSocket (jupyter-server.ts).
 */
import { describeExit, launchKernel } from "../jupyter/launcher";
import { findKernelspec, type Kernelspec } from "../jupyter/kernelspec";
import type { JupyterMessage } from "../jupyter/wire";

/** How a kernel was lost: `${what} while executing cell 3 (${detail})`, with its last output when known. */
export interface KernelLoss {
  what: string;
  detail: string;
  log: string;
}

export interface ExecutionKernel {
  /** the kernelspec's name */
  name: string;
  /** the local process id, -1 for a kernel on a server */
  pid: number;
  /** the Jupyter server's kernel id, for a kernel on a server */
  id?: string;
  /** the kernel_info_reply content (language_info, ...) */
  info: Record<string, any>;
  /** runs `code`; resolves once its execute_reply and its idle status have both arrived */
  execute(code: string, onIopub: (message: JupyterMessage) => void): Promise<{ reply: JupyterMessage }>;
  /** resolves when the kernel (or the connection to it) is gone; never rejects */
  lost: Promise<KernelLoss>;
  /** interrupts the running cell; may never be answered by a wedged kernel */
  interrupt(): Promise<void>;
  /** stops the kernel at once */
  kill(): Promise<void>;
  /** asks the kernel to shut down, then stops it; always cleans up */
  shutdown(): Promise<void>;
}

/** A kernelspec the runner can start kernels from: what keys the cache, and how to start one. */
export interface KernelSource {
  name: string;
  /** the kernelspec's language ("typescript", "python"), for parameters */
  language: string;
  /** what identifies the kernel in the cache key (cache.ts: kernelIdentity) */
  identity: Kernelspec | RemoteKernelspec;
  /** for messages: "" for a local kernel, " on the Jupyter server at URL" for a remote one */
  where: string;
  start(options: { cwd: string; notebookDir?: string; env?: Record<string, string> }): Promise<ExecutionKernel>;
}

/** A kernelspec as a Jupyter server describes it (GET /api/kernelspecs); no folder of ours holds it. */
export interface RemoteKernelspec {
  name: string;
  server: string;
  spec: Record<string, unknown>;
}

/** Local kernels: the kernelspec found in `kernelDirs`, started by the launcher. Throws "Unknown kernel" at once. */
export function localKernelSource(name: string, kernelDirs: string[]): KernelSource {
  const kernelspec = findKernelspec(name, kernelDirs);
  return {
    name: kernelspec.name,
    language: kernelspec.spec.language ?? "",
    identity: kernelspec,
    where: "",
    async start({ cwd, env }) {
      const kernel = await launchKernel(name, { cwd, env, kernelDirs });
      return {
        name: kernel.kernelspec.name,
        pid: kernel.process.pid ?? -1,
        info: kernel.info,
        execute: (code, onIopub) =>
          kernel.client.execute(code, { store_history: true, allow_stdin: false, stop_on_error: true }, onIopub),
        lost: kernel.exited.then((exit) => ({ what: "kernel died", detail: describeExit(exit), log: kernel.logTail().trim() })),
        interrupt: () => kernel.interrupt(),
        kill: () => kernel.kill(),
        shutdown: () => kernel.shutdown(),
      };
    },
  };
}
