/**
 * Per-layer gradient norms ‖∂L/∂W_l‖ and activation-gradient norms ‖∂L/∂a_l‖ on one batch, one backward pass each:
 * the measurement behind the vanishing-gradient story (backprop multiplies per-layer factors, so plain nets'
 * early layers get exponentially smaller gradients; a skip's "+1" keeps them alive, He et al. 2016).
 *
 * BatchNorm: `training: true` (the default) uses batch statistics, as during training; the moving statistics
 * this would update are restored afterwards, so probing never changes the model. `training: false` uses the
 * moving statistics (inference). Dropout, if any, is active in training mode.
 */
import { tf } from "../backend";
import { graphNodes, runGraph } from "./graph";
import { assertSingleOutput, lossFor, type LossSpec } from "./loss";
import { snapshotWeights, variablesOf } from "./weight-snapshot";

export interface GradientProbeOptions {
  /** Loss by name or function; default from the output activation (see `lossFor`). */
  loss?: LossSpec;
  /** Layers run in training mode (BatchNorm batch statistics). Default true. */
  training?: boolean;
}

export interface LayerGradientNorm {
  /** The layer's name. */
  layer: string;
  /** 1 for the layer with trainable weights nearest the input, counting up toward the output. */
  depth: number;
  /** L2 norm over all of this layer's trainable-weight gradients. */
  gradNorm: number;
  /** Mean |∂L/∂w| over the layer's trainable weights (the "average gradient" of the vanishing-gradient example). */
  meanAbsGrad: number;
  /** L2 norm of the layer's trainable weights, for relative update sizes. */
  weightNorm: number;
  /** Number of trainable parameters in the layer. */
  parameters: number;
}

function checkBatch(model: tf.LayersModel, x: tf.Tensor | tf.Tensor[], y: tf.Tensor): void {
  assertSingleOutput(model);
  const batch = (Array.isArray(x) ? x[0] : x).shape[0];
  if (batch !== y.shape[0]) throw new Error(`x and y must hold the same number of samples, got ${batch} and ${y.shape[0]}`);
}

/** Runs `body` with training-mode side effects (BatchNorm moving statistics) undone afterwards. */
function withoutSideEffects<T>(model: tf.LayersModel, training: boolean, body: () => T): T {
  const snapshot = training ? snapshotWeights(model, model.nonTrainableWeights) : undefined;
  try {
    return body();
  } finally {
    snapshot?.restore();
  }
}

/** ‖∂L/∂W_l‖ for every layer with trainable weights, input → output, from one backward pass (He et al. 2016, Fig. 1 story). */
export function layerGradientNorms(
  model: tf.LayersModel,
  x: tf.Tensor | tf.Tensor[],
  y: tf.Tensor,
  options: GradientProbeOptions = {},
): LayerGradientNorm[] {
  checkBatch(model, x, y);
  const training = options.training ?? true;
  const lossFn = lossFor(model, y, options.loss);
  const layers = model.layers.filter((l) => l.trainableWeights.length > 0);
  if (layers.length === 0) throw new Error(`model "${model.name}" has no layer with trainable weights`);
  const perLayer = layers.map((l) => variablesOf(l.trainableWeights));
  const variables = perLayer.flat();
  const stats = withoutSideEffects(model, training, () =>
    tf.tidy(() => {
      const { grads } = tf.variableGrads(() => {
        const prediction = model.apply(x, { training }) as tf.Tensor;
        return lossFn(y, prediction);
      }, variables);
      // One row per layer: [Σ g², Σ |g|, Σ w²], read back in a single transfer.
      const rows = perLayer.map((vars) =>
        tf.stack(
          [
            tf.addN(vars.map((v) => tf.sum(tf.square(grads[v.name])))),
            tf.addN(vars.map((v) => tf.sum(tf.abs(grads[v.name])))),
            tf.addN(vars.map((v) => tf.sum(tf.square(v)))),
          ].map((t) => tf.reshape(t, [])),
        ),
      );
      return tf.stack(rows).arraySync() as number[][];
    }),
  );
  return layers.map((layer, i) => {
    const parameters = perLayer[i].reduce((n, v) => n + v.size, 0);
    const [sumSquares, sumAbs, weightSquares] = stats[i];
    return {
      layer: layer.name,
      depth: i + 1,
      gradNorm: Math.sqrt(sumSquares),
      meanAbsGrad: sumAbs / parameters,
      weightNorm: Math.sqrt(weightSquares),
      parameters,
    };
  });
}

export interface ActivationGradientNorm {
  /** The layer whose output this is. */
  layer: string;
  /** 1 for the first layer after the input, counting up toward the output (every layer, weighted or not). */
  depth: number;
  /** L2 norm of ∂L/∂a over the whole batch. */
  gradNorm: number;
}

/** ‖∂L/∂a_l‖ for every layer output a_l, input → output, from one backward pass (the backpropagated signal itself). */
export function activationGradientNorms(
  model: tf.LayersModel,
  x: tf.Tensor | tf.Tensor[],
  y: tf.Tensor,
  options: GradientProbeOptions = {},
): ActivationGradientNorm[] {
  checkBatch(model, x, y);
  const training = options.training ?? true;
  const lossFn = lossFor(model, y, options.loss);
  const batch = y.shape[0];
  // One zero tensor per layer output: ∂L/∂(a + 0) = ∂L/∂a, and tf.grads can differentiate against it.
  const outputs = graphNodes(model).flatMap((node) => node.outputTensors.map((t) => ({ layer: node.outboundLayer.name, t })));
  return withoutSideEffects(model, training, () =>
    tf.tidy(() => {
      const zeros = outputs.map(({ t }) => tf.zeros(t.shape.map((d, i) => (i === 0 && d === null ? batch : d ?? 1))));
      const index = new Map(outputs.map(({ t }, i) => [t.id, i]));
      const grads = tf.grads((...perturbations: tf.Tensor[]) => {
        const [prediction] = runGraph(model, x, {
          training,
          tap: (symbolic, value) => tf.add(value, perturbations[index.get(symbolic.id)!]),
        });
        return lossFn(y, prediction);
      })(zeros);
      const norms = tf.stack(grads.map((g) => tf.norm(g))).arraySync() as number[];
      return outputs.map(({ layer }, i) => ({ layer, depth: i + 1, gradNorm: norms[i] }));
    }),
  );
}

/**
 * First layer's over last layer's gradient magnitude: ≪ 1 means the early layers barely learn (vanishing gradients).
 * `measure` picks the norm ‖∂L/∂W‖ (default) or the mean |∂L/∂w|, which stays representable where squares underflow.
 */
export function firstToLastRatio(norms: ReadonlyArray<{ gradNorm: number; meanAbsGrad?: number }>, measure: "gradNorm" | "meanAbsGrad" = "gradNorm"): number {
  if (norms.length === 0) throw new Error("norms must hold at least one layer, got none");
  const value = (i: number) => {
    const v = norms[i][measure];
    if (v === undefined) throw new Error(`layer ${i + 1} has no ${measure}: pass layerGradientNorms' rows`);
    return v;
  };
  return value(0) / value(norms.length - 1);
}
