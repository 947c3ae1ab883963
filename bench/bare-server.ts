/**
 * The physical limit for the benchmark: the same HTTP stack as the inference server (Hono on
 * @hono/node-server, same Node), parsing the same JSON bodies, but with no model, no validation, no
 * metrics and no logging — it answers a fixed body. Whatever the real server loses against this is ours.
 *
 * `PORT=9000 node build/bench/bare-server.js`
 */
import { serve } from "@hono/node-server";
import { Hono } from "hono";

const single = {
  prediction: 0,
  class: "setosa",
  probabilities: { setosa: 0.99, versicolor: 0.01, virginica: 0 },
  confidence: 0.99,
  model: { name: "iris", version: "bare" },
  processing_time_ms: 0,
};

const app = new Hono();
app.post("/predict", async (c) => {
  const body = (await c.req.json()) as { instances?: unknown[] };
  if (Array.isArray(body.instances)) return c.json({ predictions: body.instances.map(() => single) });
  return c.json(single);
});
app.post("/v2/models/iris/infer", async (c) => {
  await c.req.json();
  return c.json({
    model_name: "iris",
    outputs: [{ name: "class_index", shape: [1], datatype: "INT64", data: [0] }],
  });
});
app.get("/health", (c) => c.json({ status: "ok" }));

const port = Number(process.env.PORT ?? 9000);
serve({ fetch: app.fetch, port, hostname: "127.0.0.1" }, () => console.log(`bare server on ${port}`));
process.on("SIGTERM", () => process.exit(0));
