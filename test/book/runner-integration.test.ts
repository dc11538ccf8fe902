// `npm run book`'s first step for real: the book executes its notebooks through src/runner with a live kernel
// (here ipykernel from the project's Jupyter venv, so this does not wait for the TypeScript kernel), then converts them.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { before, describe, it } from "node:test";
import { buildBook, BookBuildError } from "../../src/book/build";

const ROOT = join(__dirname, "..", "..");

function notebook(code: string) {
  return {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: { kernelspec: { name: "book-test-python", display_name: "Python (book test)", language: "python" } },
    cells: [
      { id: "title", cell_type: "markdown", metadata: {}, source: "# Executed for the book\n\nA residual $H(x) = F(x) + x$." },
      { id: "code", cell_type: "code", metadata: {}, execution_count: null, outputs: [], source: code },
    ],
  };
}

describe("building a book through the runner", () => {
  let dir: string;
  before(async () => {
    const { ensurePythonEnv } = (await import(join(ROOT, "scripts", "python-env.mjs"))) as { ensurePythonEnv: (name: string) => string };
    const python = ensurePythonEnv("jupyter");
    dir = mkdtempSync(join(tmpdir(), "skipbook-book-runner-"));
    mkdirSync(join(dir, "jupyter", "kernels", "book-test-python"), { recursive: true });
    writeFileSync(
      join(dir, "jupyter", "kernels", "book-test-python", "kernel.json"),
      JSON.stringify({ argv: [python, "-m", "ipykernel_launcher", "-f", "{connection_file}"], display_name: "Python (book test)", language: "python" }),
    );
    process.env.JUPYTER_PATH = join(dir, "jupyter"); // where the runner looks for kernelspecs first
    mkdirSync(join(dir, "nb"));
    writeFileSync(join(dir, "book.toml"), '[book]\ntitle = "Runner book"\nsrc = "nb"\n[build]\nbuild-dir = "out"\n');
  });

  function book(code: string): { configFile: string } {
    writeFileSync(join(dir, "nb", "SUMMARY.md"), "- [Executed](one.ipynb)\n");
    writeFileSync(join(dir, "nb", "one.ipynb"), JSON.stringify(notebook(code)));
    return { configFile: join(dir, "book.toml") };
  }

  it("executes the chapter and publishes its outputs, a display updated in place only in its final state", async () => {
    const code = [
      "import sys",
      'print("trained residual-20")',
      'print("skiplib: backend tensorflow (CPU, TF 2.21.0)", file=sys.stderr)',
      "from IPython.display import display",
      'h = display({"text/plain": "epoch 1/3"}, raw=True, display_id=True)',
      'h.update({"text/plain": "epoch 3/3 done"}, raw=True)',
    ].join("\n");
    const stagingDir = join(dir, "site");
    const result = await buildBook({ root: dir, ...book(code), force: true, render: false, cacheDir: join(dir, "executed"), stagingDir, log: () => undefined });
    const page = readFileSync(join(stagingDir, "one.md"), "utf8");
    assert.ok(page.includes('<pre class="nb-output nb-stdout" v-pre>trained residual-20</pre>'));
    assert.ok(page.includes('<pre class="nb-output nb-result" v-pre>epoch 3/3 done</pre>'));
    assert.ok(!page.includes(">epoch 1/3"), "the first state of the display is gone");
    const chapter = result.pages.find((p) => p.source === "one.ipynb")!;
    assert.deepEqual(chapter.provenance?.backend, { backend: "tensorflow", device: "CPU", version: "TF 2.21.0" });
    const executedAt = Date.parse(chapter.provenance?.executedAt ?? "");
    assert.ok(Math.abs(executedAt - Date.now()) < 120_000, `execution time recorded by the runner: ${chapter.provenance?.executedAt}`);
    const downloaded = JSON.parse(readFileSync(join(stagingDir, "public", "notebooks", "one.ipynb"), "utf8"));
    assert.ok(downloaded.cells[1].outputs.length >= 2, "the download is the executed copy");
  });

  it("refuses to publish a chapter whose execution failed, naming the cell and error", async () => {
    await assert.rejects(
      buildBook({ root: dir, ...book('raise ValueError("depth must be 6n+2")'), force: true, render: false, cacheDir: join(dir, "executed"), stagingDir: join(dir, "site2"), log: () => undefined }),
      (error: Error) => error instanceof BookBuildError && /1 notebook\(s\) failed:\n\s+nb\/one\.ipynb: cell 2: ValueError: depth must be 6n\+2/.test(error.message),
    );
  });
});
