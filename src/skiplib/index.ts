/**
 * skiplib: the library the skipbook notebooks import.
 * Blocks and models with plain, residual (addition), dense (concatenation), highway and U-Net (long) skips,
 * and the instruments that measure what skips change.
 */
export { tf, ready, backendInfo, backendSummary, backendFallbackReasons } from "./backend";
export type { BackendInfo, BackendName } from "./backend";
