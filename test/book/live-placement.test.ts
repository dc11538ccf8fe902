// Where the live panels go on a chapter page, and book.toml's [[output.html.live]] checks. No browser: the pages
// themselves are tested in live.test.ts.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { loadBookConfig } from "../../src/book/config";
import { markdownBlock } from "../../src/book/markup";
import { panelTag, placeLivePanels } from "../../src/book/live/placement";
import { PANEL_NAMES, readSettings } from "../../src/book/live/specs";

const ROOT = join(__dirname, "..", "..");
const TAG = panelTag("gradient-norms");

const chapter = [
  markdownBlock("# 1. Vanishing gradients\n\nIntro."),
  "<figure>static figure 1</figure>",
  markdownBlock("## 1.4 The residual fix\n\nText."),
  "```ts\n## not a heading\n```",
  "<figure>static figure 2</figure>",
  markdownBlock("### 1.4.1 A detail\n\nMore."),
  markdownBlock("Before the next section.\n\n## 1.5 Summary\n\nEnd."),
].join("\n\n");

describe("live panel placement", () => {
  it("ends the named section: after its figures and subsections, before the next heading of its level", () => {
    const { markdown, warnings } = placeLivePanels(chapter, [{ chapter: "01.ipynb", panel: "gradient-norms", after: "residual fix" }]);
    assert.deepEqual(warnings, []);
    const at = markdown.indexOf(TAG);
    assert.ok(at > markdown.indexOf("static figure 2") && at > markdown.indexOf("A detail"), "after the section's figures and subsections");
    assert.ok(at > markdown.indexOf("Before the next section.") && at < markdown.indexOf("## 1.5 Summary"), "before the next section");
    // outside every v-pre wrapper (Vue must compile the component), and the wrappers stay balanced
    const before = markdown.slice(0, at);
    assert.equal((before.match(/<div class="nb-markdown" v-pre>/g) ?? []).length, (before.match(/<\/div>/g) ?? []).length);
    assert.equal((markdown.match(/<div/g) ?? []).length, (markdown.match(/<\/div>/g) ?? []).length);
  });

  it("ignores headings inside code and puts a panel whose heading is gone at the chapter's end, with a warning", () => {
    const { markdown, warnings } = placeLivePanels(chapter, [{ chapter: "01.ipynb", panel: "gradient-norms", after: "not a heading" }]);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0], /no heading containing "not a heading" in 01\.ipynb; placed at the chapter's end/);
    assert.ok(markdown.trimEnd().endsWith(TAG));
  });

  it("places a panel without `after` at the end and keeps book.toml's order", () => {
    const { markdown } = placeLivePanels(chapter, [
      { chapter: "01.ipynb", panel: "two-spirals" },
      { chapter: "01.ipynb", panel: "gradient-norms" },
    ]);
    assert.ok(markdown.indexOf(panelTag("two-spirals")) < markdown.indexOf(TAG));
  });
});

describe("[[output.html.live]] in book.toml", () => {
  function config(live: string) {
    const dir = mkdtempSync(join(tmpdir(), "skipbook-live-config-"));
    mkdirSync(join(dir, "src"));
    writeFileSync(join(dir, "book.toml"), `[book]\ntitle = "T"\n${live}`);
    return () => loadBookConfig(join(dir, "book.toml"));
  }

  it("reads the project's panels, each a known one", () => {
    const panels = loadBookConfig(join(ROOT, "book.toml")).livePanels;
    assert.ok(panels.length >= 3);
    for (const p of panels) assert.ok(PANEL_NAMES.includes(p.panel), p.panel);
  });

  it("names the bad key or value and what would be right", () => {
    assert.throws(config('[[output.html.live]]\nchapter = "01.ipynb"\npanel = "nope"\n'), /panel must be one of gradient-norms, .*got "nope"/);
    assert.throws(config('[[output.html.live]]\nchapter = "01"\npanel = "loss-curve"\n'), /chapter must be a chapter path/);
    assert.throws(config('[[output.html.live]]\nchapter = "01.ipynb"\npanel = "loss-curve"\nwhere = "x"\n'), /unknown key\(s\) where; keys: chapter, panel, after/);
  });

  it("checks a panel's settings against its controls", () => {
    assert.deepEqual(readSettings("two-spirals", { depth: "6" }), { depth: 6, epochs: 100, seed: 1 });
    assert.throws(() => readSettings("two-spirals", { depth: 1 }), /hidden layers must be a whole number from 2 to 40, got 1/);
    assert.throws(() => readSettings("gradient-norms", { activation: "gelu" }), /activation must be one of sigmoid, tanh, relu, got "gelu"/);
    assert.throws(() => readSettings("gradient-norms", { width: 3 }), /unknown setting width/);
  });
});
