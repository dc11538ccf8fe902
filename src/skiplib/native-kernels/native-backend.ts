/**
 * What skiplib's native kernels use of tfjs-node's backend: its binding's attribute-type constants and its
 * op-execution calls (not in tfjs-node's public typings), plus the attribute lists the TensorFlow ops share.
 */
import type * as tfjs from "@tensorflow/tfjs";

export interface NativeBinding {
  TF_ATTR_TYPE: number;
  TF_ATTR_FLOAT: number;
  TF_ATTR_STRING: number;
  TF_ATTR_BOOL: number;
  TF_FLOAT: number;
}

export interface NativeBackend {
  binding: NativeBinding;
  write(values: Float32Array, shape: number[], dtype: "float32"): tfjs.DataId;
  disposeData(dataId: tfjs.DataId): boolean;
  executeSingleOutput(name: string, attrs: unknown[], inputs: tfjs.TensorInfo[]): tfjs.Tensor;
  executeMultipleOutputs(name: string, attrs: unknown[], inputs: tfjs.TensorInfo[], numOutputs: number): tfjs.Tensor[];
}

export interface OpAttr {
  name: string;
  type: number;
  value: unknown;
}

/** `T = float32`, the only attribute of element-wise ops such as ReluGrad and Mul. */
export function float32Attrs(binding: NativeBinding): OpAttr[] {
  return [{ name: "T", type: binding.TF_ATTR_TYPE, value: binding.TF_FLOAT }];
}

/** The attributes of FusedBatchNorm{,Grad}V{2,3} on float32 NHWC data, plus any op-specific `extra`. */
export function fusedBatchNormAttrs(binding: NativeBinding, epsilon: number, isTraining: boolean, extra: OpAttr[] = []): OpAttr[] {
  return [
    { name: "T", type: binding.TF_ATTR_TYPE, value: binding.TF_FLOAT },
    { name: "U", type: binding.TF_ATTR_TYPE, value: binding.TF_FLOAT },
    { name: "epsilon", type: binding.TF_ATTR_FLOAT, value: epsilon },
    ...extra,
    { name: "data_format", type: binding.TF_ATTR_STRING, value: "NHWC" },
    { name: "is_training", type: binding.TF_ATTR_BOOL, value: isTraining },
  ];
}
