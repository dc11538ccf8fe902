import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { countParams, discsAmongSquares, fitThreshold, iou, shallowSegmenter, shapesSegmentation, tf, uNet, uNetWithoutSkipsAtEqualParams } from "../../../src/skiplib";

describe("segmentation baselines", () => {
  test("a fitted threshold recovers masks that brightness defines, and fails where it does not", () => {
    const bright = shapesSegmentation({ samples: 32, size: 32, seed: 1 });
    const fitted = fitThreshold(bright);
    assert.equal(fitted.trainIoU, 1);
    assert.ok(fitted.threshold > 0.35 && fitted.threshold < 0.65, `threshold ${fitted.threshold}`);
    const discs = discsAmongSquares({ samples: 32, size: 32, seed: 1 });
    const blind = fitThreshold(discs);
    const p = blind.predict(discs.x);
    assert.deepEqual(p.shape, discs.y.shape);
    assert.equal(iou(p, discs.y), blind.trainIoU);
    assert.ok(blind.trainIoU < 0.7, `a threshold cannot tell discs from squares, IoU ${blind.trainIoU}`);
    assert.throws(() => fitThreshold({ x: discs.x, y: tf.zeros([32, 10]) }), /data.x has shape \[32,32,32,1\] but the masks data.y have shape \[32,10\]/);
    tf.dispose([bright.x, bright.y, discs.x, discs.y, p]);
  });

  for (const layers of [1, 2, 3]) {
    test(`a shallow segmenter of ${layers} conv layers sees a ${2 * layers + 1}-pixel window around each pixel`, () => {
      const model = shallowSegmenter({ layers, channels: 4, inputShape: [15, 15, 1], seed: 2 });
      const changed = tf.tidy(() => {
        const x = tf.randomUniform([1, 15, 15, 1], 0, 1, "float32", 3);
        const poked = tf.add(x, tf.oneHot(7 * 15 + 7, 225).reshape([1, 15, 15, 1]));
        const diff = tf.abs(tf.sub(model.predict(poked) as tf.Tensor, model.predict(x) as tf.Tensor)).reshape([15, 15]);
        return (diff.arraySync() as number[][]).map((row) => row.map((v) => v > 0));
      });
      changed.forEach((row, i) => row.forEach((c, j) => {
        if (Math.max(Math.abs(i - 7), Math.abs(j - 7)) > layers) assert.equal(c, false, `pixel ${i},${j} is outside the window but changed`);
      }));
      assert.ok(changed[7][7], "the poked pixel's own output changes");
      model.dispose();
    });
  }
});

describe("U-Net without long skips at equal parameters", () => {
  const config = { depth: 3, baseChannels: 8, inputShape: [32, 32, 1] as [number, number, number], seed: 5 };

  test("no concatenations, and the parameter count within 0.5% of the U-Net's", () => {
    const withSkips = uNet(config);
    const without = uNetWithoutSkipsAtEqualParams(config);
    const plain = uNet({ ...config, skips: false });
    assert.equal(without.layers.some((l) => l.getClassName() === "Concatenate"), false);
    const [a, b, c] = [countParams(withSkips), countParams(without), countParams(plain)];
    assert.ok(c < 0.95 * a, `without widening the no-skip net is smaller (${c} vs ${a})`);
    assert.ok(Math.abs(b - a) / a < 0.005, `${b} parameters without skips vs ${a} with`);
    assert.deepEqual(without.outputShape, withSkips.outputShape);
    for (const m of [withSkips, without, plain]) m.dispose();
  });

  test("decoderWidth scales the decoder's channels; its default leaves the U-Net unchanged", () => {
    const base = uNet(config);
    const same = uNet({ ...config, decoderWidth: 1 });
    const wide = uNet({ ...config, decoderWidth: 1.5 });
    assert.deepEqual(base.getWeights().map((w) => Array.from(w.dataSync())), same.getWeights().map((w) => Array.from(w.dataSync())));
    assert.equal(wide.getLayer("dec1_conv2").getWeights()[0].shape[3], 12);
    assert.equal(wide.getLayer("enc1_conv2").getWeights()[0].shape[3], 8);
    assert.throws(() => uNet({ ...config, decoderWidth: 0 }), /decoderWidth must be a positive number .* got 0/);
    for (const m of [base, same, wide]) m.dispose();
  });
});
