// The backend skiplib selects at import: native TensorFlow when present (and required in CI, so a broken native
// install cannot silently make every test 10-100× slower), WASM and pure JS when forced, a clear error otherwise.
import { spawnSync } from "node:child_process";
import { resolve } from "node:path";
import assert from "node:assert/strict";
import { test } from "node:test";
import { backendFallbackReasons, backendInfo, backendSummary, ready, tf } from "../../src/skiplib/backend";

const backendModule = resolve(__dirname, "../../src/skiplib/backend.ts");

/** Imports skiplib's backend in a fresh Node with SKIPLIB_BACKEND=value, runs one matMul, reports what was active. */
function selectIn(value: string) {
  const code = `
    const { backendInfo, ready, tf } = require(${JSON.stringify(backendModule)});
    ready.then(() => {
      const product = tf.matMul(tf.tensor2d([[1, 2], [3, 4]]), tf.tensor2d([[5], [6]])).dataSync();
      console.log(JSON.stringify({ info: backendInfo(), active: tf.getBackend(), product: Array.from(product) }));
    });`;
  const run = spawnSync(process.execPath, ["--import", "tsx", "-e", code], {
    encoding: "utf8",
    timeout: 60_000,
    env: { ...process.env, SKIPLIB_BACKEND: value, SKIPLIB_QUIET: "0" },
  });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

test("the native TensorFlow backend is active in CI (no silent fallback to WASM or pure JS)", { skip: !process.env.CI && "CI is not set" }, async () => {
  await ready;
  assert.equal(backendInfo().backend, "tensorflow", `CI fell back: ${backendFallbackReasons().join("; ")}`);
  assert.equal(tf.getBackend(), "tensorflow");
  assert.deepEqual(backendFallbackReasons(), []);
});

test("backendInfo names the active backend, its device, version and package", async () => {
  await ready;
  const info = backendInfo();
  assert.equal(info.backend, tf.getBackend());
  assert.match(info.device, /^(CPU|GPU)$/);
  assert.match(info.version, /^\d+\.\d+\.\d+/);
  assert.match(info.package, /^@tensorflow\/tfjs/);
  if (info.backend === "tensorflow") {
    assert.match(backendSummary(), /^skiplib: backend tensorflow \((CPU|GPU), TF \d+\.\d+\.\d+.*\)$/);
  }
  info.backend = "cpu"; // a copy: callers cannot change what skiplib reports
  assert.equal(backendInfo().backend, tf.getBackend());
});

for (const forced of ["wasm", "cpu"] as const) {
  test(`SKIPLIB_BACKEND=${forced} selects the ${forced} backend and it computes`, () => {
    const run = selectIn(forced);
    assert.equal(run.status, 0, run.stderr);
    const result = JSON.parse(run.stdout.trim().split("\n").pop()!);
    assert.equal(result.info.backend, forced);
    assert.equal(result.active, forced);
    assert.equal(result.info.device, "CPU");
    assert.deepEqual(result.product, [17, 39]);
    assert.match(run.stderr, new RegExp(`^skiplib: backend ${forced} \\(CPU, tfjs \\d`, "m"));
  });
}

test("SKIPLIB_BACKEND=tensorflow selects the native backend", { skip: backendInfo().backend !== "tensorflow" && "native backend not installed here" }, () => {
  const run = selectIn("tensorflow");
  assert.equal(run.status, 0, run.stderr);
  const result = JSON.parse(run.stdout.trim().split("\n").pop()!);
  assert.equal(result.active, "tensorflow");
  assert.deepEqual(result.product, [17, 39]);
});

test("an unknown SKIPLIB_BACKEND fails at import with the valid names", () => {
  const run = selectIn("cuda");
  assert.notEqual(run.status, 0);
  assert.match(run.stderr, /SKIPLIB_BACKEND must be one of tensorflow, wasm, cpu, got "cuda"/);
});
