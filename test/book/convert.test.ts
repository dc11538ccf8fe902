import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { convertNotebook, resolveCarriageReturns, rewriteNotebookLinks, type ConvertedChapter } from "../../src/book/convert";
import { stripAnsi, type Cell, type Notebook, type Output } from "../../src/runner";

const FIXTURES = join(__dirname, "..", "fixtures", "book", "src");
const fixture = (name: string): Notebook => JSON.parse(readFileSync(join(FIXTURES, name), "utf8"));

function notebook(cells: Cell[]): Notebook {
  return { nbformat: 4, nbformat_minor: 5, metadata: {}, cells };
}

function codeCell(source: string, outputs: Output[], tags?: string[]): Cell {
  return { id: `c${source.length}`, cell_type: "code", metadata: tags ? { tags } : {}, source, outputs, execution_count: 1 };
}

/** A one-code-cell notebook holding `outputs`. */
function withOutputs(...outputs: Output[]): Notebook {
  return notebook([codeCell("run()", outputs)]);
}

function convert(notebook: Notebook): ConvertedChapter {
  return convertNotebook(notebook, { slug: "ch", fallbackTitle: "Fallback title" });
}

describe("convertNotebook on the executed fixture chapter", () => {
  const chapter = convertNotebook(fixture("01-residual.ipynb"), { slug: "01-residual", fallbackTitle: "unused", afterTitle: "AFTER-TITLE-BOX" });
  const md = chapter.markdown;

  it("takes the title from the first heading and puts the download box right after it", () => {
    assert.equal(chapter.title, "Residual connections, output by output");
    const heading = md.indexOf("# Residual connections, output by output");
    const box = md.indexOf("AFTER-TITLE-BOX");
    assert.ok(heading >= 0 && box > heading, "box follows the title");
    assert.ok(box < md.indexOf("A residual block computes"), "box precedes the narrative");
  });

  it("keeps markdown cells and their LaTeX as written, shielded from Vue interpolation", () => {
    assert.match(md, /<div class="nb-markdown" v-pre>\n\nA residual block computes \$H\(x\) = F\(x\) \+ x\$/);
    assert.ok(md.includes("$$\n\\frac{\\partial L}{\\partial x}"), "display maths passes through");
  });

  it("points links to other notebooks at their chapter pages", () => {
    assert.ok(md.includes("[the identity mapping](02-identity.md)"));
    assert.ok(!md.includes("02-identity.ipynb"));
  });

  it("renders code cells as TypeScript fences", () => {
    assert.ok(md.includes('```ts\nimport { backendSummary } from "skiplib";\nconsole.log("training residual-20");\n```'));
  });

  it("renders stdout as an escaped preformatted block and keeps {{ }} literal", () => {
    assert.ok(md.includes('<pre class="nb-output nb-stdout" v-pre>training residual-20\nloss {{ not a template }} 0.51 &lt; 1 &amp; done</pre>'));
  });

  it("moves skiplib's backend report out of the chapter and into the provenance", () => {
    assert.ok(!md.includes("skiplib: backend"));
    assert.deepEqual(chapter.provenance.backend, { backend: "tensorflow", device: "CPU", version: "TF 2.21.0" });
    assert.equal(chapter.provenance.backendLine, "skiplib: backend tensorflow (CPU, TF 2.21.0)");
    assert.equal(chapter.provenance.executedAt, "2026-11-22T12:00:07.000Z", "latest cell execution time");
  });

  it("shows a carriage-return progress bar and an updated display only in their final state", () => {
    assert.ok(md.includes('<pre class="nb-output nb-stdout" v-pre>epoch 3/3 [##########] done</pre>'));
    assert.ok(!md.includes("epoch 1/3") && !md.includes("epoch 2/3"));
    const finalHtml = Buffer.from("<progress value=\"3\" max=\"3\"></progress> step 3/3 finished").toString("base64");
    assert.ok(md.includes(`<NotebookHtml html64="${finalHtml}" />`));
    assert.equal(md.split("<NotebookHtml").length - 1, 2, "one progress display and one table, not two progress states");
  });

  it("renders an execute_result's plain text as a result block", () => {
    assert.ok(md.includes('<pre class="nb-output nb-result" v-pre>272474</pre>'));
  });

  it("prefers text/html over text/plain and carries it unchanged to the page component", () => {
    const encoded = /<NotebookHtml html64="([^"]+)" \/>\n\n```ts\ndisplay\.svg/.exec(md);
    assert.ok(encoded, "table output precedes the next code cell");
    const html = Buffer.from(encoded[1], "base64").toString("utf8");
    assert.match(html, /^<table class="nb-table">/);
    assert.ok(html.includes("<td>stage 3</td>"));
  });

  it("writes SVG and PNG outputs as image files shown inline", () => {
    const svg = chapter.assets.find((a) => a.path.endsWith(".svg"));
    const png = chapter.assets.find((a) => a.path.endsWith(".png"));
    assert.ok(svg && png);
    assert.match(String(svg.data), /^<svg xmlns/);
    assert.deepEqual([...(png.data as Buffer).subarray(0, 8)], [137, 80, 78, 71, 13, 10, 26, 10], "PNG signature");
    assert.ok(md.includes(`<img src="/${svg.path}" alt="SVG image" loading="lazy">`));
    assert.ok(md.includes(`<img src="/${png.path}" alt="PNG image" loading="lazy">`));
    assert.match(svg.path, /^nb-assets\/01-residual\//);
  });

  it("renders text/markdown outputs as Markdown", () => {
    assert.ok(md.includes('<div class="nb-markdown" v-pre>\n\n**ResNet-20** reaches *8.75%* test error in the paper.\n\n</div>'));
  });

  it("turns Plotly JSON into interactive figures (not the HTML fallback) with its data as an asset", () => {
    assert.equal(chapter.figures, 2);
    assert.ok(md.includes('<PlotlyFigure src="/nb-assets/01-residual/c9-0.json" :height="360" />'));
    assert.ok(md.includes('<PlotlyFigure src="/nb-assets/01-residual/c9-1.json" :height="320" />'));
    const figure = JSON.parse(String(chapter.assets.find((a) => a.path === "nb-assets/01-residual/c9-0.json")!.data));
    assert.equal(figure.data.length, 2);
    assert.equal(figure.data[1].name, "residual-20");
    assert.ok(!md.includes("plotly fallback"));
  });

  it("never publishes an error output, and reports it", () => {
    assert.ok(!md.includes("SECRET-ERROR-TEXT"));
    assert.ok(!md.includes("at <cell>"));
    assert.deepEqual(chapter.errors, ["cell 11: Error: SECRET-ERROR-TEXT deliberately broken"], "cells counted from 1, as the runner reports them");
    assert.ok(chapter.warnings.some((w) => w.includes("1 error output(s) left out")));
  });
});

