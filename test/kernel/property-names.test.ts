// Property names and earlier cells' names in the real kernel (kernel/compiler/property-names.ts): `{ seeds }`
// where an earlier cell declared `seeds` must read that cell's value (tslab alone leaves a bare name:
// ReferenceError), and `const { loss: final } = r` where r's type comes from an earlier cell must destructure
// (tslab alone binds `exports`: SyntaxError), while shorthand to a cell's own names, shadowing locals,
// destructuring and object methods keep their meaning.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { LaunchedKernel } from "../../src/jupyter/launcher";
import { ofType, startKernel } from "./helpers";

let kernel: LaunchedKernel;
before(async () => {
  kernel = await startKernel();
  await run("const seeds = [11, 12, 13];\nlet width = 8;\nfunction twice(x: number) { return 2 * x; }\nclass Net { depth = 20; }\nimport * as path from \"node:path\";");
});
after(async () => {
  await kernel?.shutdown();
});

/** Runs a cell; its execute_result's text, or a failure naming the cell's error. */
async function run(code: string): Promise<string | undefined> {
  const { reply, iopub } = await kernel.client.execute(code);
  assert.equal(reply.content.status, "ok", `${code}\n→ ${reply.content.ename}: ${reply.content.evalue}`);
  return ofType(iopub, "execute_result")[0]?.content.data["text/plain"];
}

test("shorthand to an earlier cell's const, let, function, class and import reads their values", async () => {
  assert.equal(await run("JSON.stringify({ seeds, width })"), `'{"seeds":[11,12,13],"width":8}'`);
  assert.equal(await run("const made = { twice, Net, path };\n[made.twice(21), new made.Net().depth, made.path.basename('/a/b.ts')].join(' ')"), "'42 20 b.ts'");
});

test("shorthand nested in objects, arrays and calls, and inside functions called later", async () => {
  assert.equal(await run("JSON.stringify({ run: { config: { seeds }, sizes: [{ width }] } })"), `'{"run":{"config":{"seeds":[11,12,13]},"sizes":[{"width":8}]}}'`);
  await run("function settings() { return { seeds, width }; }");
  assert.equal(await run("JSON.stringify(settings())"), `'{"seeds":[11,12,13],"width":8}'`);
});

test("shorthand to the cell's own names and to locals that shadow an earlier cell's name", async () => {
  assert.equal(await run("const depth = 44;\nJSON.stringify({ depth })"), `'{"depth":44}'`);
  assert.equal(await run("function label(seeds: string) { return { seeds }; }\nJSON.stringify(label('mine'))"), `'{"seeds":"mine"}'`);
  assert.equal(await run("let inBlock = '';\n{ const width = 16; inBlock = JSON.stringify({ width }); }\ninBlock"), `'{"width":16}'`);
  assert.equal(await run("width"), "8", "the block's width did not replace the earlier cell's");
});

test("a cell that redeclares an earlier cell's name gets its own value, and later cells see the new one", async () => {
  assert.equal(await run("const steps = 1;"), undefined);
  assert.equal(await run("const steps = 2;\nJSON.stringify({ steps })"), `'{"steps":2}'`);
  assert.equal(await run("JSON.stringify({ steps })"), `'{"steps":2}'`);
});

test("destructuring declarations are unaffected; a destructuring assignment to an earlier let assigns it", async () => {
  assert.equal(await run("const { depth: netDepth } = new Net();\nconst [first] = seeds;\nconst { length } = seeds;\n`${netDepth} ${first} ${length}`"), "'20 11 3'");
  assert.equal(await run("let other = 0;\n({ width, other } = { width: 32, other: 5 });\n`${width} ${other}`"), "'32 5'");
  assert.equal(await run("width"), "32");
  assert.equal(await run("({ width = 64 } = {} as { width?: number });\nwidth"), "64");
});

test("renamed destructuring of a value whose type an earlier cell declared or inferred, in declarations and parameters", async () => {
  await run("const result = { loss: 0.25, history: [1, 0.5] };\ninterface Config { rate: number }\nconst config: Config = { rate: 0.1 };");
  assert.equal(await run("const { loss: finalLoss, history: [firstLoss] } = result;\nconst { rate: lr, ...others } = config;\n`${finalLoss} ${firstLoss} ${lr} ${Object.keys(others).length}`"), "'0.25 1 0.1 0'");
  assert.equal(await run("function lossOf({ loss: l }: typeof result) { return l; }\nlossOf(result)"), "0.25");
  assert.equal(await run("for (const { rate: r } of [config]) console.log(r);\nfinalLoss"), "0.25");
});

test("object methods, getters and spread beside shorthand", async () => {
  assert.equal(await run("const o = { seeds, count() { return seeds.length; }, get first() { return seeds[0]; }, ...{ width } };\n`${o.count()} ${o.first} ${o.width} ${o.seeds.length}`"), "'3 11 64 3'");
});

test("a type error after a written-out shorthand is reported at its column in the cell as written", async () => {
  const { reply } = await kernel.client.execute("const shown = { seeds }; const wrong: string = 1;");
  assert.equal(reply.content.status, "error");
  assert.match(reply.content.evalue, /TS2322: .*\(line 1, column 32\)/);
});
