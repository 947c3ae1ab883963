/**
 * The floor for the benchmark: the bare server (`bare-server.ts`) plus the one thing no inference server can
 * skip, the model call, made exactly as the real server makes it: the committed model through the same
 * `Classifier` (same TF.js backend, same fused kernels) and the same `MicroBatcher` with the server's
 * batching settings, its answers built by the server's own `argmaxRows` and `toPredictions`. Nothing else:
 * no validation beyond reading the numbers, no metrics, no log lines, no request ids, no OpenAPI middleware. The real server's cost above this line is the price of those features;
 * the floor's cost above the bare server is the model's, and no change to the HTTP layer can recover it.
 *
 * `MODEL_DIR=model PORT=9000 node build/bench/floor-server.js`
 */
import { serve } from "@hono/node-server";
import { Hono } from "hono";
import { parseServerConfig } from "../src/contract/server-config.js";
import { loadModel } from "../src/model/load-model.js";
import { MicroBatcher } from "../src/model/micro-batcher.js";
import { toPredictions } from "../src/server/api/predict.js";
import { argmaxRows } from "../src/server/inference-engine.js";

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

/** Runs `rows` rows and picks each row's class, as the server's inference engine does (minus its metrics). */
async function classify(features: Float32Array, rows: number) {
  const probabilities = await infer(features, rows);
  return { probabilities, classIndices: argmaxRows(probabilities, rows, classCount) };
}

/** The server's own `/predict` answer objects for `result` (processing time left at 0). */
const predictions = (result: Awaited<ReturnType<typeof classify>>) =>
  toPredictions(result, model.metadata, 0, (row) => `instances[${row}]`);

const app = new Hono();
app.post("/predict", async (c) => {
  const body = (await c.req.json()) as { features?: number[]; instances?: number[][] };
  if (Array.isArray(body.instances)) {
    const result = await classify(Float32Array.from(body.instances.flat()), body.instances.length);
    return c.json({ predictions: predictions(result) });
  }
  return c.json(predictions(await classify(Float32Array.from(body.features ?? []), 1))[0]);
});
app.post("/v2/models/iris/infer", async (c) => {
  const body = (await c.req.json()) as { inputs: { shape: number[]; data: number[] }[] };
  const input = body.inputs[0]!;
  const rows = input.shape[0]!;
  const { probabilities, classIndices } = await classify(Float32Array.from(input.data.flat()), rows);
  return c.json({
    model_name: name,
    model_version: version,
    outputs: [
      { name: "class_index", shape: [rows], datatype: "INT64", data: Array.from(classIndices) },
      {
        name: "class_name",
        shape: [rows],
        datatype: "BYTES",
        data: Array.from(classIndices, (k) => classNames[k]),
      },
      { name: "probabilities", shape: [rows, classCount], datatype: "FP32", data: Array.from(probabilities) },
    ],
  });
});
app.get("/health", (c) => c.json({ status: "ok" }));

serve({ fetch: app.fetch, port: config.port, hostname: config.host }, () =>
  console.log(`floor server on ${config.port}`),
);
process.on("SIGTERM", () => process.exit(0));
