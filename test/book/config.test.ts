import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { loadBookConfig } from "../../src/book/config";
import { loadSummary, parseSummary } from "../../src/book/summary";

const ROOT = join(__dirname, "..", "..");

function bookDir(toml: string): string {
  const dir = mkdtempSync(join(tmpdir(), "skipbook-config-"));
  mkdirSync(join(dir, "src"));
  writeFileSync(join(dir, "book.toml"), toml);
  return join(dir, "book.toml");
}

describe("book.toml", () => {
  it("reads the project's book.toml with mdBook's keys", () => {
    const config = loadBookConfig(join(ROOT, "book.toml"));
    assert.equal(config.src, join(ROOT, "notebooks"));
    assert.equal(config.buildDir, join(ROOT, "build", "book"));
    assert.equal(config.language, "en");
    assert.equal(config.mathjaxSupport, true);
    assert.equal(config.base, "/");
    assert.ok(config.title.length > 0);
    assert.equal(config.gitRepositoryUrl, undefined, "the project has no public repository to name");
    assert.ok(config.openCommands.some((c) => c.includes("{notebook}")));
  });

  it("fills defaults for everything but the title", () => {
    const config = loadBookConfig(bookDir('[book]\ntitle = "T"\n'));
    assert.equal(config.description, "");
    assert.deepEqual(config.authors, []);
    assert.match(config.buildDir, /book$/);
    assert.deepEqual(config.searchExpect, {});
  });

  const bad: Array<[string, string, RegExp]> = [
    ["a missing title", "[book]\n", /book\.title is required/],
    ["a number as title", "[book]\ntitle = 3\n", /book\.title must be a non-empty string, got 3/],
    ["a src folder that does not exist", '[book]\ntitle = "T"\nsrc = "nope"\n', /book\.src "nope" does not exist/],
    ["a build dir that would hold the sources", '[book]\ntitle = "T"\nsrc = "src"\n[build]\nbuild-dir = "."\n', /must not contain the project or the sources/],
    ["a language that is not a tag", '[book]\ntitle = "T"\nlanguage = "English"\n', /book\.language must be a language tag/],
    ["a relative site-url", '[book]\ntitle = "T"\n[output.html]\nsite-url = "book/"\n', /site-url must be a path starting with "\/"/],
    ["a non-boolean mathjax-support", '[book]\ntitle = "T"\n[output.html]\nmathjax-support = "yes"\n', /mathjax-support must be true or false/],
    ["a repository that is not a URL", '[book]\ntitle = "T"\n[output.html]\ngit-repository-url = "github.com/x"\n', /git-repository-url must be an http\(s\) URL/],
    ["a book key that is not a table", 'book = "T"\n', /\[book\] must be a table/],
    ["invalid TOML", "[book\ntitle =", /is not valid TOML/],
  ];
  for (const [what, toml, message] of bad) {
    it(`rejects ${what}, naming the key`, () => {
      const file = bookDir(toml);
      assert.throws(() => loadBookConfig(file), (error: Error) => message.test(error.message) && error.message.startsWith(file));
    });
  }

  it("says where book.toml was expected when it is missing", () => {
    assert.throws(() => loadBookConfig("/nonexistent/book.toml"), /\/nonexistent\/book\.toml: not found/);
  });

  it("adds the trailing slash to site-url", () => {
    assert.equal(loadBookConfig(bookDir('[book]\ntitle = "T"\n[output.html]\nsite-url = "/skipbook"\n')).base, "/skipbook/");
  });
});

describe("SUMMARY.md", () => {
  it("lists the nine chapters of the project's book, after the front page", () => {
    const summary = loadSummary(join(ROOT, "notebooks", "SUMMARY.md"));
    const paths = summary.entries.map((e) => e.path);
    assert.deepEqual(paths, [
      "README.md",
      "00-introduction.ipynb",
      "01-vanishing-gradients.ipynb",
      "02-degradation-and-identity.ipynb",
      "03-resnet.ipynb",
      "04-densenet.ipynb",
      "05-unet.ipynb",
      "06-loss-surfaces.ipynb",
      "07-identity-mappings-revisited.ipynb",
      "08-residual-stream-transformers.ipynb",
    ]);
    assert.equal(summary.entries[0].kind, "prefix");
    assert.deepEqual(summary.entries.slice(1).map((e) => e.number), ["1", "2", "3", "4", "5", "6", "7", "8", "9"]);
  });

  it("parses prefix, numbered, nested, draft, part and suffix entries as mdBook does", () => {
    const { entries } = parseSummary(
      [
        "# Summary",
        "",
        "[Preface](README.md)",
        "",
        "# Basics",
        "",
        "- [One](01.ipynb)",
        "    - [One, part a](01a.ipynb)",
        "    - [One, part b]()",
        "- [Two](two%20words.ipynb)",
        "",
        "---",
        "<!-- a comment [Ignored](x.ipynb) -->",
        "# Further",
        "* [Three](03.md)",
        "",
        "[Appendix](appendix.md)",
      ].join("\n"),
    );
    const brief = entries.map((e) => [e.kind, e.number ?? "", e.depth, e.part ?? "", e.title, e.path ?? "(draft)"].join("|"));
    assert.deepEqual(brief, [
      "prefix||0||Preface|README.md",
      "numbered|1|0|Basics|One|01.ipynb",
      "numbered|1.1|1|Basics|One, part a|01a.ipynb",
      "numbered|1.2|1|Basics|One, part b|(draft)",
      "numbered|2|0|Basics|Two|two words.ipynb",
      "numbered|3|0|Further|Three|03.md",
      "suffix||0|Further|Appendix|appendix.md",
    ]);
  });

  const bad: Array<[string, string, RegExp]> = [
    ["a list item that is not a link", "- One", /SUMMARY\.md:1: a list item must be a link/],
    ["a chapter that is not a notebook or Markdown", "- [One](one.py)", /must point at a \.ipynb or \.md file, got "one\.py"/],
    ["a path outside the book", "- [One](../one.ipynb)", /must be a path inside the book's src folder/],
    ["a chapter listed twice", "- [One](a.ipynb)\n- [Again](a.ipynb)", /SUMMARY\.md:2: "a\.ipynb" is already listed on line 1/],
    ["a summary without chapters", "# Summary\n", /lists no chapters/],
    ["stray prose", "- [One](a.ipynb)\nsome words", /SUMMARY\.md:2: expected a "# title"/],
  ];
  for (const [what, text, message] of bad) {
    it(`rejects ${what} with its line number`, () => {
      assert.throws(() => parseSummary(text), message);
    });
  }
});
