#!/usr/bin/env node
// Runs every test file under test/ (or under the paths given) with Node's built-in test runner and tsx.
// `npm test -- test/skiplib` runs one folder; TEST_CONCURRENCY sets how many files run at once.
import { spawnSync } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { cpus } from "node:os";
import { join, relative, resolve } from "node:path";

const roots = process.argv.slice(2).length ? process.argv.slice(2) : ["test"];

function testFiles(path) {
  if (statSync(path).isFile()) return [path];
  return readdirSync(path, { withFileTypes: true })
    .filter((entry) => entry.name !== "fixtures" && entry.name !== "node_modules")
    .flatMap((entry) => {
      const child = join(path, entry.name);
      if (entry.isDirectory()) return testFiles(child);
      return /\.test\.(ts|mts|js|mjs)$/.test(entry.name) ? [child] : [];
    });
}

const files = roots.flatMap((r) => testFiles(resolve(r))).map((f) => relative(process.cwd(), f)).sort();
if (files.length === 0) {
  console.error(`no test files under ${roots.join(", ")}`);
  process.exit(1);
}
// The Python tools the cross-checks use (JupyterLab/nbclient/nbformat, PyTorch) are made once here, before test
// files start in parallel, so no test's timing includes a pip install.
const { ensurePythonEnv, PYTHON_ENVS } = await import("./python-env.mjs");
for (const name of Object.keys(PYTHON_ENVS)) ensurePythonEnv(name);

const concurrency = process.env.TEST_CONCURRENCY ?? String(Math.max(1, Math.min(2, cpus().length)));
const result = spawnSync(
  process.execPath,
  ["--import", "tsx", "--test", "--test-reporter=spec", `--test-concurrency=${concurrency}`, ...files],
  { stdio: "inherit", env: { ...process.env, SKIPBOOK_TEST: "1" } },
);
process.exit(result.status ?? 1);
