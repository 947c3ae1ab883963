/**
 * `npm run train [-- --out model --seed 42 --epochs 150 --min-accuracy 0.95]`
 *
 * Trains the Iris classifier and writes the artifacts the server serves. Exits non-zero when the holdout
 * accuracy falls below `--min-accuracy`, so a worse model is never written over a good one by accident.
 */
import { parseArgs } from "node:util";
import { DEFAULT_TRAINING, type TrainingConfig } from "./train-model.js";
import { AccuracyBelowThresholdError, trainAndSave } from "./training-run.js";

const { values } = parseArgs({
  options: {
    out: { type: "string", default: "model" },
    seed: { type: "string", default: String(DEFAULT_TRAINING.seed) },
    epochs: { type: "string", default: String(DEFAULT_TRAINING.epochs) },
    "min-accuracy": { type: "string", default: "0.95" },
  },
});

const config: TrainingConfig = {
  ...DEFAULT_TRAINING,
  seed: Number(values.seed),
  epochs: Number(values.epochs),
};
const minAccuracy = Number(values["min-accuracy"]);
for (const [name, value] of [
  ["--seed", config.seed],
  ["--epochs", config.epochs],
] as const) {
  if (!Number.isInteger(value) || value < 0) {
    console.error(`${name} must be a non-negative integer`);
    process.exit(2);
  }
}

const started = performance.now();
let metadata: Awaited<ReturnType<typeof trainAndSave>>;
try {
  metadata = await trainAndSave(values.out, config, { minAccuracy });
} catch (error) {
  if (!(error instanceof AccuracyBelowThresholdError)) throw error;
  console.error(error.message);
  process.exit(1);
}
const seconds = ((performance.now() - started) / 1000).toFixed(1);
console.log(
  `trained ${metadata.name} ${metadata.version} in ${seconds}s: holdout accuracy ${metadata.holdout.accuracy} ` +
    `on ${metadata.holdout.size} flowers → ${values.out}/`,
);
console.log(
  `confusion matrix (rows actual, columns predicted): ${JSON.stringify(metadata.holdout.confusionMatrix)}`,
);
