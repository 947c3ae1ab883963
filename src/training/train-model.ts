import * as tf from "@tensorflow/tfjs";
import type { Dataset } from "./iris.js";
import { shuffled, seededRandom, stratifiedSplit, type Split } from "./split.js";
import type { TrainingConfig } from "./training-config.js";

export { DEFAULT_TRAINING, type TrainingConfig } from "./training-config.js";

export interface TrainedModel {
  network: tf.LayersModel;
  split: Split;
  normalization: { mean: number[]; std: number[] };
}

/**
 * Standardisation parameters per feature, computed on the given rows only (population std; a constant
 * feature gets std 1 so it passes through centred).
 */
export function standardization(rows: readonly number[][]): { mean: number[]; std: number[] } {
  const n = rows.length;
  const width = rows[0]?.length ?? 0;
  const mean = Array.from({ length: width }, (_, f) => rows.reduce((s, r) => s + (r[f] as number), 0) / n);
  const std = mean.map((m, f) => {
    const variance = rows.reduce((s, r) => s + ((r[f] as number) - m) ** 2, 0) / n;
    return variance > 0 ? Math.sqrt(variance) : 1;
  });
  return { mean: mean.map(round6), std: std.map(round6) };
}

export function standardize(
  rows: readonly number[][],
  { mean, std }: { mean: number[]; std: number[] },
): number[][] {
  return rows.map((row) => row.map((x, f) => (x - (mean[f] as number)) / (std[f] as number)));
}

/**
 * Trains a dense softmax classifier on a stratified split of `data`. Reproducible: the split, the
 * initialisers and the per-epoch sample order all derive from `config.seed`, and training runs on the
 * pure-JS `cpu` backend, whose arithmetic does not depend on threads or SIMD.
 */
export async function trainClassifier(
  data: Dataset,
  classCount: number,
  config: TrainingConfig,
): Promise<TrainedModel> {
  await tf.setBackend("cpu");
  await tf.ready();
  const split = stratifiedSplit(data.labels, config.holdoutFraction, config.seed);
  const trainRows = split.train.map((i) => data.features[i] as number[]);
  const normalization = standardization(trainRows);
  const featureCount = trainRows[0]?.length ?? 0;

  const network = tf.sequential({ name: "iris_classifier" });
  const units = [...config.hiddenUnits, classCount];
  units.forEach((unitCount, layer) => {
    const last = layer === units.length - 1;
    network.add(
      tf.layers.dense({
        name: last ? "probabilities" : `hidden_${layer + 1}`,
        units: unitCount,
        activation: last ? "softmax" : config.activation,
        kernelInitializer: tf.initializers.glorotUniform({ seed: config.seed + layer }),
        biasInitializer: "zeros",
        ...(layer === 0 ? { inputShape: [featureCount] } : {}),
      }),
    );
  });
  network.compile({
    optimizer: tf.train.adam(config.learningRate),
    loss: "categoricalCrossentropy",
    metrics: ["accuracy"],
  });

  const random = seededRandom(config.seed ^ 0x5eed);
  const scaled = standardize(trainRows, normalization);
  for (let epoch = 0; epoch < config.epochs; epoch++) {
    // Our own seeded order per epoch: model.fit's shuffle uses an unseeded source.
    const order = shuffled(
      scaled.map((_, i) => i),
      random,
    );
    const x = tf.tensor2d(order.map((i) => scaled[i] as number[]));
    const y = tf.oneHot(
      tf.tensor1d(
        order.map((i) => data.labels[split.train[i] as number] as number),
        "int32",
      ),
      classCount,
    );
    await network.fit(x, y, { epochs: 1, batchSize: config.batchSize, shuffle: false, verbose: 0 });
    x.dispose();
    y.dispose();
  }
  return { network, split, normalization };
}

function round6(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}
