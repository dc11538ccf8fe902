import { test } from "node:test";
import assert from "node:assert/strict";
import { tf } from "../../../src/skiplib/backend";
import { unetDecoderStage, unetEncoderStage } from "../../../src/skiplib/blocks/unet";

for (const batchNorm of [false, true]) {
  test(`U-Net encoder stage keeps a full-resolution map and halves the one passed down (batchNorm ${batchNorm})`, () => {
    const x = tf.input({ shape: [16, 12, 3] });
    const { skip, down } = unetEncoderStage(x, { name: "enc1", filters: 8, batchNorm });
    assert.deepEqual(skip.shape, [null, 16, 12, 8]);
    assert.deepEqual(down.shape, [null, 8, 6, 8]);
  });
}

for (const withSkip of [true, false]) {
  test(`U-Net decoder stage doubles the resolution ${withSkip ? "and concatenates the encoder map" : "without a skip"}`, () => {
    const low = tf.input({ shape: [4, 4, 16] });
    const encoder = tf.input({ shape: [8, 8, 8] });
    const y = unetDecoderStage(low, withSkip ? encoder : null, { name: "dec1", filters: 8 });
    assert.deepEqual(y.shape, [null, 8, 8, 8]);
    const model = tf.model({ inputs: withSkip ? [low, encoder] : [low], outputs: y });
    // the first conv after the merge sees 8 upsampled channels, plus 8 skip channels when the skip is on
    const kernel = model.getLayer("dec1_conv1").getWeights()[0];
    assert.deepEqual(kernel.shape, [3, 3, withSkip ? 16 : 8, 8]);
    assert.equal(model.layers.some((l) => l.name === "dec1_concat"), withSkip);
  });
}
