import { register as globalRegistry } from "prom-client";
import { describe, expect, it } from "vitest";
import { countValue, parseExposition, sampleValue } from "../../test/server-fixtures.js";
import { ERROR_TYPES, METRICS } from "../contract/index.js";
import { ServerMetrics } from "./metrics.js";

const model = {
  name: "iris",
  version: "abc123",
  backend: "wasm",
  accuracy: 0.9667,
  classNames: ["a", "b", "c"],
};

async function samples(metrics: ServerMetrics) {
  return parseExposition(await metrics.exposition());
}

describe("ServerMetrics", () => {
  it("owns its registry: two instances count separately and the global registry stays empty", async () => {
    const first = new ServerMetrics();
    const second = new ServerMetrics();
    first.observeRequest("GET", "/health", 200, 0.001);
    first.observeRequest("GET", "/health", 200, 0.002);
    expect(sampleValue(await samples(first), METRICS.httpRequests, { route: "/health", status: "200" })).toBe(
      2,
    );
    expect(countValue(await second.exposition(), METRICS.httpRequests, { route: "/health" })).toBe(0);
    expect(await globalRegistry.getSingleMetricAsString(METRICS.httpRequests).catch(() => "absent")).toBe(
      "absent",
    );
  });

  it("puts request latency into sub-millisecond buckets", async () => {
    const metrics = new ServerMetrics();
    metrics.observeRequest("POST", "/predict", 200, 0.0003);
    const all = await samples(metrics);
    const bucket = (le: string) =>
      sampleValue(all, `${METRICS.httpRequestDuration}_bucket`, { route: "/predict", le });
    expect(bucket("0.00025")).toBe(0);
    expect(bucket("0.0005")).toBe(1);
    expect(sampleValue(all, `${METRICS.httpRequestDuration}_sum`, { route: "/predict" })).toBeCloseTo(
      0.0003,
      9,
    );
  });

  it("publishes model info with the backend label, accuracy, and every class at zero", async () => {
    const metrics = new ServerMetrics();
    metrics.modelLoaded(model);
    const all = await samples(metrics);
    expect(sampleValue(all, METRICS.modelInfo, { model: "iris", version: "abc123", backend: "wasm" })).toBe(
      1,
    );
    expect(sampleValue(all, METRICS.modelAccuracy, { model: "iris", version: "abc123" })).toBe(0.9667);
    expect(all.filter((s) => s.name === METRICS.predictions).map((s) => [s.labels.class, s.value])).toEqual([
      ["a", 0],
      ["b", 0],
      ["c", 0],
    ]);
  });

  it("records predictions per class, rows per call and compute time", async () => {
    const metrics = new ServerMetrics();
    const recorder = metrics.modelLoaded(model);
    recorder.countPredictions(2, 5);
    recorder.countPredictions(0, 1);
    recorder.observeInference(6, 0.00004);
    const all = await samples(metrics);
    expect(sampleValue(all, METRICS.predictions, { class: "c" })).toBe(5);
    expect(sampleValue(all, METRICS.predictions, { class: "a" })).toBe(1);
    expect(sampleValue(all, `${METRICS.inferenceBatchRows}_bucket`, { le: "4" })).toBe(0);
    expect(sampleValue(all, `${METRICS.inferenceBatchRows}_bucket`, { le: "8" })).toBe(1);
    expect(sampleValue(all, `${METRICS.predictionDuration}_bucket`, { le: "0.00005" })).toBe(1);
    expect(sampleValue(all, `${METRICS.predictionDuration}_bucket`, { le: "0.000025" })).toBe(0);
  });

  it("keeps a single ml_model_info series when a model is loaded again", async () => {
    const metrics = new ServerMetrics();
    metrics.modelLoaded(model);
    metrics.modelLoaded({ ...model, version: "def456", backend: "cpu" });
    const info = (await samples(metrics)).filter((s) => s.name === METRICS.modelInfo);
    expect(info).toEqual([
      { name: METRICS.modelInfo, labels: { model: "iris", version: "def456", backend: "cpu" }, value: 1 },
    ]);
  });

  it("counts errors by type", async () => {
    const metrics = new ServerMetrics();
    metrics.countError(ERROR_TYPES.invalidInput);
    metrics.countError(ERROR_TYPES.invalidInput);
    metrics.countError(ERROR_TYPES.internal);
    const all = await samples(metrics);
    expect(sampleValue(all, METRICS.errors, { type: "invalid_input" })).toBe(2);
    expect(sampleValue(all, METRICS.errors, { type: "internal" })).toBe(1);
  });
});
