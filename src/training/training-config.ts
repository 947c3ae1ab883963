/**
 * What a training run is configured with, apart from TF.js, so `npm run train -- --help` can show the
 * defaults without loading TF.js.
 */
export interface TrainingConfig {
  /** Seed for the split, the weight initialisers and the sample order. */
  seed: number;
  epochs: number;
  batchSize: number;
  learningRate: number;
  /** Share of each class held out for evaluation. */
  holdoutFraction: number;
  /** Units of the hidden layers, input to output. */
  hiddenUnits: number[];
  activation: "relu" | "tanh";
}

/** The configuration `npm run train` uses for the committed model. */
export const DEFAULT_TRAINING: TrainingConfig = {
  seed: 42,
  epochs: 150,
  batchSize: 16,
  learningRate: 0.01,
  holdoutFraction: 0.2,
  hiddenUnits: [16, 16],
  activation: "relu",
};
