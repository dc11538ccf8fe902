import assert from "node:assert/strict";
import { afterEach, describe, test } from "node:test";
import { installDisplaySink, type MimeBundle } from "../../src/display";
import { fit, plainMLP, progressBar, twoSpirals } from "../../src/skiplib";

type Event = { kind: "display" | "update"; id?: string; data: MimeBundle };

function recordingSink(): Event[] {
  const events: Event[] = [];
  installDisplaySink({
    displayData: (data, _metadata, id) => events.push({ kind: "display", id, data }),
    updateDisplayData: (data, _metadata, id) => events.push({ kind: "update", id, data }),
    clearOutput: () => {},
  });
  return events;
}

afterEach(() => installDisplaySink(undefined));

describe("progress", () => {
  test("in a notebook: one HTML bar created, then updated in place under the same display id", () => {
    const events = recordingSink();
    const bar = progressBar("epochs", 4);
    for (let i = 1; i <= 4; i++) bar.update(i, `loss ${1 / i}`);
    bar.finish();
    assert.equal(events.filter((e) => e.kind === "display").length, 1);
    const id = events[0].id;
    assert.ok(id);
    assert.ok(events.slice(1).every((e) => e.kind === "update" && e.id === id));
    const last = events[events.length - 1].data;
    assert.match(String(last["text/html"]), /<progress value="4" max="4"/);
    assert.match(String(last["text/plain"]), /epochs \[#{20}\] 4\/4  loss 0.25/);
  });

  test("fit shows one bar per run and reports each epoch", async () => {
    const events = recordingSink();
    const data = twoSpirals({ samples: 64 });
    await fit(plainMLP({ inputDim: 2, depth: 2, width: 8, outputDim: 1, seed: 1 }), data, { epochs: 3, loss: "binaryCrossentropy" });
    assert.equal(events.filter((e) => e.kind === "display").length, 1);
    assert.deepEqual(events.filter((e) => e.kind === "update").map((e) => /(\d)\/3/.exec(String(e.data["text/plain"]))?.[1]), ["1", "2", "3", "3"]);
  });

  test("silent shows nothing; the log mode writes one line per update; bad modes are refused", () => {
    const events = recordingSink();
    const bar = progressBar("quiet", 2, "silent");
    bar.update(1);
    bar.finish();
    assert.equal(events.length, 0);
    const written: string[] = [];
    const write = process.stderr.write;
    process.stderr.write = ((chunk: string) => written.push(chunk) > 0) as typeof process.stderr.write;
    try {
      const log = progressBar("log", 2, "log");
      log.update(1, "a");
      log.update(2, "b");
    } finally {
      process.stderr.write = write;
    }
    assert.deepEqual(written, ["log [##########..........] 1/2  a\n", "log [####################] 2/2  b\n"]);
    assert.throws(() => progressBar("x", 2, "fancy" as "log"), /progress must be auto, notebook, terminal, log or silent/);
    assert.throws(() => progressBar("x", 0), /total must be positive/);
  });

  test("in a terminal: one line rewritten in place with \\r, ended by a newline when finished", () => {
    const written: string[] = [];
    const write = process.stderr.write;
    process.stderr.write = ((chunk: string) => written.push(chunk) > 0) as typeof process.stderr.write;
    try {
      const bar = progressBar("tty", 2, "terminal");
      bar.update(1, "loss 0.5");
      bar.update(2, "loss 0.2");
      bar.finish();
    } finally {
      process.stderr.write = write;
    }
    const out = written.join("");
    assert.equal(out.split("\n").length, 2, "exactly one newline, at the end");
    assert.ok(out.endsWith("tty [####################] 2/2  loss 0.2\n"));
    assert.equal(out.match(/\r/g)?.length, 3);
  });
});
