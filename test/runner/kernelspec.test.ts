// Kernelspec discovery follows Jupyter's search order; an unknown name lists what is installed.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { findKernelspec, jupyterPath, kernelDirs, listKernelspecs, userDataDir } from "../../src/jupyter/kernelspec";

const scratch = mkdtempSync(join(tmpdir(), "skipbook-kernelspec-"));
after(() => rmSync(scratch, { recursive: true, force: true }));

function install(dataDir: string, name: string, displayName: string, extra: object = {}): void {
  mkdirSync(join(dataDir, "kernels", name), { recursive: true });
  writeFileSync(join(dataDir, "kernels", name, "kernel.json"), JSON.stringify({ argv: ["x", "{connection_file}"], display_name: displayName, language: "x", ...extra }));
}

function withEnv<T>(env: Record<string, string | undefined>, fn: () => T): T {
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete process.env[k]; else process.env[k] = v;
  try {
    return fn();
  } finally {
    for (const [k, v] of Object.entries(saved)) if (v === undefined) delete process.env[k]; else process.env[k] = v;
  }
}

test("JUPYTER_PATH entries come first, then the user data dir, then system dirs", () => {
  const a = join(scratch, "a");
  const b = join(scratch, "b");
  const user = join(scratch, "user");
  const dirs = withEnv({ JUPYTER_PATH: `${a}:${b}`, JUPYTER_DATA_DIR: user }, () => jupyterPath());
  assert.deepEqual(dirs.slice(0, 3), [a, b, user]);
  assert.ok(dirs.indexOf("/usr/share/jupyter") > dirs.indexOf("/usr/local/share/jupyter"));
  assert.equal(withEnv({ JUPYTER_DATA_DIR: undefined, XDG_DATA_HOME: "/xdg" }, () => userDataDir()), "/xdg/jupyter");
});

test("the first kernelspec of a name wins; names are case-insensitive; the project dir is searched first", () => {
  const first = join(scratch, "first");
  const second = join(scratch, "second");
  install(first, "demo", "Demo (first)");
  install(second, "demo", "Demo (second)");
  install(second, "Other", "Other");
  const dirs = withEnv({ JUPYTER_PATH: `${first}:${second}` }, () => kernelDirs());
  assert.match(dirs[0], /\.jupyter-kernels\/kernels$/);
  assert.equal(findKernelspec("DEMO", dirs).spec.display_name, "Demo (first)");
  assert.equal(findKernelspec("other", dirs).name, "other");
  const names = listKernelspecs(dirs).map((k) => k.name);
  assert.equal(names.filter((n) => n === "demo").length, 1);
  assert.ok(names.includes("other"));
});

test("an unknown kernel name is refused with the list of installed kernels", () => {
  const only = join(scratch, "only");
  install(only, "alpha", "Alpha");
  install(only, "beta", "Beta");
  assert.throws(() => findKernelspec("gamma", [join(only, "kernels")]), /^Error: Unknown kernel "gamma"; installed kernels: alpha, beta/);
});

test("a broken kernel.json names the file and the field", () => {
  const broken = join(scratch, "broken");
  install(broken, "noargv", "No argv", { argv: [] });
  assert.throws(() => findKernelspec("noargv", [join(broken, "kernels")]), /noargv\/kernel\.json: "argv" must be a non-empty array/);
  install(broken, "badmode", "Bad", { interrupt_mode: "sometimes" });
  assert.throws(() => findKernelspec("badmode", [join(broken, "kernels")]), /"interrupt_mode" must be "signal" or "message"/);
});
