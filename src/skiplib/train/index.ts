export { fit, NonFiniteLossError } from "./fit";
export type { FitOptions, History } from "./fit";
export { evaluate } from "./evaluate";
export { recalibrateBatchNorm, recalibratedErrors } from "./recalibrate";
export type { TrainTestErrors } from "./recalibrate";
