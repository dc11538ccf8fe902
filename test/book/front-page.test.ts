// The book's front page: the clone line and the Source link only for a book that names its repository, the
// reader told to use their copy of the project otherwise, and a chapter list numbered once.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { parseBookConfig } from "../../src/book/config";
import { writeSite, type ChapterInput } from "../../src/book/site";
import { parseSummary } from "../../src/book/summary";

const ROOT = join(__dirname, "..", "..");

function site(html: Record<string, unknown>, titles: string[]) {
  const dir = mkdtempSync(join(tmpdir(), "skipbook-front-"));
  mkdirSync(join(dir, "src"));
  const config = parseBookConfig({ book: { title: "T", src: "src" }, output: { html } }, join(dir, "book.toml"));
  const files = titles.map((_, i) => `0${i}-chapter.ipynb`);
  const summary = parseSummary(`[About](README.md)\n\n${files.map((f) => `- [Summary title ${f}](${f})`).join("\n")}\n`);
  const chapters: ChapterInput[] = summary.entries.map((entry, i) =>
    i === 0
      ? { entry, markdown: readFileSync(join(ROOT, "notebooks", "README.md"), "utf8") }
      : { entry, notebook: { nbformat: 4, nbformat_minor: 5, metadata: {}, cells: [{ id: "title", cell_type: "markdown", source: `# ${titles[i - 1]}\n\nText.`, metadata: {} }] } },
  );
  writeSite(config, chapters, join(dir, "site"));
  return { index: readFileSync(join(dir, "site", "index.md"), "utf8"), chapter: readFileSync(join(dir, "site", "00-chapter.md"), "utf8"), vitepress: readFileSync(join(dir, "site", ".vitepress", "config.mjs"), "utf8") };
}

describe("front page", () => {
  it("without a repository in book.toml: no clone line, no Source link, the commands run from the reader's copy", () => {
    const { index, chapter, vitepress } = site({}, ["Skip connections"]);
    assert.doesNotMatch(index, /git clone|Source on GitHub|"Source"|<!-- git-clone -->/);
    assert.match(index, /run these commands from your copy of the project/);
    assert.match(index, /```sh\nnpm start /);
    assert.match(chapter, /open it in JupyterLab from your copy of the project:/);
    assert.match(vitepress, /"socialLinks": \[\]/);
  });

  it("with a repository: the clone command heads the commands, and the hero and chapters link the source", () => {
    const { index, chapter } = site({ "git-repository-url": "https://github.com/example/skip-book.git" }, ["Skip connections"]);
    assert.match(index, /```sh\ngit clone https:\/\/github\.com\/example\/skip-book\.git && cd skip-book\n```\n```sh\nnpm start /);
    assert.match(index, /"text":"Source on GitHub","link":"https:\/\/github\.com\/example\/skip-book\.git"/);
    assert.match(chapter, /from a clone of \[the repository\]\(https:\/\/github\.com\/example\/skip-book\.git\)/);
    const other = site({ "git-repository-url": "https://git.example.org/books/skips" }, ["A"]).index;
    assert.match(other, /"text":"Source","link":"https:\/\/git\.example\.org\/books\/skips"/);
    assert.match(other, /git clone https:\/\/git\.example\.org\/books\/skips && cd skips/);
  });

  it("chapter titles that carry their own numbers are listed once numbered; plain titles get the list's numbers", () => {
    const numbered = site({}, ["0. Skip connections: an introduction", "1. Vanishing gradients"]).index;
    assert.match(numbered, /\n- \[0\. Skip connections: an introduction\]\(\.\/00-chapter\.md\)\n- \[1\. Vanishing gradients\]/);
    assert.doesNotMatch(numbered, /1\. \[0\./);
    const plain = site({}, ["Skip connections", "Vanishing gradients"]).index;
    assert.match(plain, /\n1\. \[Skip connections\]\(\.\/00-chapter\.md\)\n1\. \[Vanishing gradients\]/);
  });
});
