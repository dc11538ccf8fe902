/**
 * Gradient kernels the WASM backend lacks (tfjs-backend-wasm 4.22 has no Conv2DBackpropFilter, so training any
 * convnet there fails), borrowed from the pure-JS CPU backend: inputs are copied out of the WASM heap, the CPU
 * kernel runs, the result is copied back. Slower than a native kernel, but it makes `SKIPLIB_BACKEND=wasm` train.
 */
import * as tfjs from "@tensorflow/tfjs";

/** The gradient kernels missing on WASM that backprop through conv, depthwise-conv and gather layers needs. */
export const BORROWED_KERNELS = [
  "Conv2DBackpropFilter",
  "DepthwiseConv2dNativeBackpropFilter",
  "DepthwiseConv2dNativeBackpropInput",
  "UnsortedSegmentSum",
] as const;

interface HeapBackend {
  readSync(dataId: object): tfjs.backend_util.BackendValues;
  makeOutput(shape: number[], dtype: tfjs.DataType, memoryOffset?: number, values?: tfjs.backend_util.BackendValues): tfjs.TensorInfo;
}

interface CpuBackend {
  readSync(dataId: object): tfjs.backend_util.BackendValues;
  makeTensorInfo(shape: number[], dtype: tfjs.DataType, values?: tfjs.backend_util.BackendValues): tfjs.TensorInfo;
  disposeData(dataId: object, force?: boolean): boolean;
}

/** Registers each missing kernel of BORROWED_KERNELS on "wasm" (idempotent); returns the names it registered. */
export function registerWasmGradients(): string[] {
  const onWasm = new Set(tfjs.getKernelsForBackend("wasm").map((k) => k.kernelName));
  const registered: string[] = [];
  for (const kernelName of BORROWED_KERNELS) {
    const cpuKernel = tfjs.getKernel(kernelName, "cpu");
    if (onWasm.has(kernelName) || !cpuKernel) continue;
    tfjs.registerKernel({
      kernelName,
      backendName: "wasm",
      kernelFunc: ({ inputs, attrs, backend }) => {
        const wasm = backend as unknown as HeapBackend;
        const cpu = tfjs.findBackend("cpu") as unknown as CpuBackend | null;
        if (!cpu) throw new Error(`${kernelName} on wasm borrows the cpu backend's kernel, but the cpu backend is not registered`);
        // its first write prints "install the node backend" into every output; here it is only a helper
        (cpu as unknown as { firstUse: boolean }).firstUse = false;
        const cpuInputs: Record<string, tfjs.TensorInfo> = {};
        for (const [name, info] of Object.entries(inputs)) {
          if (info) cpuInputs[name] = cpu.makeTensorInfo(info.shape, info.dtype, wasm.readSync(info.dataId));
        }
        try {
          const result = cpuKernel.kernelFunc({ inputs: cpuInputs, attrs, backend: cpu as unknown as tfjs.KernelBackend });
          const outputs = Array.isArray(result) ? result : [result];
          const copied = outputs.map((out) => wasm.makeOutput(out.shape, out.dtype, undefined, cpu.readSync(out.dataId)));
          outputs.forEach((out) => cpu.disposeData(out.dataId, true));
          return Array.isArray(result) ? copied : copied[0];
        } finally {
          Object.values(cpuInputs).forEach((info) => cpu.disposeData(info.dataId, true));
        }
      },
    });
    registered.push(kernelName);
  }
  return registered;
}
