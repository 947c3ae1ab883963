export interface Evaluation {
  accuracy: number;
  perClass: Record<string, { precision: number; recall: number; support: number }>;
  /** `confusionMatrix[actual][predicted]`. */
  confusionMatrix: number[][];
}

/** Index of the largest of `classCount` probabilities starting at `offset` (first one wins a tie). */
export function argmax(probabilities: ArrayLike<number>, offset: number, classCount: number): number {
  let best = 0;
  for (let c = 1; c < classCount; c++) {
    if ((probabilities[offset + c] as number) > (probabilities[offset + best] as number)) best = c;
  }
  return best;
}

/**
 * Scores predictions against true labels: accuracy, per-class precision/recall and the confusion matrix.
 * `probabilities` is row-major, `labels.length × classNames.length`. Metrics are rounded to 4 decimals so
 * metadata stays readable and stable.
 */
export function evaluate(
  probabilities: ArrayLike<number>,
  labels: readonly number[],
  classNames: readonly string[],
): Evaluation {
  const k = classNames.length;
  const confusionMatrix = classNames.map(() => new Array<number>(k).fill(0));
  labels.forEach((actual, row) => {
    const predicted = argmax(probabilities, row * k, k);
    (confusionMatrix[actual] as number[])[predicted] =
      ((confusionMatrix[actual] as number[])[predicted] ?? 0) + 1;
  });
  const correct = classNames.reduce((sum, _, c) => sum + (confusionMatrix[c]?.[c] ?? 0), 0);
  const perClass: Evaluation["perClass"] = {};
  classNames.forEach((name, c) => {
    const truePositives = confusionMatrix[c]?.[c] ?? 0;
    const support = (confusionMatrix[c] ?? []).reduce((a, b) => a + b, 0);
    const predictedCount = confusionMatrix.reduce((sum, row) => sum + (row[c] ?? 0), 0);
    perClass[name] = {
      precision: round4(predictedCount === 0 ? 0 : truePositives / predictedCount),
      recall: round4(support === 0 ? 0 : truePositives / support),
      support,
    };
  });
  return { accuracy: round4(labels.length === 0 ? 0 : correct / labels.length), perClass, confusionMatrix };
}

function round4(x: number): number {
  return Math.round(x * 10_000) / 10_000;
}
