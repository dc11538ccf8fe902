/**
 * The tutorial notebooks: committed as clean sources (no outputs, the skipbook kernelspec, valid nbformat 4.5),
 * and every one executes with the project's runner without an error or a failed assertion, producing at least
 * one interactive Plotly figure. Set SKIPBOOK_NOTEBOOKS=sources to check only the sources (seconds, not minutes).
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, test } from "node:test";
import { loadSummary } from "../../src/book/summary";
import { declaredParameters, failureReport, PARAMETERS_TAG, runNotebooks, validateNotebook, type Notebook } from "../../src/runner";

const NOTEBOOKS_DIR = resolve(__dirname, "../../notebooks");
// The book's chapter order is the one list of chapters (test/book/config.test.ts checks the list itself).
const CHAPTERS = loadSummary(join(NOTEBOOKS_DIR, "SUMMARY.md"))
  .entries.map((entry) => entry.path)
  .filter((path): path is string => path?.endsWith(".ipynb") ?? false);
const PLOTLY = "application/vnd.plotly.v1+json";
// The budget is 4 minutes per notebook; a cell running past it is a runaway, not a slow machine.
const CELL_TIMEOUT_SECONDS = 240;

const notebookFiles = readdirSync(NOTEBOOKS_DIR).filter((f) => f.endsWith(".ipynb")).sort();
const readSource = (file: string): Notebook => JSON.parse(readFileSync(join(NOTEBOOKS_DIR, file), "utf8"));

describe("notebook sources", () => {
  test("every chapter of the book is present, named as in SUMMARY.md, and nothing else", () => {
    assert.deepEqual(notebookFiles, [...CHAPTERS].sort());
  });

  for (const file of notebookFiles) {
    test(`${file} is valid nbformat 4.5 with the skipbook kernelspec`, () => {
      const notebook = readSource(file);
      assert.deepEqual(validateNotebook(notebook), []);
      assert.equal(notebook.nbformat, 4);
      assert.ok(notebook.nbformat_minor >= 5, "cell ids need nbformat 4.5");
      assert.deepEqual(notebook.metadata.kernelspec, { name: "skipbook", display_name: "TypeScript (skipbook)", language: "typescript" });
      assert.equal(notebook.metadata.language_info?.name, "typescript");
      const ids = notebook.cells.map((c) => c.id);
      assert.equal(new Set(ids).size, ids.length, "cell ids must be unique");
    });

    test(`${file} is committed without outputs`, () => {
      for (const [index, cell] of readSource(file).cells.entries()) {
        if (cell.cell_type !== "code") continue;
        assert.deepEqual(cell.outputs, [], `cell ${index} has outputs`);
        assert.equal(cell.execution_count, null, `cell ${index} has an execution count`);
      }
    });

    test(`${file} narrates and checks: a Markdown title, and at least one assertion`, () => {
      const notebook = readSource(file);
      const text = (cell: Notebook["cells"][number]) => (Array.isArray(cell.source) ? cell.source.join("") : cell.source);
      assert.equal(notebook.cells[0].cell_type, "markdown");
      assert.match(text(notebook.cells[0]), /^# \d\. /);
      const code = notebook.cells.filter((c) => c.cell_type === "code").map(text).join("\n");
      assert.match(code, /assert\.\w+\(/, "every chapter checks its claims with assertions");
    });

    test(`${file} takes its seeds as a parameter: the first code cell is tagged parameters and sets seeds, three or more`, () => {
      const notebook = readSource(file);
      const first = notebook.cells.find((c) => c.cell_type === "code")!;
      assert.ok(first.metadata.tags?.includes(PARAMETERS_TAG), "the first code cell must be tagged parameters");
      const source = Array.isArray(first.source) ? first.source.join("") : first.source;
      assert.ok(declaredParameters(source, "typescript").includes("seeds"), "the parameters cell must declare seeds");
      const seeds = /const seeds = (\[[^\]]*\])/.exec(source);
      assert.ok(seeds && JSON.parse(seeds[1]).length >= 3, `the default seeds must be three or more, got ${seeds?.[1]}`);
    });
  }
});

const sourcesOnly = process.env.SKIPBOOK_NOTEBOOKS === "sources";

describe("notebook execution", { skip: sourcesOnly && "SKIPBOOK_NOTEBOOKS=sources" }, () => {
  test("every notebook executes without error and shows at least one Plotly figure", { timeout: 40 * 60_000 }, async () => {
    const started = Date.now();
    const results = await runNotebooks(notebookFiles.map((f) => join(NOTEBOOKS_DIR, f)), {
      jobs: 2,
      timeoutSeconds: CELL_TIMEOUT_SECONDS,
      onProgress: (event) => {
        if (event.type === "done") {
          const s = event.summary;
          process.stderr.write(`notebook ${s.path}: ${s.ok ? "ok" : "FAILED"}${s.cached ? " (cached)" : ""} in ${(s.durationMs / 1000).toFixed(1)} s\n`);
        }
      },
    });
    process.stderr.write(`all notebooks: ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
    const failures = results.filter((r) => !r.summary.ok);
    assert.equal(failures.length, 0, failures.map((r) => failureReport(r.summary, r.notebook)).join("\n\n"));
    for (const { path, notebook } of results) {
      const figures = notebook.cells.flatMap((c) => (c.cell_type === "code" ? c.outputs : []))
        .filter((o) => o.output_type === "display_data" && PLOTLY in o.data);
      assert.ok(figures.length >= 1, `${path} must display at least one Plotly figure`);
    }
  });
});

// Claims must hold for any seeds a reader passes, not only the defaults they were written with: the cheapest
// chapters run again in every test run with a seed set none of them was developed on.
const OTHER_SEEDS: Record<string, number[]> = { "01-vanishing-gradients.ipynb": [17, 18, 19] };

describe("claims hold for other seeds", { skip: sourcesOnly && "SKIPBOOK_NOTEBOOKS=sources" }, () => {
  for (const [file, seeds] of Object.entries(OTHER_SEEDS)) {
    test(`${file} with seeds ${JSON.stringify(seeds)}`, { timeout: 20 * 60_000 }, async () => {
      const [result] = await runNotebooks([join(NOTEBOOKS_DIR, file)], { jobs: 1, timeoutSeconds: CELL_TIMEOUT_SECONDS, parameters: { seeds } });
      assert.equal(result.summary.ok, true, failureReport(result.summary, result.notebook));
      const injected = result.notebook.cells.find((c) => c.metadata.tags?.includes("injected-parameters"));
      assert.ok(injected, "the run must carry the injected parameters cell");
    });
  }
});
