/**
 * Loss and accuracy for next-token tasks whose targets mark unscored positions with −1 (see `sequenceTask`): only
 * the answer tokens count, so a model is not rewarded for "predicting" the random prompt.
 */
import { tf } from "../backend";

/** Mean cross-entropy of logits [batch, T, V] against token targets [batch, T] over the positions whose target is ≥ 0. */
export function tokenCrossEntropy(targets: tf.Tensor, logits: tf.Tensor): tf.Scalar {
  return tf.tidy(() => {
    const vocab = logits.shape[logits.shape.length - 1];
    const scored = tf.cast(tf.greaterEqual(targets, 0), "float32");
    const labels = tf.oneHot(tf.cast(tf.maximum(targets, 0), "int32"), vocab);
    const perToken = tf.neg(tf.sum(tf.mul(labels, tf.logSoftmax(logits)), -1));
    return tf.div(tf.sum(tf.mul(perToken, scored)), tf.maximum(tf.sum(scored), 1)) as tf.Scalar;
  });
}

/** Share of scored positions (target ≥ 0) where the arg-max logit is the target. */
export function tokenAccuracy(targets: tf.Tensor, logits: tf.Tensor): number {
  return tf.tidy(() => {
    const scored = tf.greaterEqual(targets, 0);
    const hits = tf.logicalAnd(scored, tf.equal(tf.argMax(logits, -1), tf.cast(targets, "int32")));
    return tf.sum(tf.cast(hits, "float32")).dataSync()[0] / Math.max(1, tf.sum(tf.cast(scored, "float32")).dataSync()[0]);
  });
}
