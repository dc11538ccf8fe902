import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { resolve } from "node:path";
import { backendInfo, ready } from "../../../src/skiplib/backend";
import { oneDnnEnabled, oneDnnSetting } from "../../../src/skiplib/native-kernels/onednn";
import { assertGradientsClose, type GradientRun } from "./gradient-compare";

const ROOT = resolve(__dirname, "../../..");
const CHILD = "test/skiplib/native-kernels/fixtures/resnet-gradients.ts";

test("oneDNN: on by default on x86-64, the reader's TF_ENABLE_ONEDNN_OPTS wins, other CPUs keep TensorFlow's rule", () => {
  assert.equal(oneDnnSetting({}, "x64"), "1");
  assert.equal(oneDnnSetting({ TF_ENABLE_ONEDNN_OPTS: "0" }, "x64"), "0");
  assert.equal(oneDnnSetting({ TF_ENABLE_ONEDNN_OPTS: "false" }, "x64"), "false");
  assert.equal(oneDnnSetting({}, "arm64"), undefined);
  assert.equal(oneDnnEnabled({ TF_ENABLE_ONEDNN_OPTS: "True" }), true);
  assert.equal(oneDnnEnabled({ TF_ENABLE_ONEDNN_OPTS: "0" }), false);
});

test("skiplib sets TF_ENABLE_ONEDNN_OPTS before tfjs-node's library loads, when TensorFlow reads it", { skip: process.arch !== "x64" && "x86-64 only" }, async () => {
  await ready;
  if (backendInfo().backend !== "tensorflow") return;
  // records the variable at the moment skiplib's backend requires tfjs-node (on CPUs whose default is oneDNN off,
  // a later value would be ignored and the book would run TensorFlow's slower Eigen kernels)
  const probe = `
    const Module = require("node:module");
    const load = Module._load;
    let seen;
    Module._load = function (request, ...rest) {
      if (request === "@tensorflow/tfjs-node" && seen === undefined) seen = process.env.TF_ENABLE_ONEDNN_OPTS ?? "unset";
      return load.call(this, request, ...rest);
    };
    require(${JSON.stringify(resolve(ROOT, "src/skiplib/backend"))});
    console.log(JSON.stringify({ seen }));`;
  const env: NodeJS.ProcessEnv = { ...process.env, SKIPLIB_QUIET: "1" };
  delete env.TF_ENABLE_ONEDNN_OPTS;
  const child = spawnSync(process.execPath, ["--import", "tsx", "-e", probe], { cwd: ROOT, env, encoding: "utf8", timeout: 120_000 });
  assert.equal(child.status, 0, `probe failed: ${child.stderr}`);
  assert.deepEqual(JSON.parse(child.stdout.trim().split("\n").pop()!), { seen: "1" });
});

/** Runs the gradient fixture in a fresh process (TensorFlow reads the variable once); returns its numbers and log. */
function run(setting: string | undefined): GradientRun & { log: string } {
  const env: NodeJS.ProcessEnv = { ...process.env, SKIPLIB_QUIET: "1", TF_CPP_MIN_LOG_LEVEL: "0" };
  delete env.TF_ENABLE_ONEDNN_OPTS;
  if (setting !== undefined) env.TF_ENABLE_ONEDNN_OPTS = setting;
  const child = spawnSync(process.execPath, ["--import", "tsx", CHILD, "8", "0.5", "8"], { cwd: ROOT, env, encoding: "utf8", timeout: 120_000, maxBuffer: 1 << 26 });
  assert.equal(child.status, 0, `fixture failed: ${child.stderr}`);
  return { ...(JSON.parse(child.stdout.trim().split("\n").pop()!) as GradientRun), log: child.stderr };
}

test("oneDNN on (skiplib's default here) and off give the same ResNet loss and gradients within 1e-4", { skip: process.arch !== "x64" && "x86-64 only" }, async () => {
  await ready;
  if (backendInfo().backend !== "tensorflow") return;
  const byDefault = run(undefined);
  const off = run("0");
  // TensorFlow says so in its log when oneDNN is on: the default really reached it, and "0" really turned it off
  const on = /oneDNN custom operations are on/;
  assert.match(byDefault.log, on);
  assert.doesNotMatch(off.log, on);
  assertGradientsClose(byDefault, off, 1e-4);
});
