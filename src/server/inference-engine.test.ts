import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MODEL_DIR, parseExposition, sampleValue } from "../../test/server-fixtures.js";
import type { BatchingConfig } from "../contract/server-config.js";
import { METRICS } from "../contract/index.js";
import { createInferenceEngine, warmUp } from "./inference-engine.js";
import { ServerMetrics, describeClassifier } from "./metrics.js";
import { type Classifier, loadModel } from "../model/load-model.js";
import { QueueFullError } from "../model/micro-batcher.js";

let classifier: Classifier;
beforeAll(async () => {
  classifier = await loadModel(MODEL_DIR, { backend: "wasm" });
});
afterAll(() => classifier.dispose());

function engineWithMetrics(batching?: BatchingConfig) {
  const metrics = new ServerMetrics();
  const engine = createInferenceEngine(
    classifier,
    metrics.modelLoaded(describeClassifier(classifier)),
    batching,
  );
  return { engine, metrics };
}

describe("createInferenceEngine", () => {
  it("returns the model's probabilities and the most probable class per row", async () => {
    const { engine } = engineWithMetrics();
    const rows = Float32Array.from([5.1, 3.5, 1.4, 0.2, 6.4, 3.2, 4.5, 1.5, 6.3, 3.3, 6.0, 2.5]);
    const result = await engine.infer(rows, 3);
    expect(Array.from(result.classIndices)).toEqual([0, 1, 2]);
    expect(Array.from(result.probabilities)).toEqual(Array.from(classifier.predict(rows, 3)));
    expect(engine.featureCount).toBe(4);
    expect(engine.classCount).toBe(3);
  });

  it("records one inference call with its rows and counts each predicted class", async () => {
    const { engine, metrics } = engineWithMetrics();
    await engine.infer(Float32Array.from([5.1, 3.5, 1.4, 0.2, 5.0, 3.4, 1.5, 0.2, 6.3, 3.3, 6.0, 2.5]), 3);
    const samples = parseExposition(await metrics.exposition());
    expect(sampleValue(samples, METRICS.predictions, { class: "setosa" })).toBe(2);
    expect(sampleValue(samples, METRICS.predictions, { class: "virginica" })).toBe(1);
    expect(sampleValue(samples, `${METRICS.inferenceBatchRows}_sum`)).toBe(3);
    expect(sampleValue(samples, `${METRICS.predictionDuration}_count`)).toBe(1);
  });

  it("marks rows whose probabilities are not finite with -1 and does not count them", async () => {
    const nanClassifier = {
      ...classifier,
      predict: (_f: Float32Array, rows: number) => new Float32Array(rows * 3).fill(Number.NaN),
    };
    const metrics = new ServerMetrics();
    const engine = createInferenceEngine(
      nanClassifier,
      metrics.modelLoaded({
        name: "iris",
        version: "v",
        backend: "cpu",
        accuracy: 1,
        classNames: ["a", "b", "c"],
      }),
    );
    const result = await engine.infer(new Float32Array(8), 2);
    expect(Array.from(result.classIndices)).toEqual([-1, -1]);
    const samples = parseExposition(await metrics.exposition());
    expect(
      samples.filter((s) => s.name === METRICS.predictions).map((s) => [s.labels.class, s.value]),
    ).toEqual([
      ["a", 0],
      ["b", 0],
      ["c", 0],
    ]);
  });
});

describe("warmUp", () => {
  it("passes on the committed model", () => {
    expect(() => warmUp(classifier)).not.toThrow();
  });

  it("fails when the model does not answer a probability distribution", () => {
    const broken = { ...classifier, predict: () => Float32Array.from([0.5, 0.5, 0.5]) };
    expect(() => warmUp(broken)).toThrow(
      "warm-up prediction is not a probability distribution: [0.5, 0.5, 0.5]",
    );
  });
});

describe("createInferenceEngine with batching", () => {
  const batching: BatchingConfig = { enabled: true, maxRowsPerCall: 64, maxDelayMs: 0, queueRows: 128 };
  const flowers = [
    [5.1, 3.5, 1.4, 0.2],
    [6.4, 3.2, 4.5, 1.5],
    [6.3, 3.3, 6.0, 2.5],
  ];

  it("serves concurrent calls with one model call and gives each its own answer", async () => {
    const { engine, metrics } = engineWithMetrics(batching);
    const results = await Promise.all(
      Array.from({ length: 30 }, (_, i) => engine.infer(Float32Array.from(flowers[i % 3] as number[]), 1)),
    );
    expect(results.map((r) => r.classIndices[0])).toEqual(Array.from({ length: 30 }, (_, i) => i % 3));
    results.forEach((r, i) =>
      expect(Array.from(r.probabilities)).toEqual(
        Array.from(classifier.predict(Float32Array.from(flowers[i % 3] as number[]), 1)),
      ),
    );
    const samples = parseExposition(await metrics.exposition());
    expect(sampleValue(samples, `${METRICS.predictionDuration}_count`)).toBe(1);
    expect(sampleValue(samples, `${METRICS.inferenceBatchRows}_sum`)).toBe(30);
    expect(sampleValue(samples, METRICS.predictions, { class: "setosa" })).toBe(10);
  });

  it("refuses calls beyond the queue bound with QueueFullError", async () => {
    const { engine } = engineWithMetrics({ ...batching, queueRows: 2 });
    const calls = [1, 2, 3].map(() => engine.infer(Float32Array.from(flowers[0] as number[]), 1));
    const settled = await Promise.allSettled(calls);
    expect(settled.map((s) => s.status)).toEqual(["fulfilled", "fulfilled", "rejected"]);
    expect((settled[2] as PromiseRejectedResult).reason).toBeInstanceOf(QueueFullError);
  });
});
