import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { fashionMnist, parkMiller, shapesSegmentation, tf, twoSpirals } from "../../../src/skiplib";

describe("synthetic datasets", () => {
  test("two spirals: balanced labels, points within the unit disc plus jitter, the same for the same seed", () => {
    const a = twoSpirals({ samples: 200 });
    const b = twoSpirals({ samples: 200 });
    const c = twoSpirals({ samples: 200, seed: 3 });
    assert.deepEqual(a.x.shape, [200, 2]);
    assert.deepEqual(a.y.shape, [200, 1]);
    assert.equal(a.y.sum().dataSync()[0], 100);
    assert.deepEqual(a.x.arraySync(), b.x.arraySync());
    assert.notDeepEqual(a.x.arraySync(), c.x.arraySync());
    const radii = tf.tidy(() => Array.from(tf.norm(a.x, "euclidean", 1).dataSync()));
    assert.ok(Math.max(...radii) < 1.1);
    tf.dispose([a.x, a.y, b.x, b.y, c.x, c.y]);
  });

  test("shapes segmentation: binary masks that match the bright pixels, thin structures present, seeded", () => {
    const a = shapesSegmentation({ samples: 16, size: 32, seed: 0 });
    const b = shapesSegmentation({ samples: 16, size: 32, seed: 0 });
    assert.deepEqual(a.x.shape, [16, 32, 32, 1]);
    assert.deepEqual(Array.from(a.x.dataSync()), Array.from(b.x.dataSync()));
    const masks = Array.from(a.y.dataSync());
    const images = Array.from(a.x.dataSync());
    assert.ok(masks.every((v) => v === 0 || v === 1));
    // shape pixels are 0.8 ± 0.15, background 0.2 ± 0.15: a threshold at 0.5 recovers the mask exactly
    assert.ok(images.every((v, i) => (v > 0.5 ? 1 : 0) === masks[i]));
    const coverage = masks.reduce((s, v) => s + v, 0) / masks.length;
    assert.ok(coverage > 0.02 && coverage < 0.5, `coverage ${coverage}`);
    assert.throws(() => shapesSegmentation({ samples: 0 }), /samples must be an integer from 1/);
    tf.dispose([a.x, a.y, b.x, b.y]);
  });

  test("parkMiller is the minimal standard generator", () => {
    // Park & Miller 1988: from state 1, the 10,000th value is 1043618065
    const random = parkMiller(0);
    let value = 0;
    for (let i = 0; i < 10000; i++) value = random();
    assert.equal(Math.round(value * 2147483647), 1043618065);
  });
});

describe("Fashion-MNIST from Debian's dataset-fashion-mnist", () => {
  test("the test split holds 10,000 images in [0, 1] with labels 0–9, 1,000 of each", () => {
    const { x, y } = fashionMnist({ split: "test" });
    assert.deepEqual(x.shape, [10000, 28, 28, 1]);
    assert.deepEqual(y.shape, [10000, 10]);
    const [min, max] = tf.tidy(() => [x.min().dataSync()[0], x.max().dataSync()[0]]);
    assert.ok(min >= 0 && max <= 1 && max > 0.9);
    assert.deepEqual(Array.from(tf.tidy(() => y.sum(0).dataSync())), Array(10).fill(1000));
    tf.dispose([x, y]);
  });

  test("the training split holds 60,000; a subset is resized", () => {
    const { x, y } = fashionMnist({ split: "train", samples: 100, size: 14 });
    assert.deepEqual(x.shape, [100, 14, 14, 1]);
    assert.deepEqual(y.shape, [100, 10]);
    tf.dispose([x, y]);
    assert.throws(() => fashionMnist({ split: "train", samples: 60001 }), /samples must be an integer from 1 to 60000, got 60001/);
  });

  test("missing files name the package to install", () => {
    const empty = mkdtempSync(join(tmpdir(), "no-fashion-"));
    assert.throws(() => fashionMnist({ split: "test", dir: empty }), /apt-get install dataset-fashion-mnist/);
  });
});
