import { chmod, mkdtemp, rename, rm, writeFile } from "node:fs/promises";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import * as tf from "@tensorflow/tfjs";
import { MODEL_NAME } from "../contract/index.js";
import { MODEL_FILES, fileSaveHandler, modelVersion } from "../model/artifacts.js";
import type { ModelMetadata } from "../model/metadata.js";
import { evaluate } from "./evaluate.js";
import { IRIS_CLASSES, IRIS_CSV_PATH, IRIS_FEATURES, loadIris } from "./iris.js";
import { type TrainingConfig, standardize, trainClassifier } from "./train-model.js";

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

/** The trained network scored below the required holdout accuracy; nothing was written. */
export class AccuracyBelowThresholdError extends Error {
  override readonly name = "AccuracyBelowThresholdError";
  constructor(
    readonly accuracy: number,
    readonly minAccuracy: number,
  ) {
    super(`holdout accuracy ${accuracy} is below --min-accuracy ${minAccuracy}; nothing was written`);
  }
}

/**
 * Trains on the shipped Iris data and writes `model.json`, `weights.bin` and `metadata.json` into `outDir`.
 * The files are written to a temporary sibling directory first and swapped in, so a failed run never
 * leaves a half-written model behind; a model scoring below `minAccuracy` is never written at all.
 *
 * @returns the metadata written
 */
export async function trainAndSave(
  outDir: string,
  config: TrainingConfig,
  { minAccuracy = 0 }: { minAccuracy?: number } = {},
): Promise<ModelMetadata> {
  const data = loadIris();
  const { network, split, normalization } = await trainClassifier(data, IRIS_CLASSES.length, config);
  try {
    const holdoutRows = standardize(
      split.holdout.map((i) => data.features[i] as number[]),
      normalization,
    );
    const probabilities = tf.tidy(() => (network.predict(tf.tensor2d(holdoutRows)) as tf.Tensor).dataSync());
    const holdoutLabels = split.holdout.map((i) => data.labels[i] as number);
    const scores = evaluate(probabilities, holdoutLabels, IRIS_CLASSES);
    if (scores.accuracy < minAccuracy) {
      throw new AccuracyBelowThresholdError(scores.accuracy, minAccuracy);
    }

    const target = resolve(outDir);
    const staging = await mkdtemp(join(dirname(target), ".model-staging-"));
    try {
      await network.save(fileSaveHandler(staging));
      const metadata: ModelMetadata = {
        name: MODEL_NAME,
        version: await modelVersion(staging),
        classNames: [...IRIS_CLASSES],
        featureNames: [...IRIS_FEATURES],
        normalization,
        holdout: { size: holdoutLabels.length, ...scores },
        dataset: {
          file: relative(REPO_ROOT, IRIS_CSV_PATH),
          sha256: data.sha256,
          rows: data.labels.length,
        },
        training: {
          seed: config.seed,
          epochs: config.epochs,
          batchSize: config.batchSize,
          learningRate: config.learningRate,
          holdoutFraction: config.holdoutFraction,
          layers: [IRIS_FEATURES.length, ...config.hiddenUnits, IRIS_CLASSES.length],
          activation: config.activation,
        },
        tfjsVersion: tf.version.tfjs,
      };
      await writeFile(join(staging, MODEL_FILES.metadata), `${JSON.stringify(metadata, null, 2)}\n`);
      await rm(target, { recursive: true, force: true });
      await chmod(staging, 0o755);
      await rename(staging, target);
      return metadata;
    } finally {
      await rm(staging, { recursive: true, force: true });
    }
  } finally {
    network.dispose();
  }
}
