/**
 * The floor for the benchmark: the bare server (`bare-server.ts`) plus the one thing no inference server can
 * skip, the model call, made exactly as the real server makes it: the committed model through the same
 * `Classifier` (same TF.js backend, same fused kernels) and the same `MicroBatcher` with the server's
 * batching settings. Nothing else: no validation beyond reading the numbers, no metrics, no log lines, no
 * request ids, no OpenAPI middleware. The real server's cost above this line is the price of those features;
 * the floor's cost above the bare server is the model's, and no change to the HTTP layer can recover it.
 *
 * `MODEL_DIR=model PORT=9000 node build/bench/floor-server.js`
 */
import { serve } from "@hono/node-server";
import { Hono } from "hono";
import { parseServerConfig } from "../src/contract/server-config.js";
import { loadModel } from "../src/model/load-model.js";
import { MicroBatcher } from "../src/model/micro-batcher.js";

const parsed = parseServerConfig(process.env);
if (!parsed.ok) throw new Error(parsed.errors.map((e) => e.message).join("; "));
const { config } = parsed;
const model = await loadModel(config.modelDir, { backend: config.tfjsBackend });
const { featureCount, classCount } = model;
const { name, version, classNames } = model.metadata;
const run = (features: Float32Array, rows: number) => model.predict(features, rows);
const infer = config.batching.enabled
  ? (() => {
      const batcher = new MicroBatcher(run, {
        inputWidth: featureCount,
        outputWidth: classCount,
        maxRowsPerCall: config.batching.maxRowsPerCall,
        maxDelayMs: config.batching.maxDelayMs,
        maxQueueRows: config.batching.queueRows,
      });
      return (features: Float32Array, rows: number) => batcher.infer(features, rows);
    })()
  : async (features: Float32Array, rows: number) => run(features, rows);

/** The answer for row `r`, in the real server's `/predict` shape. */
function prediction(probabilities: Float32Array, r: number) {
  const offset = r * classCount;
  let best = 0;
  for (let k = 1; k < classCount; k++)
    if (probabilities[offset + k]! > probabilities[offset + best]!) best = k;
  const byClass: Record<string, number> = {};
  for (let k = 0; k < classCount; k++) byClass[classNames[k]!] = probabilities[offset + k]!;
  return {
    prediction: best,
    class: classNames[best],
    probabilities: byClass,
    confidence: probabilities[offset + best],
    model: { name, version },
    processing_time_ms: 0,
  };
}

const app = new Hono();
app.post("/predict", async (c) => {
  const body = (await c.req.json()) as { features?: number[]; instances?: number[][] };
  if (Array.isArray(body.instances)) {
    const rows = body.instances.length;
    const probabilities = await infer(Float32Array.from(body.instances.flat()), rows);
    return c.json({ predictions: Array.from({ length: rows }, (_, r) => prediction(probabilities, r)) });
  }
  return c.json(prediction(await infer(Float32Array.from(body.features ?? []), 1), 0));
});
app.post("/v2/models/iris/infer", async (c) => {
  const body = (await c.req.json()) as { inputs: { shape: number[]; data: number[] }[] };
  const input = body.inputs[0]!;
  const rows = input.shape[0]!;
  const probabilities = await infer(Float32Array.from(input.data.flat()), rows);
  const classIndices = Array.from({ length: rows }, (_, r) => prediction(probabilities, r).prediction);
  return c.json({
    model_name: name,
    model_version: version,
    outputs: [
      { name: "class_index", shape: [rows], datatype: "INT64", data: classIndices },
      { name: "class_name", shape: [rows], datatype: "BYTES", data: classIndices.map((k) => classNames[k]) },
      { name: "probabilities", shape: [rows, classCount], datatype: "FP32", data: Array.from(probabilities) },
    ],
  });
});
app.get("/health", (c) => c.json({ status: "ok" }));

serve({ fetch: app.fetch, port: config.port, hostname: config.host }, () =>
  console.log(`floor server on ${config.port}`),
);
process.on("SIGTERM", () => process.exit(0));
