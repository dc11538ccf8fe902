/**
 * The TensorFlow.js that skiplib's modules see in a browser: what `@tensorflow/tfjs` exports minus the graph-model
 * converter and tf.data, which skiplib never uses (about 150 kB less for the reader to download), with the WebGL and
 * CPU backends registered. The packages are those @tensorflow/tfjs 4.22.0 pins; WebGPU and WASM load on demand.
 */
export * from "@tensorflow/tfjs-core";
export * from "@tensorflow/tfjs-layers";
import "@tensorflow/tfjs-backend-webgl";
import "@tensorflow/tfjs-backend-cpu";
