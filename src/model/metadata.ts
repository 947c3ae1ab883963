/**
 * `model/metadata.json`: everything about a trained model that is not its weights.
 * Written by `npm run train`, read and checked by `loadModel()`.
 */
export interface ModelMetadata {
  /** Served model name, e.g. `iris`. */
  name: string;
  /** Content-derived version: a short hash of the model topology and weights. */
  version: string;
  /** Class names in output index order. */
  classNames: string[];
  /** Feature names in input column order. */
  featureNames: string[];
  /** Standardisation applied to raw features before the network: `(x - mean) / std`, per feature. */
  normalization: { mean: number[]; std: number[] };
  /** Evaluation on the stratified holdout split the network never trained on. */
  holdout: {
    size: number;
    accuracy: number;
    perClass: Record<string, { precision: number; recall: number; support: number }>;
    /** `confusionMatrix[actual][predicted]`, indices as in `classNames`. */
    confusionMatrix: number[][];
  };
  dataset: { file: string; sha256: string; rows: number };
  training: {
    seed: number;
    epochs: number;
    batchSize: number;
    learningRate: number;
    holdoutFraction: number;
    /** Units of each layer, input to output, e.g. `[4, 16, 16, 3]`. */
    layers: number[];
    activation: string;
  };
  tfjsVersion: string;
}
