/**
 * `npm run train [-- --out model --seed 42 --epochs 150 --min-accuracy 0.95]`
 *
 * Trains the Iris classifier and writes the artifacts the server serves. Exits non-zero when the holdout
 * accuracy falls below `--min-accuracy`, so a worse model is never written over a good one by accident.
 */
import { parseArgs } from "node:util";
import { DEFAULT_TRAINING, type TrainingConfig } from "./training-config.js";

const USAGE = `Usage: npm run train [-- --out DIR] [--seed N] [--epochs N] [--min-accuracy A]
Trains the Iris classifier and writes model.json, weights.bin and metadata.json into --out.
  --out DIR           where the artifacts go (default model)
  --seed N            seed of the split and the initial weights (default ${DEFAULT_TRAINING.seed})
  --epochs N          training epochs (default ${DEFAULT_TRAINING.epochs})
  --min-accuracy A    write nothing and exit 1 when the holdout accuracy is below A (default 0.95)
  -h, --help          this text`;

/** The command line, or exit: 0 after printing the usage for --help, 2 with a hint for a mistake. */
function parseCommandLine() {
  try {
    return parseArgs({
      options: {
        out: { type: "string", default: "model" },
        seed: { type: "string", default: String(DEFAULT_TRAINING.seed) },
        epochs: { type: "string", default: String(DEFAULT_TRAINING.epochs) },
        "min-accuracy": { type: "string", default: "0.95" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
    });
  } catch (error) {
    console.error(`train: ${(error as Error).message}\nSee: npm run train -- --help`);
    process.exit(2);
  }
}

const { values } = parseCommandLine();
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}

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

// TF.js only now: --help and a mistyped option answer without loading it.
const { AccuracyBelowThresholdError, trainAndSave } = await import("./training-run.js");
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
