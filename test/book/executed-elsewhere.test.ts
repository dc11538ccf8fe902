// `npm run book -- --executed DIR`: the book assembled from notebooks executed elsewhere (CI shards, another machine),
// each accepted only when its recorded run matches the source's code and the project; nothing is executed here.
import assert from "node:assert/strict";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { buildBook, BookBuildError } from "../../src/book/build";
import { runNotebooks, serializeNotebook, type Notebook } from "../../src/runner";

const ROOT = join(__dirname, "..", "..");
const dir = mkdtempSync(join(tmpdir(), "skipbook-book-executed-"));
after(() => rmSync(dir, { recursive: true, force: true }));

function chapter(code: string): Notebook {
  return {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: { kernelspec: { name: "book-test-python", display_name: "Python (book test)", language: "python" } },
    cells: [
      { id: "title", cell_type: "markdown", metadata: {}, source: "# Made elsewhere" },
      { id: "params", cell_type: "code", metadata: { tags: ["parameters"] }, execution_count: null, outputs: [], source: "width = 3" },
      { id: "code", cell_type: "code", metadata: {}, execution_count: null, outputs: [], source: code },
    ],
  };
}

describe("a book from executed notebooks made elsewhere", () => {
  let kernelDirs: string[];
  // a project of its own, so that the run identity's project part cannot change under the test
  const project = join(dir, "project");
  const book = join(dir, "book");
  const source = join(book, "nb", "one.ipynb");

  before(async () => {
    const { ensurePythonEnv } = (await import(join(ROOT, "scripts", "python-env.mjs"))) as { ensurePythonEnv: (name: string) => string };
    const python = ensurePythonEnv("jupyter");
    mkdirSync(join(dir, "kernels", "book-test-python"), { recursive: true });
    writeFileSync(join(dir, "kernels", "book-test-python", "kernel.json"), JSON.stringify({ argv: [python, "-m", "ipykernel_launcher", "-f", "{connection_file}"], display_name: "Python (book test)", language: "python" }));
    kernelDirs = [join(dir, "kernels")];
    mkdirSync(join(project, "src"), { recursive: true });
    writeFileSync(join(project, "src", "lib.ts"), "export {};\n");
    mkdirSync(join(book, "nb"), { recursive: true });
    writeFileSync(join(book, "book.toml"), '[book]\ntitle = "Executed elsewhere"\nsrc = "nb"\n[build]\nbuild-dir = "out"\n');
    writeFileSync(join(book, "nb", "SUMMARY.md"), "- [Made elsewhere](one.ipynb)\n");
    writeFileSync(source, serializeNotebook(chapter('print("width", width)')));
  });

  /** Executes the chapter as a CI job would (`npx skipbook run ... --out DIR`), into a folder of its own. */
  async function executeInto(name: string, options: { parameters?: Record<string, number> } = {}): Promise<string> {
    const out = join(dir, name);
    const [result] = await runNotebooks([source], { kernelName: "book-test-python", kernelDirs, root: project, cacheDir: join(dir, `${name}-cache`), outPathFor: (p) => join(out, p.split("/").pop()!), ...options });
    assert.equal(result.summary.ok, true, result.summary.error?.evalue ?? result.summary.message);
    return out;
  }

  const said: string[] = [];
  const build = (executedDir: string, stagingDir: string) =>
    buildBook({ root: book, executedDir, projectRoot: project, render: false, stagingDir: join(dir, stagingDir), log: (m) => said.push(m) });

  it("publishes the executed copy, which records its run, without executing anything", async () => {
    const out = await executeInto("ci-job");
    const written = JSON.parse(readFileSync(join(out, "one.ipynb"), "utf8")) as Notebook;
    assert.deepEqual(Object.keys((written.metadata.skipbook as { run: object }).run).sort(), ["code", "kernel", "key", "ok", "project"]);
    const result = await build(out, "site-ok");
    assert.deepEqual(said.filter((m) => /execut/.test(m)), [], "nothing was executed");
    assert.equal(result.pages.find((p) => p.source === "one.ipynb")?.title, "Made elsewhere");
    assert.ok(readFileSync(join(dir, "site-ok", "one.md"), "utf8").includes(">width 3</pre>"));
  });

  it("refuses a copy of other code, of a parameterised run, of a failed run, of no run, and a missing one, saying why", async () => {
    const out = await executeInto("stale");
    const refuse = async (executedDir: string, pattern: RegExp) =>
      assert.rejects(build(executedDir, `site-${Math.random()}`), (e: Error) => e instanceof BookBuildError && pattern.test(e.message));

    writeFileSync(source, serializeNotebook(chapter('print("width", width * 2)')));
    try {
      await refuse(out, /nb\/one\.ipynb: it was executed from other code \(code cell 2 differs\); execute it again with npx skipbook run --out/);
    } finally {
      writeFileSync(source, serializeNotebook(chapter('print("width", width)')));
    }
    await refuse(await executeInto("with-parameters", { parameters: { width: 5 } }), /executed from other code \(code cell 2 differs; it ran with parameters \{"width":5\}\)/);

    const failed = join(dir, "failed");
    mkdirSync(failed);
    const copy = JSON.parse(readFileSync(join(out, "one.ipynb"), "utf8")) as Notebook;
    (copy.metadata.skipbook as { run: { ok: boolean } }).run.ok = false;
    writeFileSync(join(failed, "one.ipynb"), serializeNotebook(copy));
    await refuse(failed, /it records a failed run/);

    const plain = join(dir, "plain");
    mkdirSync(plain);
    copyFileSync(source, join(plain, "one.ipynb"));
    await refuse(plain, /it records no run \(metadata\.skipbook\.run\): it was not executed by `npx skipbook run`/);

    writeFileSync(join(project, "src", "lib.ts"), "export const changed = 1;\n");
    try {
      await refuse(out, /it was executed with other src\/, kernel\/ or package-lock\.json than this copy of the project/);
    } finally {
      writeFileSync(join(project, "src", "lib.ts"), "export {};\n");
    }

    const empty = join(dir, "empty");
    mkdirSync(empty);
    await refuse(empty, /no executed copy of nb\/one\.ipynb in .*empty \(looked for .*\); make it with npx skipbook run nb\/one\.ipynb --out/);
  });
});
