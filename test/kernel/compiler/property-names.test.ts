// The rewrite of property names tslab mistakes for earlier cells' names (kernel/compiler/property-names.ts), and
// how diagnostics find their way back to the cell as written (kernel/compiler/edits.ts). The kernel-level
// behaviour: test/kernel/property-names.test.ts.
import assert from "node:assert/strict";
import { test } from "node:test";
import ts = require("@tslab/typescript-for-tslab");
import type { Diagnostic } from "tslab/dist/converter";
import { applyEdits, mapDiagnostics } from "../../../kernel/compiler/edits";
import { propertyNameEdits } from "../../../kernel/compiler/property-names";
import { parseCell } from "../../../kernel/compiler/specifiers";

// what tslab's declaration output for earlier cells looks like
const prevDecl = `declare const seeds: number[];
declare let width: number, height: number;
declare function twice(x: number): number;
declare class Net {
    depth: number;
}
import * as path from 'node:path';
import fs, { join as j } from 'node:fs';
declare enum Mode {
    A = 0
}
declare namespace Lib {
    const x = 1;
}
type T = number;
interface Config {
    rate: number;
}
`;

const rewrite = (code: string, decl = prevDecl) => applyEdits(code, propertyNameEdits(ts, parseCell(ts, code), decl)).code;

test("shorthand is written out only for names the earlier cells' declarations mention; renamed destructured properties are quoted", () => {
  assert.equal(rewrite("({ seeds, other, nested: { twice } })"), "({ seeds: seeds, other, nested: { twice: twice } })");
  assert.equal(rewrite("({ path, fs, j, Mode, Lib, height, seed, seeds$, $seeds })"), "({ path: path, fs: fs, j: j, Mode: Mode, Lib: Lib, height: height, seed, seeds$, $seeds })");
  assert.equal(rewrite("({ width = 3 } = {})"), "({ width: width = 3 } = {})");
  assert.equal(rewrite("const { a, b: c, ...d } = x; function f({ loss: l }) {}"), 'const { a, "b": c, ...d } = x; function f({ "loss": l }) {}');
  assert.equal(rewrite("const o = { seeds() {}, get width() { return 1; }, ...path, twice: 2 }"), "const o = { seeds() {}, get width() { return 1; }, ...path, twice: 2 }");
  assert.equal(rewrite("({ seeds }); const { b: c } = x;", ""), "({ seeds }); const { b: c } = x;", "a first cell has no earlier names");
});

test("offsets and diagnostics map back across insertions; a position that is not the cell's is left alone", () => {
  const code = "const o = { seeds }; const x: string = 1;";
  const rewritten = applyEdits(code, propertyNameEdits(ts, parseCell(ts, code), prevDecl));
  const at = rewritten.code.indexOf("x: string");
  assert.equal(rewritten.fromSource(at), code.indexOf("x: string"));
  assert.equal(rewritten.toSource(code.indexOf("seeds")), rewritten.code.indexOf("seeds: seeds") + "seeds: ".length, "a cursor on the name lands on the value");
  assert.equal(rewritten.fromSource(rewritten.code.indexOf("seeds: seeds") + 2), code.indexOf("seeds"), "inside inserted text: its place");
  const diagnostic = (offset: number, fileName?: string): Diagnostic => ({
    start: { offset, line: 0, character: offset },
    end: { offset: offset + 1, line: 0, character: offset + 1 },
    messageText: "m",
    category: 1,
    code: 2322,
    fileName,
  });
  const [cell, project, chained] = mapDiagnostics([diagnostic(at), diagnostic(at, "src/x.ts"), { ...diagnostic(at), start: { offset: at, line: 3, character: 2 } }], code, rewritten);
  assert.deepEqual(cell.start, { offset: code.indexOf("x: string"), line: 0, character: code.indexOf("x: string") });
  assert.deepEqual(project.start, diagnostic(at).start, "a project file's position");
  assert.deepEqual(chained.start, { offset: at, line: 3, character: 2 }, "line and column of another file: left alone");
});
