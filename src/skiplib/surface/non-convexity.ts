/**
 * How "chaotic" a 2-D loss surface is (after Li et al. 2018, Fig. 5): the share of grid points in the basin (loss
 * below the centre's + `margin`) where the finite-difference Hessian has a clearly negative eigenvalue — its most
 * negative eigenvalue exceeds `threshold` times the largest in magnitude. 0 for a convex bowl.
 */
export function nonConvexShare(losses: number[][], margin = 1, threshold = 0.1): number {
  const n = losses.length;
  if (n < 3 || n % 2 === 0 || losses.some((row) => row.length !== n)) {
    throw new Error(`losses must be an odd square grid of at least 3×3 (its centre is the trained model), got ${n}×${losses[0]?.length}`);
  }
  const centre = losses[(n - 1) / 2][(n - 1) / 2];
  let inBasin = 0;
  let nonConvex = 0;
  for (let i = 1; i < n - 1; i++) {
    for (let j = 1; j < n - 1; j++) {
      if (losses[i][j] >= centre + margin) continue;
      const a = losses[i + 1][j] - 2 * losses[i][j] + losses[i - 1][j];
      const c = losses[i][j + 1] - 2 * losses[i][j] + losses[i][j - 1];
      const b = (losses[i + 1][j + 1] - losses[i + 1][j - 1] - losses[i - 1][j + 1] + losses[i - 1][j - 1]) / 4;
      // eigenvalues of [[a, b], [b, c]] are mean ± radius
      const mean = (a + c) / 2;
      const radius = Math.hypot((a - c) / 2, b);
      inBasin++;
      if (mean - radius < 0 && radius - mean > threshold * Math.abs(mean + radius)) nonConvex++;
    }
  }
  return inBasin === 0 ? 0 : nonConvex / inBasin;
}
