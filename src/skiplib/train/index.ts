export { fit, NonFiniteLossError } from "./fit";
export type { FitOptions, History } from "./fit";
export { evaluate } from "./evaluate";
export { recalibrateBatchNorm } from "./recalibrate";
