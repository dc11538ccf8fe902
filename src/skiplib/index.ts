/**
 * skiplib: the library the skipbook notebooks import.
 * Blocks and models with plain, residual (addition), dense (concatenation), highway and U-Net (long) skips,
 * and the instruments that measure what skips change.
 *
 * Everything that runs wherever TensorFlow.js runs is in ./core (the book's live panels bundle it for browsers);
 * this entry adds the native backend and the Node-only parts.
 */
export { tf, ready, backendInfo, backendSummary, backendFallbackReasons } from "./backend";
export type { BackendInfo, BackendName } from "./backend";
export * from "./core";
// Node only: the notebook/terminal progress bar, Fashion-MNIST from Debian's files, show() into a notebook
export { progressBar } from "./progress";
export type { ProgressBar, ProgressMode } from "./progress";
export { fashionMnist, FASHION_MNIST_CLASSES, FASHION_MNIST_DIR } from "./data/fashion-mnist";
export type { FashionMnistOptions } from "./data/fashion-mnist";
export { show, figureHtml, PLOTLY_MIME } from "./plot/show";
// trained weights reused across chapters, keyed on everything that determines them (Node only)
export { cachedTraining, trainedKey, trainedCacheDir } from "./experiments/trained-cache";
export type { CachedTraining } from "./experiments/trained-cache";
// the small CIFAR experiment (He et al. 2015 §4.2 at CPU scale) that chapters 2, 3 and 6 share
export { SMALL_CIFAR, smallCifarSchedule, smallCifarNetOptions, smallCifarData, trainSmallCifarNet } from "./experiments/small-cifar";
export type { SmallCifarSettings, SmallCifarKind } from "./experiments/small-cifar";
