import { tf } from "./backend";

/**
 * Intersection over union of the thresholded prediction (> 0.5) with a binary truth mask, counting only pixels where
 * `region` is 1 (default: every pixel). 1 when both are empty in the region.
 */
export function iou(prediction: tf.Tensor, truth: tf.Tensor, region?: tf.Tensor): number {
  if (prediction.shape.join() !== truth.shape.join()) {
    throw new Error(`prediction has shape [${prediction.shape}] but truth has shape [${truth.shape}]`);
  }
  return tf.tidy(() => {
    const inRegion = region ?? tf.onesLike(truth);
    const p = tf.cast(tf.greater(prediction, 0.5), "float32");
    const intersection = tf.sum(tf.mul(tf.mul(p, truth), inRegion)).dataSync()[0];
    const union = tf.sum(tf.mul(tf.cast(tf.greater(tf.add(p, truth), 0), "float32"), inRegion)).dataSync()[0];
    return union === 0 ? 1 : intersection / union;
  });
}

/**
 * Boundary pixels of binary masks [N, H, W, 1]: where the 3×3 dilation and erosion differ — the edges of every
 * shape, and every pixel of a line a few pixels thin. What a segmentation net without long skips gets wrong.
 */
export function boundaryMask(masks: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => tf.sub(tf.maxPool(masks, 3, 1, "same"), tf.neg(tf.maxPool(tf.neg(masks), 3, 1, "same"))) as tf.Tensor4D);
}

/**
 * Boundary IoU (Cheng et al. 2021, "Boundary IoU: Improving Object-Centric Image Segmentation Evaluation"): the IoU
 * of the two masks' inner boundary bands, each mask's pixels within `width` pixels of its own contour, summed over
 * the batch [N, H, W, 1]. Wrong edges of predicted objects count as much as missed edges of true ones; interiors do
 * not count. The prediction is thresholded at 0.5. 1 when neither mask has a boundary.
 */
export function boundaryIoU(prediction: tf.Tensor4D, truth: tf.Tensor4D, width = 1): number {
  if (prediction.shape.join() !== truth.shape.join()) {
    throw new Error(`prediction has shape [${prediction.shape}] but truth has shape [${truth.shape}]`);
  }
  if (!Number.isInteger(width) || width < 1) throw new Error(`width must be a positive integer (pixels from the contour), got ${width}`);
  return tf.tidy(() => {
    // a mask minus its erosion by a (2·width+1)² square: the pixels within width of the contour
    const band = (m: tf.Tensor4D) => tf.sub(m, tf.neg(tf.maxPool(tf.neg(m), 2 * width + 1, 1, "same")));
    const p = band(tf.cast(tf.greater(prediction, 0.5), "float32") as tf.Tensor4D);
    const t = band(truth);
    const intersection = tf.sum(tf.mul(p, t)).dataSync()[0];
    const union = tf.sum(tf.maximum(p, t)).dataSync()[0];
    return union === 0 ? 1 : intersection / union;
  });
}

/** Share of rows whose arg-max prediction equals the arg-max of the one-hot target. */
export function accuracy(prediction: tf.Tensor, target: tf.Tensor): number {
  return tf.tidy(() => tf.mean(tf.cast(tf.equal(tf.argMax(prediction, -1), tf.argMax(target, -1)), "float32")).dataSync()[0]);
}
