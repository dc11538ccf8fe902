/**
 * Loss-surface throughput (Li et al. 2018 grids): points per second of lossSurface2D for skiplib's CIFAR
 * ResNet-8 (stem + 3 stages of one residual block, 16/32/64 channels, option-A shortcuts; 32×32×3 inputs, BN in
 * inference mode), against the same grid — same graph, weights, directions and samples, float32, in-place weight
 * updates, batched forward passes — in PyTorch on this machine, in the same run. Also checks that the cost is
 * linear in grid points × samples: doubling the samples should double the time (ratio ≈ 2), more grid points
 * should leave the time per point unchanged (ratio ≈ 1). Timings are the best of `repeats` runs (shared CPU).
 */
import { tf } from "../src/skiplib/backend";
import { cifarResNet } from "../src/skiplib/models";
import { filterNormalizedDirection } from "../src/skiplib/surface/directions";
import { lossSurface2D } from "../src/skiplib/surface/grid";
import { exportModel, runReference, torchPython, weightsByLayer } from "../test/skiplib/probes/torch-export";
import type { BenchContext, BenchRow } from "./types";

export default async function bench(ctx: BenchContext): Promise<BenchRow[]> {
  const resolution = ctx.quick ? 5 : 9;
  const samples = ctx.quick ? 32 : 64;
  const batchSize = 32;
  const repeats = 2; // best of two: other processes share this CPU
  const model = cifarResNet(8, { seed: 1 }); // 32×32×3 → 10 classes, option-A shortcuts, as He et al. 2015 §4.2
  const data = (n: number) =>
    tf.tidy(() => ({
      x: tf.randomNormal([n, 32, 32, 3], 0, 1, "float32", 1),
      y: tf.oneHot(tf.cast(tf.mul(tf.randomUniform([n], 0, 1, "float32", 2), 10), "int32"), 10).toFloat(),
    }));
  const directions: [tf.Tensor[], tf.Tensor[]] = [filterNormalizedDirection(model, { seed: 1 }), filterNormalizedDirection(model, { seed: 2 })];
  const grid = (res: number) => ({ resolution: res, range: [-1, 1] as [number, number], batchSize, directions, loss: "categoricalCrossentropy" as const });
  const time = async (n: number, res: number) => {
    const { x, y } = data(n);
    try {
      await lossSurface2D(model, x, y, grid(3)); // warm-up: kernels, allocations
      let best = Infinity;
      for (let r = 0; r < repeats; r++) {
        const start = process.hrtime.bigint();
        await lossSurface2D(model, x, y, grid(res));
        best = Math.min(best, Number(process.hrtime.bigint() - start) / 1e9);
      }
      return best;
    } finally {
      tf.dispose([x, y]);
    }
  };

  ctx.log(`surface: ${resolution}×${resolution} grid, ${samples} samples, ResNet-8 (${model.countParams()} parameters)`);
  const ours = await time(samples, resolution);
  const oursPointsPerSecond = (resolution * resolution) / ours;
  const doubleSamples = (await time(2 * samples, resolution)) / ours;
  const morePoints = resolution + 4; // (res+4)² / res² more points
  const pointsFactor = (morePoints * morePoints) / (resolution * resolution);
  const doublePoints = (await time(samples, morePoints)) / ours / pointsFactor;

  let peer: number | undefined;
  let peerNote = "";
  try {
    const python = await torchPython();
    const { x, y } = data(samples);
    const spec = exportModel(model, x, y, "categoricalCrossentropy", false, {
      resolution, range: [-1, 1], batchSize, directions: directions.map((d) => weightsByLayer(model, d)),
    });
    tf.dispose([x, y]);
    let seconds = Infinity;
    for (let r = 0; r < repeats; r++) {
      const result = runReference<{ seconds: number; threads: number; torch: string }>(python, spec, "surface");
      seconds = Math.min(seconds, result.seconds);
      peerNote = `PyTorch ${result.torch}, ${result.threads} threads, OMP_WAIT_POLICY=${process.env.OMP_WAIT_POLICY ?? "PASSIVE"}`;
    }
    peer = (resolution * resolution) / seconds;
  } catch (error) {
    ctx.log(`surface: PyTorch peer unavailable: ${(error as Error).message.split("\n")[0]}`);
  }
  tf.dispose(directions.flat());
  model.dispose();

  return [
    {
      group: "surface",
      name: `ResNet-8 loss grid ${resolution}×${resolution}, ${samples} samples`,
      ours: oursPointsPerSecond,
      peer,
      peerName: "PyTorch (same grid)",
      unit: "points/s",
      lowerIsBetter: false,
      goal: "ratio ≥ 0.5",
      note: peerNote || "peer not measured",
    },
    {
      group: "surface",
      name: "time × with 2× samples",
      ours: doubleSamples,
      unit: "×",
      lowerIsBetter: true,
      goal: "≤ 2.5 (linear: ≈ 2)",
    },
    {
      group: "surface",
      name: "time per point × with more grid points",
      ours: doublePoints,
      unit: "×",
      lowerIsBetter: true,
      goal: "≤ 1.25 (linear: ≈ 1)",
    },
  ];
}
