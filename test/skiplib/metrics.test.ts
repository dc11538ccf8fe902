import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { accuracy, boundaryIoU, boundaryMask, iou, nonConvexShare, tf } from "../../src/skiplib";

describe("metrics", () => {
  test("IoU counts the thresholded prediction against the truth, optionally in a region", () => {
    const truth = tf.tensor2d([[1, 1, 0, 0]]);
    const prediction = tf.tensor2d([[0.9, 0.2, 0.7, 0.1]]);
    assert.equal(iou(prediction, truth), 1 / 3);
    assert.equal(iou(prediction, truth, tf.tensor2d([[1, 1, 0, 0]])), 1 / 2);
    assert.equal(iou(tf.zeros([1, 4]), tf.zeros([1, 4])), 1);
    assert.throws(() => iou(prediction, tf.zeros([4])), /prediction has shape \[1,4\] but truth has shape \[4\]/);
  });

  test("the boundary of a filled square is its ring of edge pixels and the ring outside it; a 1-px line is all boundary", () => {
    const square = tf.tidy(() => tf.pad(tf.ones([4, 4]), [[2, 2], [2, 2]]).reshape([1, 8, 8, 1])) as tf.Tensor4D;
    const ring = boundaryMask(square);
    // inside: 16 − the 2×2 core = 12 edge pixels; outside: the 6×6 ring around the square = 20
    assert.equal(ring.sum().dataSync()[0], 12 + 20);
    assert.equal((ring.reshape([8, 8]).arraySync() as number[][])[4][4], 0);
    const line = tf.tidy(() => tf.pad(tf.ones([1, 6]), [[3, 4], [1, 1]]).reshape([1, 8, 8, 1])) as tf.Tensor4D;
    const lineBoundary = boundaryMask(line).reshape([8, 8]).arraySync() as number[][];
    assert.ok(lineBoundary[3].slice(1, 7).every((v) => v === 1));
  });

  test("boundary IoU compares the masks' edge bands: a wrong object far away counts, a filled interior does not", () => {
    const image = (rows: [number, number, number, number][]) => tf.tidy(() => {
      const m = tf.buffer([1, 12, 12, 1]);
      for (const [top, left, h, w] of rows) for (let i = top; i < top + h; i++) for (let j = left; j < left + w; j++) m.set(1, 0, i, j, 0);
      return m.toTensor() as tf.Tensor4D;
    });
    const truth = image([[1, 1, 4, 4]]);
    // a 4×4 square's band of width 1 is its 12 edge pixels; a 6×6 square's band of width 2 is 36 − 4 = 32 pixels
    assert.equal(boundaryIoU(truth, truth), 1);
    const extra = image([[1, 1, 4, 4], [7, 7, 4, 4]]);
    assert.equal(boundaryIoU(extra, truth), 12 / 24);
    assert.equal(iou(extra, truth), 16 / 32);
    // a prediction whose interior has a hole of one pixel: overall IoU barely moves, boundary IoU counts the hole's ring
    const big = image([[2, 2, 7, 7]]);
    const holed = tf.tidy(() => tf.mul(big, tf.sub(1, image([[5, 5, 1, 1]])))) as tf.Tensor4D;
    assert.equal(iou(holed, big), 48 / 49);
    assert.equal(boundaryIoU(holed, big), 24 / 32);
    assert.equal(boundaryIoU(image([[1, 1, 6, 6]]), image([[1, 1, 6, 6]]), 2), 1);
    assert.equal(boundaryIoU(tf.zeros([1, 4, 4, 1]), tf.zeros([1, 4, 4, 1])), 1);
    assert.throws(() => boundaryIoU(truth, truth, 0), /width must be a positive integer .* got 0/);
    assert.throws(() => boundaryIoU(truth, tf.zeros([1, 4, 4, 1])), /prediction has shape \[1,12,12,1\] but truth has shape \[1,4,4,1\]/);
    tf.dispose([truth, extra, big, holed]);
  });

  test("accuracy compares arg-max classes", () => {
    const share = accuracy(tf.tensor2d([[0.9, 0.1], [0.4, 0.6], [0.7, 0.3]]), tf.tensor2d([[1, 0], [1, 0], [1, 0]]));
    assert.ok(Math.abs(share - 2 / 3) < 1e-7, `accuracy ${share}`); // a float32 mean
  });
});

describe("nonConvexShare", () => {
  const grid = (f: (a: number, b: number) => number, n = 11) =>
    Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => f(i / (n - 1) - 0.5, j / (n - 1) - 0.5)));
  test("a convex bowl has none; a saddle is non-convex everywhere in its basin", () => {
    assert.equal(nonConvexShare(grid((a, b) => a * a + 2 * b * b)), 0);
    assert.equal(nonConvexShare(grid((a, b) => a * a - b * b)), 1);
  });
  test("needs an odd square grid", () => {
    assert.throws(() => nonConvexShare([[1, 2], [3, 4]]), /odd square grid/);
  });
});
