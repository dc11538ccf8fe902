// Reading and validating notebooks: refusals name the file and the problem; the schema agrees with nbformat's own validator.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { hasPythonKernel, jupyterPython as python } from "./kernels";
import { NotebookFormatError, parseNotebook, readNotebook, serializeNotebook, validateNotebook } from "../../src/runner/nbformat";

const fixtures = join(__dirname, "..", "fixtures");

test("every valid fixture notebook passes the nbformat 4.5 schema and round-trips byte for byte", () => {
  for (const name of ["outputs.ipynb", "error-cell3.ipynb", "tags.ipynb", "py-outputs.ipynb", "cache.ipynb"]) {
    const text = readFileSync(join(fixtures, name), "utf8");
    const nb = parseNotebook(text, name);
    assert.deepEqual(validateNotebook(nb), []);
    assert.equal(serializeNotebook(nb), text, `${name} serialises as Jupyter writes it`);
  }
});

test("a file that is not JSON is refused with its path and the parse error", () => {
  assert.throws(() => readNotebook(join(fixtures, "invalid-json.ipynb")), (error: Error) => {
    assert.ok(error instanceof NotebookFormatError);
    assert.match(error.message, /invalid-json\.ipynb: not valid JSON/);
    return true;
  });
});

test("schema violations are listed by JSON pointer", () => {
  assert.throws(() => readNotebook(join(fixtures, "invalid-schema.ipynb")), (error: Error) => {
    assert.match(error.message, /not valid nbformat 4\.5/);
    assert.match(error.message, /\/cells\/1 must have required property 'outputs'/);
    assert.match(error.message, /\/cells\/1 must NOT have additional properties \(colour\)/);
    assert.doesNotMatch(error.message, /markdown|raw/, "errors of the cell types it does not claim are left out");
    return true;
  });
  assert.throws(() => parseNotebook(JSON.stringify({ nbformat: 3, cells: [] }), "old.ipynb"), /unsupported nbformat 3/);
  assert.throws(() => parseNotebook("[]", "list.ipynb"), /top level must be an object/);
});

test("nbformat 4.4 notebooks are upgraded in memory: cells get stable ids", () => {
  const old = { nbformat: 4, nbformat_minor: 4, metadata: {}, cells: [{ cell_type: "code", metadata: {}, source: "1", outputs: [], execution_count: null }] };
  const a = parseNotebook(JSON.stringify(old), "a.ipynb");
  const b = parseNotebook(JSON.stringify(old), "a.ipynb");
  assert.equal(a.nbformat_minor, 5);
  assert.match(a.cells[0].id, /^[0-9a-f]{8}$/);
  assert.equal(a.cells[0].id, b.cells[0].id);
});

test("our schema check agrees with nbformat.validate on valid and invalid documents", { skip: !hasPythonKernel && !process.env.CI && "no .venvs/jupyter" }, () => {
  const base = JSON.parse(readFileSync(join(fixtures, "outputs.ipynb"), "utf8"));
  const variants: Record<string, unknown> = {
    valid: base,
    badOutput: { ...base, cells: [{ ...base.cells[0], outputs: [{ output_type: "stream", name: "stdout" }] }] },
    badId: { ...base, cells: [{ ...base.cells[0], id: "has space" }] },
    badCount: { ...base, cells: [{ ...base.cells[0], execution_count: "1" }] },
    extraTop: { ...base, extra: true },
    execMetaNumber: { ...base, cells: [{ ...base.cells[0], metadata: { execution: { "iopub.status.busy": 3 } } }] },
  };
  const script = `import json, sys, nbformat
docs = json.load(sys.stdin)
out = {}
for k, v in docs.items():
    try:
        nbformat.validate(v, version=4, version_minor=5); out[k] = True
    except nbformat.ValidationError:
        out[k] = False
print(json.dumps(out))`;
  const result = spawnSync(python, ["-c", script], { input: JSON.stringify(variants), encoding: "utf8" });
  assert.equal(result.status, 0, result.stderr);
  const reference = JSON.parse(result.stdout) as Record<string, boolean>;
  for (const [name, doc] of Object.entries(variants)) {
    assert.equal(validateNotebook(doc).length === 0, reference[name], `${name}: ours vs nbformat.validate`);
  }
  assert.equal(reference.valid, true);
  assert.equal(reference.badOutput, false);
});
