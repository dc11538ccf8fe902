// The cache key changes exactly when a run could come out differently: code cells, src/, package-lock.json, the kernel.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { cachedNotebookPath, cacheKey } from "../../src/runner/cache";
import type { Kernelspec } from "../../src/jupyter/kernelspec";
import { parseNotebook, type Notebook } from "../../src/runner/nbformat";

const root = mkdtempSync(join(tmpdir(), "skipbook-cache-"));
after(() => rmSync(root, { recursive: true, force: true }));
mkdirSync(join(root, "src", "lib"), { recursive: true });
writeFileSync(join(root, "src", "lib", "a.ts"), "export const a = 1;\n");
writeFileSync(join(root, "package-lock.json"), "{}\n");
mkdirSync(join(root, "spec"));
writeFileSync(join(root, "spec", "kernel.json"), '{"argv":["k"]}');
const kernel: Kernelspec = { name: "k", dir: join(root, "spec"), spec: { argv: ["k"], display_name: "K", language: "x" } };
const fixture = readFileSync(join(__dirname, "..", "fixtures", "cache.ipynb"), "utf8");
const load = (): Notebook => parseNotebook(fixture, "cache.ipynb");

test("the key is stable, and ignores Markdown and outputs", () => {
  const key = cacheKey(load(), kernel, root);
  assert.equal(cacheKey(load(), kernel, root), key);
  const nb = load();
  nb.cells[0].source = "Other prose.";
  const code = nb.cells[1];
  if (code.cell_type === "code") code.outputs = [{ output_type: "stream", name: "stdout", text: "x" }];
  assert.equal(cacheKey(nb, kernel, root), key);
});

test("changing a code cell, its tags or its timeout changes the key", () => {
  const key = cacheKey(load(), kernel, root);
  for (const change of [
    (nb: Notebook) => (nb.cells[1].source = 'console.log("edited");'),
    (nb: Notebook) => (nb.cells[1].metadata.tags = ["skip-execution"]),
    (nb: Notebook) => (nb.cells[1].metadata.timeout = 5),
  ]) {
    const nb = load();
    change(nb);
    assert.notEqual(cacheKey(nb, kernel, root), key);
  }
});

test("editing, adding or renaming a file under src/, the lockfile, or the kernelspec changes the key", () => {
  const edits: Array<() => void> = [
    () => writeFileSync(join(root, "src", "lib", "a.ts"), "export const a = 2;\n"),
    () => writeFileSync(join(root, "src", "lib", "b.ts"), "export const b = 1;\n"),
    () => writeFileSync(join(root, "package-lock.json"), '{"lockfileVersion":3}\n'),
    () => writeFileSync(join(root, "spec", "kernel.json"), '{"argv":["k2"]}'),
    () => {
      mkdirSync(join(root, "kernel"));
      writeFileSync(join(root, "kernel", "main.ts"), "// kernel\n");
    },
  ];
  for (const edit of edits) {
    const before = cacheKey(load(), kernel, root);
    edit();
    assert.notEqual(cacheKey(load(), kernel, root), before);
  }
  // files outside the dependency set do not matter
  const before = cacheKey(load(), kernel, root);
  writeFileSync(join(root, "README.md"), "hello\n");
  assert.equal(cacheKey(load(), kernel, root), before);
});

test("cached copies mirror the repository layout; notebooks elsewhere go under external/", () => {
  assert.equal(cachedNotebookPath(join(root, "notebooks", "01.ipynb"), "/c", root), "/c/notebooks/01.ipynb");
  assert.match(cachedNotebookPath("/elsewhere/x.ipynb", "/c", root), /^\/c\/external\/[0-9a-f]{12}\/x\.ipynb$/);
});
