// Set-up's Debian packages: which command needs which, quiet when present, apt-get as root or through sudo -n, and
// one clear message with the exact command otherwise. The machine's own packages are checked for real; apt-get
// itself is replaced by a recorder, since a test must not install or remove system packages under other work.
import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, test } from "node:test";

const root = join(__dirname, "..", "..");
type Pkg = { name: string; why: string; file: () => string; neededBy: string[] };
type Run = (program: string, args: string[], options?: object) => { status: number | null };
const mod = import(join(root, "scripts", "system-packages.mjs")) as Promise<{
  SYSTEM_PACKAGES: Pkg[];
  missingPackages(script: string | undefined, options?: { packages?: Pkg[] }): Pkg[];
  privilege(options: { uid?: number; run?: Run }): string;
  ensureSystemPackages(script: string | undefined, options: Record<string, unknown>): string[];
}>;

const absent = (name: string, neededBy = ["start", "test"]): Pkg => ({ name, why: `${name}'s reason`, file: () => `/nonexistent/${name}`, neededBy });

/** A stand-in for spawnSync that records each command and answers from `answers` (exit 0 by default). */
function recorder(answers: Record<string, number> = {}) {
  const calls: string[] = [];
  const run: Run = (program, args) => {
    const line = [program, ...args].join(" ");
    calls.push(line);
    const key = Object.keys(answers).find((k) => line.includes(k));
    return { status: key ? answers[key] : 0 };
  };
  return { calls, run };
}

describe("system packages", () => {
  test("each command needs its own: the dataset for npm start, all three for npm test, nothing for npm run lab", async () => {
    const { SYSTEM_PACKAGES } = await mod;
    const needs = (script: string) => SYSTEM_PACKAGES.filter((p) => p.neededBy.includes(script)).map((p) => p.name);
    assert.deepEqual(needs("start"), ["dataset-fashion-mnist"]);
    assert.deepEqual(needs("test"), ["dataset-fashion-mnist", "chromium", "python3-jupyter-kernel-test"]);
    assert.deepEqual(needs("lab"), []);
  });

  test("this machine has them (set-up installed them before the tests): nothing runs, nothing is said", async () => {
    const { ensureSystemPackages, missingPackages } = await mod;
    assert.deepEqual(missingPackages(undefined).map((p) => p.name), []);
    const { calls, run } = recorder();
    const said: string[] = [];
    assert.deepEqual(ensureSystemPackages("test", { run, log: (m: string) => said.push(m) }), []);
    assert.deepEqual([calls, said], [[], []]);
  });

  test("as root or through sudo -n: apt-get install of exactly the missing ones; apt-get update first on a fresh machine, else only when the install failed", async () => {
    const { ensureSystemPackages } = await mod;
    const packages = [absent("dataset-a"), absent("tool-b", ["test"])];
    let installed = false;
    const exists = (file: string) => installed || !file.startsWith("/nonexistent/");
    const { calls, run } = recorder();
    const recording: Run = (program, args, options) => {
      const result = run(program, args, options);
      if (args.includes("install")) installed = true;
      return result;
    };
    const names = ensureSystemPackages("start", { packages, exists, run: recording, how: "root", hasApt: true, hasPackageLists: true });
    assert.deepEqual(names, ["dataset-a"]);
    assert.deepEqual(calls.filter((c) => c.startsWith("apt-get install")), ["apt-get install -y -q dataset-a"]);

    // a fresh machine has no package lists yet: update, then install
    installed = false;
    const fresh = recorder();
    const installing: Run = (program, args, options) => {
      if (args.includes("install")) installed = true;
      return fresh.run(program, args, options);
    };
    ensureSystemPackages("start", { packages, exists, run: installing, how: "root", hasApt: true, hasPackageLists: false });
    assert.deepEqual(fresh.calls, ["apt-get update -q", "apt-get install -y -q dataset-a"]);

    // stale lists: the first install fails, so the lists are updated and the install tried once more
    installed = false;
    const stale = recorder();
    let tries = 0;
    const failingOnce: Run = (program, args, options) => {
      stale.run(program, args, options);
      if (!args.includes("install")) return { status: 0 };
      tries++;
      installed = tries > 1;
      return { status: tries > 1 ? 0 : 100 };
    };
    ensureSystemPackages("start", { packages, exists, run: failingOnce, how: "sudo", hasApt: true, hasPackageLists: true });
    assert.deepEqual(stale.calls, ["sudo -n apt-get install -y -q dataset-a", "sudo -n apt-get update -q", "sudo -n apt-get install -y -q dataset-a"]);
  });

  test("without root or passwordless sudo: one message with the exact command, and nothing is run", async () => {
    const { ensureSystemPackages, privilege } = await mod;
    const { calls, run } = recorder({ "sudo -n true": 1 });
    assert.equal(privilege({ uid: 1000, run }), "none");
    assert.equal(privilege({ uid: 0, run }), "root");
    const packages = [absent("chromium"), absent("python3-jupyter-kernel-test")];
    assert.throws(
      () => ensureSystemPackages("test", { packages, run, hasApt: true, how: "none" }),
      (e: Error) => /^`npm test` needs chromium \(chromium's reason\), python3-jupyter-kernel-test .*sudo asks for a password. Run\n {4}sudo apt-get install -y chromium python3-jupyter-kernel-test\nthen the same command again$/.test(e.message),
    );
    assert.deepEqual(calls.filter((c) => c.includes("apt-get")), []);
    assert.throws(() => ensureSystemPackages("book", { packages: [absent("dataset-a", ["book"])], run, hasApt: false }), /`npm run book` needs dataset-a .* no apt-get: install them with its package manager \(on Debian or Ubuntu: sudo apt-get install -y dataset-a\)/);
  });

  test("an install that does not produce the package is a failure that says what to run", async () => {
    const { ensureSystemPackages } = await mod;
    const { run } = recorder();
    assert.throws(() => ensureSystemPackages("start", { packages: [absent("dataset-a")], run, how: "root", hasApt: true }), /apt-get could not install dataset-a .*\n {4}sudo apt-get install -y dataset-a\n/);
  });
});
