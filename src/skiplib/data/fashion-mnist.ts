import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { tf } from "../backend";
import { checkSamples, type Dataset } from "./types";

/** Where Debian's `dataset-fashion-mnist` package puts the files (override with SKIPLIB_FASHION_MNIST). */
export const FASHION_MNIST_DIR = "/usr/share/datasets/fashion-mnist";

export const FASHION_MNIST_CLASSES = [
  "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
] as const;

export interface FashionMnistOptions {
  split: "train" | "test";
  /** The first `samples` images of the split (default: all, 60,000 or 10,000). */
  samples?: number;
  /** Side of the square images after bilinear resizing (default 28: unchanged). */
  size?: number;
  dir?: string;
}

/**
 * Fashion-MNIST (Xiao et al. 2017), read from its IDX files: images [n, size, size, 1] scaled to [0, 1] and one-hot
 * labels [n, 10]. Real data: the accuracy stories in the book are told on it, not on synthetic images.
 */
export function fashionMnist(options: FashionMnistOptions): Dataset<tf.Tensor4D, tf.Tensor2D> {
  const { split, size = 28, dir = process.env.SKIPLIB_FASHION_MNIST ?? FASHION_MNIST_DIR } = options;
  if (split !== "train" && split !== "test") throw new Error(`split must be "train" or "test", got ${JSON.stringify(split)}`);
  if (!Number.isInteger(size) || size < 1) throw new Error(`size must be a positive integer, got ${size}`);
  const prefix = split === "train" ? "train" : "t10k";
  const images = readIdx(join(dir, `${prefix}-images-idx3-ubyte.gz`), 0x803);
  const labels = readIdx(join(dir, `${prefix}-labels-idx1-ubyte.gz`), 0x801);
  const available = images.dims[0];
  const samples = options.samples ?? available;
  checkSamples(samples, available);
  const [rows, cols] = images.dims.slice(1);
  return tf.tidy(() => {
    const pixels = tf.tensor4d(Float32Array.from(images.data.subarray(0, samples * rows * cols)), [samples, rows, cols, 1]);
    const scaled = tf.div(pixels, 255) as tf.Tensor4D;
    return {
      x: size === rows && size === cols ? scaled : tf.image.resizeBilinear(scaled, [size, size]),
      y: tf.oneHot(tf.tensor1d(Int32Array.from(labels.data.subarray(0, samples)), "int32"), 10).toFloat() as tf.Tensor2D,
    };
  });
}

/** An IDX file (LeCun's MNIST format): big-endian magic, dimensions, then unsigned bytes. */
function readIdx(path: string, magic: number): { dims: number[]; data: Uint8Array } {
  if (!existsSync(path)) {
    throw new Error(`Fashion-MNIST file ${path} not found: install it with \`sudo apt-get install dataset-fashion-mnist\` (Debian/Ubuntu), or set SKIPLIB_FASHION_MNIST to a folder holding the IDX .gz files`);
  }
  const bytes = gunzipSync(readFileSync(path));
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint32(0) !== magic) throw new Error(`${path} is not an IDX file of the expected kind (magic ${view.getUint32(0).toString(16)})`);
  const rank = magic & 0xff;
  const dims = Array.from({ length: rank }, (_, i) => view.getUint32(4 + 4 * i));
  return { dims, data: bytes.subarray(4 + 4 * rank) };
}
