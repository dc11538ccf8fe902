// Notebook parameters (papermill's convention): the injected cell, the errors a user can make, the cache, the CLI,
// on the real skipbook kernel (TypeScript syntax) and on ipykernel (Python syntax).
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { kernelDirs as defaultKernelDirs } from "../../src/jupyter/kernelspec";
import {
  declaredParameters,
  failureReport,
  injectParameters,
  joinSource,
  ParameterError,
  parseParameterValue,
  readNotebook,
  runNotebook,
  runNotebooks,
  type CodeCell,
  type Notebook,
  type RunOptions,
} from "../../src/runner";
import { fixtures, hasPythonKernel, hasSkipbookKernel, pythonKernelDirs, root } from "./kernels";

process.env.SKIPBOOK_KERNEL_STARTUP ??= "lazy";
const scratch = mkdtempSync(join(tmpdir(), "skipbook-params-"));
after(() => rmSync(scratch, { recursive: true, force: true }));

const code = (nb: Notebook) => nb.cells.filter((c): c is CodeCell => c.cell_type === "code");
const texts = (cell: CodeCell): string[] =>
  cell.outputs.map((o) => (o.output_type === "stream" ? String(o.text) : o.output_type === "error" ? `${o.ename}: ${o.evalue}` : String(o.data["text/plain"])));

function cli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolveRun) => {
    const child = spawn(process.execPath, [join(root, "bin", "skipbook.js"), ...args], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (c) => (stderr += c));
    child.on("close", (exit) => resolveRun({ code: exit, stderr }));
  });
}

