/**
 * The layer between HTTP routes and the model. Routes only ever `await engine.infer(features, rows)`, so
 * how the model gets called (directly, as here, or through a micro-batching queue) can change behind this
 * one call without touching a route.
 */
import type { BatchingConfig } from "../contract/server-config.js";
import type { ModelMetrics } from "./metrics.js";
import type { Classifier } from "../model/load-model.js";
import { MicroBatcher } from "../model/micro-batcher.js";

/** What one inference call returns for its rows. */
export interface InferenceResult {
  /** `rows × classCount` class probabilities, row-major. */
  readonly probabilities: Float32Array;
  /** Most probable class per row, or -1 where the model produced a non-finite probability. */
  readonly classIndices: Int32Array;
}

export interface InferenceEngine {
  /** Values per input row. */
  readonly featureCount: number;
  /** Values per output row. */
  readonly classCount: number;
  /**
   * Runs `rows` raw feature rows (row-major in `features`) through the model and counts the predictions.
   * Rejects only for server-side faults; inputs are validated before they get here.
   */
  infer(features: Float32Array, rows: number): Promise<InferenceResult>;
}

/**
 * An engine that runs the classifier for the routes, recording compute time, rows per model call and
 * predicted classes in `metrics`. With `batching.enabled`, concurrent calls share model calls through a
 * {@link MicroBatcher}, whose `QueueFullError` the HTTP layer turns into 503 + Retry-After; without it,
 * each call is one model call.
 *
 * @example
 * const engine = createInferenceEngine(classifier, metrics.modelLoaded(description), config.batching);
 * const { classIndices } = await engine.infer(new Float32Array([5.1, 3.5, 1.4, 0.2]), 1); // [0]
 */
export function createInferenceEngine(
  classifier: Classifier,
  metrics: ModelMetrics,
  batching?: BatchingConfig,
): InferenceEngine {
  const { featureCount, classCount } = classifier;
  const predict = (features: Float32Array, rows: number): Float32Array => classifier.predict(features, rows);
  const finish = (probabilities: Float32Array, rows: number): InferenceResult => {
    const classIndices = argmaxRows(probabilities, rows, classCount);
    countByClass(classIndices, classCount, metrics);
    return { probabilities, classIndices };
  };

  if (batching?.enabled) {
    const batcher = new MicroBatcher(predict, {
      inputWidth: featureCount,
      outputWidth: classCount,
      maxRowsPerCall: batching.maxRowsPerCall,
      maxDelayMs: batching.maxDelayMs,
      maxQueueRows: batching.queueRows,
      onBatch: (rows, seconds) => metrics.observeInference(rows, seconds),
    });
    return {
      featureCount,
      classCount,
      async infer(features, rows) {
        return finish(await batcher.infer(features, rows), rows);
      },
    };
  }

  return {
    featureCount,
    classCount,
    async infer(features, rows) {
      const started = performance.now();
      const probabilities = predict(features, rows);
      metrics.observeInference(rows, (performance.now() - started) / 1000);
      return finish(probabilities, rows);
    },
  };
}

/**
 * Runs one prediction on the training mean (a typical flower) and checks the output is a probability
 * distribution, so readiness means the model answers, not merely that files were read.
 *
 * @throws Error describing the bad output.
 */
export function warmUp(classifier: Classifier): void {
  const row = Float32Array.from(classifier.metadata.normalization.mean);
  const output = classifier.predict(row, 1);
  const sum = output.reduce((a, b) => a + b, 0);
  if (
    output.length !== classifier.classCount ||
    output.some((p) => !(p >= 0 && p <= 1)) ||
    Math.abs(sum - 1) > 1e-3
  ) {
    throw new Error(
      `warm-up prediction is not a probability distribution: [${Array.from(output).join(", ")}]`,
    );
  }
}

/**
 * The most probable class of each of `rows` rows (`rows × classCount` probabilities, row-major), or -1 for
 * a row with a non-finite probability.
 */
export function argmaxRows(probabilities: Float32Array, rows: number, classCount: number): Int32Array {
  const classIndices = new Int32Array(rows);
  for (let r = 0, offset = 0; r < rows; r++, offset += classCount) {
    let best = 0;
    let bestValue = probabilities[offset] as number;
    let finite = Number.isFinite(bestValue);
    for (let k = 1; k < classCount; k++) {
      const value = probabilities[offset + k] as number;
      if (!Number.isFinite(value)) finite = false;
      if (value > bestValue) {
        best = k;
        bestValue = value;
      }
    }
    classIndices[r] = finite ? best : -1;
  }
  return classIndices;
}

function countByClass(classIndices: Int32Array, classCount: number, metrics: ModelMetrics): void {
  if (classIndices.length === 1) {
    const only = classIndices[0] as number;
    if (only >= 0) metrics.countPredictions(only, 1);
    return;
  }
  const counts = new Array<number>(classCount).fill(0);
  for (const k of classIndices) if (k >= 0) counts[k] = (counts[k] as number) + 1;
  for (let k = 0; k < classCount; k++)
    if ((counts[k] as number) > 0) metrics.countPredictions(k, counts[k] as number);
}
