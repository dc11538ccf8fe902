import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { checkSeeds, gapOverSpread, lowerInEverySeed, meanRange, plotMeanRange, plotSeedLines, seedsWhereLower, separated, summarize } from "../../../src/skiplib";

describe("claims over seeds", () => {
  test("summarize: mean, range and the sample standard deviation", () => {
    const s = summarize([1, 2, 6]);
    assert.equal(s.mean, 3);
    assert.equal(s.min, 1);
    assert.equal(s.max, 6);
    assert.ok(Math.abs(s.std - Math.sqrt(7)) < 1e-12, `std ${s.std}`);
    assert.equal(summarize([4]).std, 0);
    assert.throws(() => summarize([]), /non-empty array/);
    assert.throws(() => summarize([1, Number.NaN]), /values\[1\] is NaN/);
  });

  test("meanRange prints the mean and the range, or the value alone for one seed", () => {
    assert.equal(meanRange([0.4, 0.5, 0.3]), "0.400 (0.300–0.500)");
    assert.equal(meanRange([2], (v) => v.toFixed(1)), "2.0");
    assert.equal(meanRange(summarize([1, 3]), (v) => `${v}%`), "2% (1%–3%)");
  });

  test("paired comparisons count seeds; a mismatch in seed count is an error", () => {
    assert.equal(lowerInEverySeed([1, 2, 3], [2, 3, 4]), true);
    assert.equal(lowerInEverySeed([1, 5, 3], [2, 3, 4]), false);
    assert.equal(seedsWhereLower([1, 5, 3], [2, 3, 4]), 2);
    assert.throws(() => lowerInEverySeed([1, 2], [1, 2, 3]), /one value per seed each, got 2 and 3/);
  });

  test("gapOverSpread is positive only when the means differ by more than the half-ranges together", () => {
    // means 2 and 6, half-ranges 1 and 1: gap 4 − 2 = 2
    assert.equal(gapOverSpread([1, 3], [5, 7]), 2);
    // overlapping clouds: means 2 and 3, half-ranges 1 and 1 → negative
    assert.ok(gapOverSpread([1, 3], [2, 4]) < 0);
    assert.equal(separated([1, 3], [3.5, 9]), true);
    assert.equal(separated([1, 3], [2.5, 9]), false);
  });

  test("checkSeeds accepts distinct integers and names what is wrong otherwise", () => {
    assert.deepEqual(checkSeeds([4, 5, 6], 3), [4, 5, 6]);
    assert.throws(() => checkSeeds([1, 2], 3), /at least 3 integers.*\[1,2\]/);
    assert.throws(() => checkSeeds([1, 1.5, 2]), /integers/);
    assert.throws(() => checkSeeds("1,2,3"), /integers/);
    assert.throws(() => checkSeeds([1, 1, 2]), /distinct/);
  });
});

describe("figures over seeds", () => {
  const series = [
    { name: "plain", x: [8, 20, 44], perSeed: [[0.1, 0.2, 0.4], [0.2, 0.3, 0.5]] },
    { name: "residual", x: [8, 20, 44], perSeed: [[0.1, 0.1, 0.1], [0.3, 0.1, 0.1]] },
  ];

  test("seed lines: one faint line per seed and a mean line per family, in the family's colour", () => {
    const figure = plotSeedLines(series, { title: "t", xTitle: "depth", yTitle: "error", seeds: [4, 5] });
    assert.equal(figure.data.length, 2 * 3);
    const [first, second, mean] = figure.data;
    assert.equal(first.name, "plain, seed 4");
    assert.equal(second.name, "plain, seed 5");
    assert.equal(mean.name, "plain (mean of 2)");
    assert.deepEqual(mean.y, [0.15000000000000002, 0.25, 0.45]);
    assert.deepEqual((first.line as { color: string }).color, (mean.line as { color: string }).color);
    assert.notDeepEqual((figure.data[5].line as { color: string }).color, (mean.line as { color: string }).color);
    assert.equal(first.showlegend, false);
  });

  test("mean and range: asymmetric error bars from the lowest to the highest seed", () => {
    const figure = plotMeanRange(series, { title: "t", xTitle: "depth", yTitle: "error" });
    const residual = figure.data[1] as unknown as { y: number[]; error_y: { array: number[]; arrayminus: number[] } };
    assert.deepEqual(residual.y, [0.2, 0.1, 0.1]);
    assert.ok(Math.abs(residual.error_y.array[0] - 0.1) < 1e-12 && Math.abs(residual.error_y.arrayminus[0] - 0.1) < 1e-12);
    assert.equal(plotMeanRange(series, { title: "t", xTitle: "net", yTitle: "e", bars: true }).data[0].type, "bar");
  });

  test("a seed with the wrong number of values is an error naming the family", () => {
    assert.throws(() => plotSeedLines([{ name: "bad", x: [1, 2], perSeed: [[1]] }], { title: "t", xTitle: "x", yTitle: "y" }), /bad: seed 0 has 1 values for 2 x values/);
  });
});

describe("geometric means", () => {
  test("meanRange with geometric: the geometric mean of values spread over orders of magnitude", () => {
    assert.equal(meanRange([1e-4, 1e-2], (v) => v.toExponential(0), { geometric: true }), "1e-3 (1e-4–1e-2)");
    assert.throws(() => meanRange([1, -1], String, { geometric: true }), /positive values/);
  });
});
