import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import { DISCS_AMONG_SQUARES, discsAmongSquares, tf } from "../../../src/skiplib";

/** 8-connected components of the pixels where `on` holds, each as a list of [row, column]. */
function components(on: (i: number, j: number) => boolean, n: number): [number, number][][] {
  const seen = new Uint8Array(n * n);
  const found: [number, number][][] = [];
  for (let i0 = 0; i0 < n; i0++) for (let j0 = 0; j0 < n; j0++) {
    if (!on(i0, j0) || seen[i0 * n + j0]) continue;
    const pixels: [number, number][] = [];
    const stack: [number, number][] = [[i0, j0]];
    seen[i0 * n + j0] = 1;
    while (stack.length > 0) {
      const [i, j] = stack.pop()!;
      pixels.push([i, j]);
      for (let di = -1; di <= 1; di++) for (let dj = -1; dj <= 1; dj++) {
        const [a, b] = [i + di, j + dj];
        if (a >= 0 && a < n && b >= 0 && b < n && on(a, b) && !seen[a * n + b]) {
          seen[a * n + b] = 1;
          stack.push([a, b]);
        }
      }
    }
    found.push(pixels);
  }
  return found;
}

/** A component fills its bounding box and the box is square: an axis-aligned square. */
function isSquare(pixels: [number, number][]): boolean {
  const rows = pixels.map(([i]) => i), cols = pixels.map(([, j]) => j);
  const h = Math.max(...rows) - Math.min(...rows) + 1, w = Math.max(...cols) - Math.min(...cols) + 1;
  return h === w && h * w === pixels.length;
}

describe("discs among squares", () => {
  const n = 32;
  const { x, y } = discsAmongSquares({ samples: 64, size: n, seed: 3 });
  const images = x.arraySync() as number[][][][];
  const masks = y.arraySync() as number[][][][];
  const { background, foreground, noise } = DISCS_AMONG_SQUARES;
  const bright = (v: number) => v > (background + foreground) / 2;

  test("every shape pixel, disc or square, and only those is bright: the background threshold finds all shapes", () => {
    assert.deepEqual(x.shape, [64, n, n, 1]);
    assert.deepEqual(y.shape, [64, n, n, 1]);
    for (const [k, image] of images.entries()) for (const [i, row] of image.entries()) for (const [j, [v]] of row.entries()) {
      const m = masks[k][i][j][0];
      assert.ok(m === 0 || m === 1);
      if (m === 1) assert.ok(bright(v), `disc pixel ${k},${i},${j} is ${v}`);
      assert.ok(Math.abs(v - (bright(v) ? foreground : background)) <= noise / 2 + 1e-6);
    }
  });

  test("discs and squares have the same brightness and noise: a pixel's value cannot tell them apart", () => {
    const disc: number[] = [], square: number[] = [];
    images.forEach((image, k) => image.forEach((row, i) => row.forEach(([v], j) => {
      if (bright(v)) (masks[k][i][j][0] === 1 ? disc : square).push(v);
    })));
    const mean = (a: number[]) => a.reduce((s, v) => s + v, 0) / a.length;
    assert.ok(Math.abs(mean(disc) - mean(square)) < 0.01, `disc mean ${mean(disc)}, square mean ${mean(square)}`);
    const share = disc.length / (disc.length + square.length);
    assert.ok(share > 0.3 && share < 0.7, `discs hold ${share} of the shape pixels; the two kinds should be balanced`);
  });

  test("each bright component is wholly disc or wholly square, squares are filled squares and discs are not", () => {
    let discs = 0, squares = 0;
    images.forEach((image, k) => {
      for (const pixels of components((i, j) => bright(image[i][j][0]), n)) {
        const labels = new Set(pixels.map(([i, j]) => masks[k][i][j][0]));
        assert.equal(labels.size, 1, `image ${k}: a component mixes disc and square pixels (shapes touch)`);
        const disc = labels.has(1);
        assert.equal(isSquare(pixels), !disc, `image ${k}: a ${disc ? "disc" : "square"} of ${pixels.length} pixels`);
        if (disc) discs++;
        else squares++;
      }
    });
    assert.ok(discs > 30 && squares > 30, `${discs} discs and ${squares} squares in 64 images`);
  });

  test("seeded: the same seed gives the same images, another seed others", () => {
    const again = discsAmongSquares({ samples: 64, size: n, seed: 3 });
    const other = discsAmongSquares({ samples: 64, size: n, seed: 4 });
    assert.deepEqual(again.x.arraySync(), images);
    assert.deepEqual(again.y.arraySync(), masks);
    assert.notDeepEqual(other.y.arraySync(), masks);
    tf.dispose([again.x, again.y, other.x, other.y]);
  });

  test("bad sizes are refused with the smallest size that fits", () => {
    assert.throws(() => discsAmongSquares({ samples: 4, size: 15 }), /size must be an integer of at least 16 pixels .* got 15/);
    assert.throws(() => discsAmongSquares({ samples: 0 }), /samples must be an integer from 1/);
  });

  after(() => tf.dispose([x, y]));
});
