import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { buildBook, cachedExecutedNotebook } from "../../src/book/build";

/** A project root with book.toml, SUMMARY.md listing `listed`, and the notebooks in `present`. */
function project(listed: string[], present: string[]): string {
  const root = mkdtempSync(join(tmpdir(), "skipbook-build-"));
  mkdirSync(join(root, "notebooks"));
  writeFileSync(join(root, "book.toml"), '[book]\ntitle = "T"\nsrc = "notebooks"\n[build]\nbuild-dir = "build/book"\n');
  writeFileSync(join(root, "notebooks", "SUMMARY.md"), listed.map((p) => `- [${p}](${p})`).join("\n"));
  for (const p of present) writeFileSync(join(root, "notebooks", p), JSON.stringify({ nbformat: 4, nbformat_minor: 5, metadata: {}, cells: [] }));
  return root;
}

describe("buildBook", () => {
  it("requires every chapter SUMMARY.md lists, naming the missing one and the way out", async () => {
    const root = project(["01-a.ipynb", "02-b.ipynb"], ["01-a.ipynb"]);
    await assert.rejects(
      buildBook({ root, log: () => undefined }),
      /chapter notebooks\/02-b\.ipynb \(SUMMARY\.md line 2, "02-b\.ipynb"\) does not exist; write it, or build with --draft/,
    );
  });

  it("in draft mode skips missing chapters with a warning; without execution it needs cached copies of the rest", async () => {
    const root = project(["01-a.ipynb", "02-b.ipynb"], ["01-a.ipynb"]);
    const warnings: string[] = [];
    await assert.rejects(
      buildBook({ root, draft: true, execute: false, log: (m) => warnings.push(m) }),
      /no executed copy of notebooks\/01-a\.ipynb in \.cache\/executed\//,
    );
    assert.ok(warnings.some((w) => w.includes("skipping missing chapter notebooks/02-b.ipynb")));
  });
});

describe("cachedExecutedNotebook", () => {
  it("finds the runner's executed copy, but not a failed run or one older than the notebook", () => {
    const root = project(["01-a.ipynb"], ["01-a.ipynb"]);
    const source = join(root, "notebooks", "01-a.ipynb");
    assert.equal(cachedExecutedNotebook(root, source), undefined);
    const cached = join(root, ".cache", "executed", "notebooks", "01-a.ipynb");
    mkdirSync(join(root, ".cache", "executed", "notebooks"), { recursive: true });
    writeFileSync(cached, "{}");
    assert.equal(cachedExecutedNotebook(root, source), cached);
    writeFileSync(`${cached}.run.json`, JSON.stringify({ ok: false }));
    assert.equal(cachedExecutedNotebook(root, source), undefined, "a failed run is not published");
    writeFileSync(`${cached}.run.json`, JSON.stringify({ ok: true }));
    assert.equal(cachedExecutedNotebook(root, source), cached);
    const past = new Date(Date.now() - 60_000);
    utimesSync(cached, past, past);
    assert.equal(cachedExecutedNotebook(root, source), undefined, "stale copy ignored");
  });
});
