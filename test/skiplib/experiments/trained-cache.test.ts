import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { cachedTraining, fit, plainMLP, tf, trainedKey, twoSpirals } from "../../../src/skiplib";

const spirals = twoSpirals({ samples: 64 });
const build = (seed: number) => () => plainMLP({ inputDim: 2, depth: 3, width: 8, outputDim: 1, seed });
let trainings = 0;
const train = async (model: tf.LayersModel) => {
  trainings++;
  return (await fit(model, spirals, { epochs: 3, batchSize: 16, loss: "binaryCrossentropy", progress: "silent" })).loss;
};
const weightsOf = (model: tf.LayersModel) => model.getWeights().map((w) => Array.from(w.dataSync()));

describe("cachedTraining", () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "trained-"));
    process.env.SKIPLIB_TRAINED_CACHE = dir;
  });
  after(() => {
    delete process.env.SKIPLIB_TRAINED_CACHE;
    rmSync(dir, { recursive: true, force: true });
  });

  test("the second identical run loads the first's weights and history instead of training", async () => {
    trainings = 0;
    const first = await cachedTraining({ net: "mlp", seed: 1 }, spirals, build(1), train);
    const second = await cachedTraining({ net: "mlp", seed: 1 }, spirals, build(1), train);
    assert.equal(trainings, 1);
    assert.deepEqual([first.cached, second.cached], [false, true]);
    assert.deepEqual(second.history, first.history);
    assert.deepEqual(weightsOf(second.model), weightsOf(first.model));
    // and what it loaded is what training would produce: train the same net again without the cache
    const fresh = build(1)();
    await train(fresh);
    assert.deepEqual(weightsOf(fresh), weightsOf(second.model));
    for (const m of [first.model, second.model, fresh]) m.dispose();
  });

  test("another description, other data or a damaged entry means training again", async () => {
    trainings = 0;
    (await cachedTraining({ net: "mlp", seed: 2 }, spirals, build(2), train)).model.dispose();
    (await cachedTraining({ net: "mlp", seed: 2, epochs: "other" }, spirals, build(2), train)).model.dispose();
    const other = twoSpirals({ samples: 64, noise: 0.3 });
    assert.notEqual(trainedKey({ net: "mlp", seed: 2 }, other), trainedKey({ net: "mlp", seed: 2 }, spirals));
    (await cachedTraining({ net: "mlp", seed: 2 }, other, build(2), train)).model.dispose();
    assert.equal(trainings, 3);
    const entry = join(dir, trainedKey({ net: "mlp", seed: 2 }, spirals));
    writeFileSync(join(entry, "weights.bin"), "truncated");
    const again = await cachedTraining({ net: "mlp", seed: 2 }, spirals, build(2), train);
    assert.equal(again.cached, false);
    assert.equal(trainings, 4);
    again.model.dispose();
    tf.dispose([other.x, other.y]);
  });

  test("two runs of the same training at once: one trains, the other waits for its lock and loads", async () => {
    trainings = 0;
    const [a, b] = await Promise.all([1, 2].map(() => cachedTraining({ net: "mlp", seed: 3 }, spirals, build(3), train)));
    assert.equal(trainings, 1);
    assert.deepEqual([a.cached, b.cached].sort(), [false, true]);
    assert.deepEqual(weightsOf(a.model), weightsOf(b.model));
    a.model.dispose();
    b.model.dispose();
    assert.deepEqual(readdirSync(dir).filter((f) => f.endsWith(".lock")), [], "the lock is released");
  });

  test("a lock left by a process that died is taken over", async () => {
    const dead = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" }).stdout;
    writeFileSync(join(dir, `${trainedKey({ net: "mlp", seed: 4 }, spirals)}.lock`), dead);
    trainings = 0;
    const run = await cachedTraining({ net: "mlp", seed: 4 }, spirals, build(4), train);
    assert.equal(trainings, 1);
    run.model.dispose();
  });

  test("SKIPLIB_TRAINED_CACHE=off trains every time", async () => {
    process.env.SKIPLIB_TRAINED_CACHE = "off";
    trainings = 0;
    for (let i = 0; i < 2; i++) (await cachedTraining({ net: "mlp", seed: 1 }, spirals, build(1), train)).model.dispose();
    assert.equal(trainings, 2);
    process.env.SKIPLIB_TRAINED_CACHE = dir;
  });
});
