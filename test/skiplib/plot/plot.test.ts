import assert from "node:assert/strict";
import { afterEach, describe, test } from "node:test";
import { installDisplaySink, type MimeBundle } from "../../../src/display";
import { plotHeatmap, plotImages, plotLines, plotSurface, show, type Figure } from "../../../src/skiplib";

afterEach(() => installDisplaySink(undefined));

/** Every figure the book shows has a title and named axes (a 3-D scene names its three). */
function assertLabelled(figure: Figure) {
  assert.ok(figure.layout.title.text.length > 0);
  const scene = figure.layout.scene as Record<string, { title: { text: string } }> | undefined;
  const axes = scene ? [scene.xaxis, scene.yaxis, scene.zaxis] : [figure.layout.xaxis, figure.layout.yaxis];
  for (const axis of axes) assert.ok(axis?.title?.text, `unlabelled axis in "${figure.layout.title.text}"`);
}

describe("figures", () => {
  test("lines: a log axis turns non-positive values into gaps; labels and titles in Plotly's {text} form", () => {
    const figure = plotLines([{ name: "a", x: [1, 2, 3], y: [1e-3, 0, 10] }], { title: "T", xTitle: "depth", yTitle: "norm", logY: true });
    assertLabelled(figure);
    assert.deepEqual(figure.data[0].y, [1e-3, null, 10]);
    assert.equal(figure.layout.yaxis?.type, "log");
  });

  test("surfaces: β on x and α on y, as contour or 3-D", () => {
    const grid = { alphas: [-1, 0, 1], betas: [-1, 0, 1], losses: [[3, 2, 3], [2, 1, 2], [3, 2, 4]] };
    const contour = plotSurface(grid, { title: "c" });
    assert.equal(contour.data[0].type, "contour");
    assert.deepEqual(contour.data[0].z, grid.losses);
    assertLabelled(contour);
    assertLabelled(plotSurface(grid, { title: "s", type: "surface" }));
  });

  test("images and heat maps", () => {
    const image = [[0, 1], [1, 0]];
    const figure = plotImages([{ title: "image", images: [image, image] }, { title: "mask", images: [image, image] }], { title: "Samples" });
    assert.equal(figure.data.length, 4);
    assert.deepEqual(figure.layout.grid, { rows: 2, columns: 2, pattern: "independent" });
    assert.equal(figure.layout.title.text, "Samples (rows: image, mask)");
    const heatmap = plotHeatmap([[1, NaN], [0.5, 1]], { title: "h", x: ["a", "b"], y: ["1", "2"], xTitle: "source", yTitle: "target" });
    assert.deepEqual(heatmap.data[0].z, [[1, null], [0.5, 1]]);
    assertLabelled(heatmap);
    assert.throws(() => plotHeatmap([[1]], { title: "h", x: ["a", "b"], y: ["1"], xTitle: "x", yTitle: "y" }), /z must be 1×2/);
  });

  test("show sends the Plotly MIME bundle with HTML and text/plain fallbacks", () => {
    const sent: MimeBundle[] = [];
    installDisplaySink({ displayData: (data) => sent.push(data), updateDisplayData: () => {}, clearOutput: () => {} });
    const figure = plotLines([{ name: "a", x: [1], y: [1] }], { title: "One point", xTitle: "x", yTitle: "y" });
    show(figure);
    assert.equal(sent.length, 1);
    assert.deepEqual(sent[0]["application/vnd.plotly.v1+json"], figure);
    assert.equal(sent[0]["text/plain"], "<figure: One point>");
    assert.match(String(sent[0]["text/html"]), /^<div id="skiplib-figure-[0-9a-f]{12}-\d+"[^>]*>One point<\/div>/);
    // a title cannot close the script early
    show(plotLines([{ name: "</script><b>", x: [1], y: [1] }], { title: "a < b", xTitle: "x", yTitle: "y" }));
    const html = String(sent[1]["text/html"]);
    assert.equal(html.match(/<\/script>/g)?.length, 1);
    assert.match(html, />a &lt; b<\/div>/);
  });
});