describe("parameters: parsing and injection", () => {
  test("the declared names are the parameters cell's top-level declarations", () => {
    const ts = "const seeds = [1, 2, 3];\nlet a = 1, b = 2;\nvar { c, d: [e] } = { c: 1, d: [2] };\nfunction f() { const inner = 1; }\nif (a) { const hidden = 2; }\n";
    assert.deepEqual(declaredParameters(ts, "typescript"), ["seeds", "a", "b", "c", "e"]);
    const py = "seeds = [1, 2]\ntrain_samples: int = 1500\nif seeds == 1:\n    hidden = 2\nx == 3\n";
    assert.deepEqual(declaredParameters(py, "python"), ["seeds", "train_samples"]);
  });

  test("the injected cell follows the parameters cell, in the kernel's language, and replaces an earlier one", () => {
    const notebook = readNotebook(join(fixtures, "parameters.ipynb"));
    const parameters = { seeds: [4, 5, 6], label: "it's \"x\"", trainSamples: { lr: 0.1, "two words": null, on: true } };
    injectParameters(notebook, parameters, "typescript", "nb");
    const injected = notebook.cells[2];
    assert.deepEqual(injected.metadata.tags, ["injected-parameters"]);
    assert.equal(
      joinSource(injected.source),
      `// Parameters\nconst seeds = [4, 5, 6];\nconst label = "it's \\"x\\"";\nconst trainSamples = { lr: 0.1, "two words": null, on: true };`,
    );
    injectParameters(notebook, { seeds: [7] }, "typescript", "nb");
    assert.equal(notebook.cells.filter((c) => c.metadata.tags?.includes("injected-parameters")).length, 1);
    assert.equal(joinSource(notebook.cells[2].source), "// Parameters\nconst seeds = [7];");

    const python = readNotebook(join(fixtures, "py-parameters.ipynb"));
    injectParameters(python, { seeds: [4, 5, 6], label: null, train_samples: 800 }, "python", "nb");
    assert.equal(joinSource(python.cells[1].source), "# Parameters\nseeds = [4, 5, 6]\nlabel = None\ntrain_samples = 800");
    const flags = readNotebook(join(fixtures, "py-parameters.ipynb"));
    injectParameters(flags, { label: { on: true, off: false } }, "python", "nb");
    assert.equal(joinSource(flags.cells[1].source), '# Parameters\nlabel = {"on": True, "off": False}');
  });

  test("clear errors: no parameters cell, a name it does not declare, a value that is not JSON, a language without syntax", () => {
    const plain = readNotebook(join(fixtures, "cache.ipynb"));
    assert.throws(() => injectParameters(plain, { seeds: [1] }, "typescript", "cache.ipynb"), (e: Error) =>
      e instanceof ParameterError && /cache\.ipynb: parameters given \(seeds\), but no code cell is tagged "parameters"/.test(e.message));
    const nb = () => readNotebook(join(fixtures, "parameters.ipynb"));
    assert.throws(() => injectParameters(nb(), { samples: 800 }, "typescript", "p.ipynb"),
      /p\.ipynb: the parameters cell \(cell 2\) declares seeds, trainSamples, label; "samples" is not among them/);
    assert.throws(() => injectParameters(nb(), { seeds: [Number.NaN] }, "typescript", "p.ipynb"), /parameter seeds\[0\]: NaN is not a JSON number/);
    assert.throws(() => injectParameters(nb(), { seeds: new Date(0) as never }, "typescript", "p.ipynb"), /parameter seeds: a Date is not a JSON value/);
    assert.throws(() => injectParameters(nb(), { seeds: [1] }, "r", "p.ipynb"), /cannot be injected into a r-language kernel's notebook; supported: typescript, javascript, python/);
    assert.throws(() => parseParameterValue("label", "hello"), /-p label: "hello" is not JSON .*a string needs JSON's quotes: -p label '"hello"'/);
    assert.deepEqual(parseParameterValue("seeds", "[4,5,6]"), [4, 5, 6]);
  });
});

describe("parameters on the skipbook kernel", { skip: !hasSkipbookKernel && "the skipbook kernelspec is not installed (node scripts/setup.mjs)" }, () => {
  const base: RunOptions = { kernelDirs: defaultKernelDirs(root), cacheDir: join(scratch, "cache") };
  const notebook = join(fixtures, "parameters.ipynb");

  test("later cells see the injected values (const redeclared), the executed notebook keeps the cell, the summary names them", async () => {
    const { notebook: executed, summary } = await runNotebook(notebook, { ...base, force: true, parameters: { seeds: [4, 5, 6], trainSamples: 800 } });
    assert.equal(summary.ok, true, summary.error?.evalue ?? summary.message);
    assert.deepEqual(summary.parameters, { seeds: [4, 5, 6], trainSamples: 800 });
    const cells = code(executed);
    assert.deepEqual(cells[1].metadata.tags, ["injected-parameters"]);
    assert.equal(typeof cells[1].execution_count, "number");
    assert.deepEqual(texts(cells[2]), ['[[4,5,6],800,"default"]\n']);
    assert.deepEqual(texts(cells[3]), ["15"], "a function declared after the injection reads the new seeds");
    const written: Notebook = JSON.parse(readFileSync(summary.executedPath!, "utf8"));
    assert.deepEqual(written.cells.map((c) => c.metadata.tags ?? []), [[], ["parameters"], ["injected-parameters"], [], []]);
  });

  test("the cache keeps default and parameterised runs apart and serves each only its own", async () => {
    const options = { ...base, cacheDir: join(scratch, "cache-apart"), root: join(scratch, "still-project") };
    const plain = await runNotebook(notebook, options);
    assert.deepEqual([plain.summary.ok, plain.summary.cached], [true, false]);
    const defaultCopy = readFileSync(plain.summary.executedPath!, "utf8");
    const withSeeds = await runNotebook(notebook, { ...options, parameters: { seeds: [9] } });
    assert.deepEqual([withSeeds.summary.ok, withSeeds.summary.cached], [true, false], "not served from the default run's cache");
    assert.notEqual(withSeeds.summary.executedPath, plain.summary.executedPath);
    assert.equal(readFileSync(plain.summary.executedPath!, "utf8"), defaultCopy, "the default run's cached copy is untouched");
    const again = await runNotebook(notebook, { ...options, parameters: { seeds: [9] } });
    assert.deepEqual([again.summary.cached, again.summary.cellsExecuted], [true, 0]);
    assert.deepEqual(texts(code(again.notebook)[2]), ['[[9],1500,"default"]\n']);
    const other = await runNotebook(notebook, { ...options, parameters: { seeds: [8] } });
    assert.equal(other.summary.cached, false, "other values are another run");
    const back = await runNotebook(notebook, options);
    assert.equal(back.summary.cached, true);
    assert.deepEqual(texts(code(back.notebook)[1]), ['[[1,2,3],1500,"default"]\n']);
  });

  test("runNotebooks refuses a notebook the parameters do not fit, alone, and runs the others", async () => {
    const results = await runNotebooks([join(fixtures, "cache.ipynb"), notebook], { ...base, force: true, jobs: 1, parameters: { seeds: [2] } });
    assert.deepEqual(results.map((r) => r.summary.failure), ["invalid", undefined]);
    assert.match(failureReport(results[0].summary, results[0].notebook), /no code cell is tagged "parameters"/);
    assert.deepEqual(texts(code(results[1].notebook)[2]), ['[[2],1500,"default"]\n']);
  });

  test("CLI: -p NAME JSON, named in the progress line; a wrong name or value is a clear error", async () => {
    const cacheDir = join(scratch, "cli-cache");
    const ok = await cli(["run", notebook, "-p", "seeds", "[4,5,6]", "-p", "label", '"x"', "--cache-dir", cacheDir]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stderr, /ok +test\/fixtures\/parameters\.ipynb with seeds=\[4,5,6\] label="x" \(/);
    const unknown = await cli(["run", notebook, "-p", "samples", "800", "--cache-dir", cacheDir]);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /declares seeds, trainSamples, label; "samples" is not among them/);
    const notJson = await cli(["run", notebook, "-p", "seeds", "[4,5", "--cache-dir", cacheDir]);
    assert.equal(notJson.code, 2);
    assert.match(notJson.stderr, /-p seeds: "\[4,5" is not JSON/);
  });
});

describe("parameters on ipykernel", { skip: !hasPythonKernel && "no .venvs/jupyter (run node scripts/setup.mjs)" }, () => {
  test("the injected cell is Python assignments, and later cells see them", async () => {
    const { notebook, summary } = await runNotebook(join(fixtures, "py-parameters.ipynb"), {
      kernelName: "pyk",
      kernelDirs: pythonKernelDirs(),
      cacheDir: join(scratch, "py-cache"),
      force: true,
      parameters: { seeds: [4, 5, 6], label: null },
    });
    assert.equal(summary.ok, true, summary.error?.evalue);
    assert.equal(joinSource(code(notebook)[1].source), "# Parameters\nseeds = [4, 5, 6]\nlabel = None");
    assert.deepEqual(texts(code(notebook)[2]), ["[[4, 5, 6], 1500, null]\n"]);
  });
});