describe("convertNotebook on single outputs", () => {
  it("drops cells tagged remove-cell, and the input or output of remove-input / remove-output", () => {
    const tagged = notebook([
      codeCell("hidden()", [{ output_type: "stream", name: "stdout", text: "HIDDEN-1" }], ["remove-cell"]),
      codeCell("inputGone()", [{ output_type: "stream", name: "stdout", text: "shown output" }], ["remove-input"]),
      codeCell("shownInput()", [{ output_type: "stream", name: "stdout", text: "HIDDEN-2" }], ["remove-output"]),
    ]);
    const { markdown } = convert(tagged);
    assert.ok(!markdown.includes("HIDDEN") && !markdown.includes("hidden()") && !markdown.includes("inputGone"));
    assert.ok(markdown.includes("shown output") && markdown.includes("shownInput()"));
  });

  it("uses the fallback title when the notebook has no level-1 heading", () => {
    const chapter = convertNotebook(notebook([{ id: "m", cell_type: "markdown", metadata: {}, source: "## Only a section" }]), { slug: "x", fallbackTitle: "From SUMMARY", afterTitle: "BOX" });
    assert.equal(chapter.title, "From SUMMARY");
    assert.match(chapter.markdown, /^# From SUMMARY\n\nBOX\n\n/);
  });

  it("merges consecutive stream chunks of one name and keeps stderr apart", () => {
    const { markdown } = convert(
      withOutputs(
        { output_type: "stream", name: "stdout", text: "a\n" },
        { output_type: "stream", name: "stdout", text: ["b\n"] },
        { output_type: "stream", name: "stderr", text: "warn\n" },
      ),
    );
    assert.ok(markdown.includes('<pre class="nb-output nb-stdout" v-pre>a\nb</pre>'));
    assert.ok(markdown.includes('<pre class="nb-output nb-stderr" v-pre>warn</pre>'));
  });

  it("keeps a backend report the notebook prints on purpose, and records it", () => {
    const chapter = convert(
      withOutputs(
        { output_type: "stream", name: "stderr", text: "skiplib: backend wasm (CPU, tfjs 4.22.0)\nskiplib: skipped tensorflow: no binding\n" },
        { output_type: "stream", name: "stdout", text: "skiplib: backend wasm (CPU, tfjs 4.22.0)\n" },
      ),
    );
    assert.ok(chapter.markdown.includes('<pre class="nb-output nb-stdout" v-pre>skiplib: backend wasm (CPU, tfjs 4.22.0)</pre>'));
    assert.ok(!chapter.markdown.includes("nb-stderr"), "the import-time report on stderr is left out");
    assert.deepEqual(chapter.provenance.backend, { backend: "wasm", device: "CPU", version: "tfjs 4.22.0" });
    assert.deepEqual(chapter.provenance.fallbacks, ["tensorflow: no binding"]);
  });

  it("strips ANSI colours from text outputs", () => {
    const { markdown } = convert(withOutputs({ output_type: "stream", name: "stdout", text: "\x1b[32mok\x1b[0m\n" }));
    assert.ok(markdown.includes(">ok</pre>"));
  });

  it("accepts a Plotly figure given as a JSON string, and defaults its height", () => {
    const chapter = convert(withOutputs({ output_type: "display_data", data: { "application/vnd.plotly.v1+json": JSON.stringify({ data: [{ y: [1] }] }) }, metadata: {} }));
    assert.equal(chapter.figures, 1);
    assert.ok(chapter.markdown.includes(':height="450"'));
  });

  it("keeps the size a PNG's metadata asks for", () => {
    const { markdown } = convert(withOutputs({ output_type: "display_data", data: { "image/png": "iVBORw0KGgo=" }, metadata: { "image/png": { width: 320 } } }));
    assert.match(markdown, /<img src="\/nb-assets\/ch\/c0-0\.png" alt="figure from cell 0" width="320" loading="lazy">/);
  });

  it("renders application/json as formatted JSON", () => {
    const { markdown } = convert(withOutputs({ output_type: "execute_result", execution_count: 1, data: { "application/json": { depth: 20 } }, metadata: {} }));
    assert.ok(markdown.includes('<pre class="nb-output nb-result" v-pre>{\n  &quot;depth&quot;: 20\n}</pre>'));
  });

  it("warns about, and leaves out, outputs it cannot render", () => {
    const chapter = convert(withOutputs({ output_type: "display_data", data: { "application/x-unknown": "?" }, metadata: {} }));
    assert.ok(chapter.warnings[0].includes("application/x-unknown"));
  });

  it("rejects something that is not a notebook with a clear message", () => {
    assert.throws(() => convertNotebook({} as Notebook, { slug: "bad", fallbackTitle: "t" }), /notebook for "bad" has no cells array/);
  });
});

describe("text helpers", () => {
  it("resolves carriage returns and backspaces as a terminal would", () => {
    assert.equal(resolveCarriageReturns("10%\r50%\r100%\nnext\r\n"), "100%\nnext\n");
    assert.equal(resolveCarriageReturns("abc\b\bd"), "ad");
  });
  it("strips colour and cursor escapes", () => {
    assert.equal(stripAnsi("\x1b[1;31merror\x1b[0m \x1b[2K"), "error ");
  });
  it("rewrites relative notebook links but not URLs", () => {
    assert.equal(rewriteNotebookLinks("[a](03-resnet.ipynb#blocks) [b](https://x.org/n.ipynb)"), "[a](03-resnet.md#blocks) [b](https://x.org/n.ipynb)");
  });
});
