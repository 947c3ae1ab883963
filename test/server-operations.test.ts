import { spawnSync } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createStartingApp } from "../src/server/app.js";
import { DOCS_CSP } from "../src/server/routes/api-docs.js";
import { ERROR_TYPES, METRICS, PATHS } from "../src/contract/index.js";
import type { InferenceEngine } from "../src/server/inference-engine.js";
import { Lifecycle } from "../src/server/lifecycle.js";
import { createLogger } from "../src/server/logger.js";
import { ServerMetrics } from "../src/server/metrics.js";
import type { Classifier } from "../src/model/load-model.js";
import {
  FLOWERS,
  type LogLine,
  countValue,
  type TestServer,
  createTestServer,
  loadCommittedModel,
  parseExposition,
  postJson,
  sampleValue,
} from "./server-fixtures.js";

let classifier: Classifier;
let server: TestServer;
beforeAll(async () => {
  classifier = await loadCommittedModel();
  server = createTestServer(classifier);
});
afterAll(() => classifier.dispose());

async function scrape(app = server.app) {
  const res = await app.request(PATHS.metrics);
  const text = await res.text();
  return { res, text, samples: parseExposition(text) };
}

describe("probes", () => {
  it("answers liveness 200 and readiness 200 while serving", async () => {
    const health = await server.app.request(PATHS.health);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: "ok" });
    const ready = await server.app.request(PATHS.ready);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: "serving" });
  });

  it("fails readiness at once when draining, keeps serving predictions and asks clients to reconnect", async () => {
    const draining = createTestServer(classifier);
    draining.lifecycle.startDraining();
    const ready = await draining.app.request(PATHS.ready);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toEqual({ status: "draining" });
    expect((await draining.app.request("/v2/health/ready")).status).toBe(503);
    expect((await draining.app.request(PATHS.health)).status).toBe(200);
    const prediction = await postJson(draining.app, PATHS.predict, { features: FLOWERS.setosa });
    expect(prediction.status).toBe(200);
    expect(prediction.headers.get("connection")).toBe("close");
    const normal = await postJson(server.app, PATHS.predict, { features: FLOWERS.setosa });
    expect(normal.headers.get("connection")).toBeNull();
  });

  it("while the model loads: liveness 200, readiness 503, metrics served, everything else 503 with Retry-After", async () => {
    const metrics = new ServerMetrics();
    const lifecycle = new Lifecycle();
    const app = createStartingApp({ metrics, logger: createLogger("silent"), lifecycle });
    expect((await app.request(PATHS.health)).status).toBe(200);
    const ready = await app.request(PATHS.ready);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toEqual({ status: "starting" });
    expect((await app.request("/v2/health/ready")).status).toBe(503);
    expect((await app.request("/v2/health/live")).status).toBe(200);
    expect((await app.request(PATHS.metrics)).status).toBe(200);
    const predict = await postJson(app, PATHS.predict, { features: FLOWERS.setosa });
    expect(predict.status).toBe(503);
    expect(predict.headers.get("retry-after")).toBe("1");
    expect(await predict.json()).toEqual({ error: "the model is still loading; retry in a moment" });
    expect(
      sampleValue(parseExposition(await metrics.exposition()), METRICS.errors, { type: "not_ready" }),
    ).toBe(1);
  });
});

describe("GET /info", () => {
  it("reports model, evaluation and the TF.js backend in use", async () => {
    const res = await server.app.request(PATHS.info);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      name: "iris",
      version: classifier.metadata.version,
      classes: ["setosa", "versicolor", "virginica"],
      features: ["sepal_length", "sepal_width", "petal_length", "petal_width"],
      holdout_accuracy: classifier.metadata.holdout.accuracy,
      holdout_size: classifier.metadata.holdout.size,
      backend: "wasm",
      skipped_backends: [],
      execution: classifier.execution,
      tfjs_version: classifier.tfjsVersion,
      server_version: "9.9.9-test",
      max_rows_per_request: 1024,
      body_limit_bytes: 262_144,
    });
  });
});

describe("GET /metrics", () => {
  it("serves a parseable exposition with process metrics, model info and accuracy", async () => {
    const { res, samples } = await scrape();
    expect(res.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(samples.some((s) => s.name === "process_cpu_seconds_total")).toBe(true);
    expect(samples.some((s) => s.name === "nodejs_eventloop_lag_seconds")).toBe(true);
    expect(sampleValue(samples, METRICS.modelInfo, { model: "iris", backend: "wasm" })).toBe(1);
    expect(sampleValue(samples, METRICS.modelAccuracy, { model: "iris" })).toBe(
      classifier.metadata.holdout.accuracy,
    );
    for (const name of ["setosa", "versicolor", "virginica"]) {
      expect(samples.some((s) => s.name === METRICS.predictions && s.labels.class === name)).toBe(true);
    }
  });

  it("counts requests, predictions per class, rows per call and errors as they happen", async () => {
    const before = (await scrape()).text;
    const batch = [FLOWERS.setosa, FLOWERS.setosa, FLOWERS.virginica];
    await postJson(server.app, PATHS.predict, { features: FLOWERS.setosa });
    await postJson(server.app, PATHS.predict, { instances: batch });
    await postJson(server.app, "/v2/models/iris/infer", {
      inputs: [{ name: "x", shape: [1, 4], datatype: "FP32", data: FLOWERS.versicolor }],
    });
    await postJson(server.app, PATHS.predict, { features: [1, 2] });
    await postJson(server.app, PATHS.predict, "{nope");
    await server.app.request("/v2/models/rose");
    const { text: afterText, samples: after } = await scrape();
    const delta = (name: string, labels: Record<string, string>) =>
      countValue(afterText, name, labels) - countValue(before, name, labels);

    const route = { method: "POST", route: PATHS.predict };
    expect(delta(METRICS.httpRequests, { ...route, status: "200" })).toBe(2);
    expect(delta(METRICS.httpRequests, { ...route, status: "400" })).toBe(2);
    expect(delta(`${METRICS.httpRequestDuration}_count`, { ...route, status: "200" })).toBe(2);
    expect(delta(METRICS.httpRequests, { route: "/v2/models/:model_name/infer", status: "200" })).toBe(1);
    expect(delta(METRICS.predictions, { class: "setosa" })).toBe(3);
    expect(delta(METRICS.predictions, { class: "virginica" })).toBe(1);
    expect(delta(METRICS.predictions, { class: "versicolor" })).toBe(1);
    expect(delta(`${METRICS.inferenceBatchRows}_count`, {})).toBe(3);
    expect(delta(`${METRICS.inferenceBatchRows}_sum`, {})).toBe(5);
    expect(delta(`${METRICS.predictionDuration}_count`, {})).toBe(3);
    expect(delta(METRICS.errors, { type: ERROR_TYPES.invalidInput })).toBe(1);
    expect(delta(METRICS.errors, { type: ERROR_TYPES.invalidJson })).toBe(1);
    expect(delta(METRICS.errors, { type: ERROR_TYPES.modelNotFound })).toBe(1);
    expect(sampleValue(after, METRICS.inflightRequests)).toBe(0);
  });

  it("labels unknown paths with one bounded route value, never the raw URL", async () => {
    await server.app.request("/wp-admin/setup.php?x=1");
    await server.app.request("/some/other/random/path");
    const { samples } = await scrape();
    const routes = new Set(samples.filter((s) => s.name === METRICS.httpRequests).map((s) => s.labels.route));
    expect(routes.has("unmatched")).toBe(true);
    expect([...routes].some((r) => r?.includes("wp-admin") || r?.includes("random"))).toBe(false);
  });

  it("counts a request as in flight while the model is computing it", async () => {
    const { engine: slowEngine, entered, release } = gatedEngine();
    const slow = createTestServer(classifier, { engine: slowEngine });
    const pending = postJson(slow.app, PATHS.predict, { features: FLOWERS.setosa });
    await entered;
    expect(sampleValue((await scrape(slow.app)).samples, METRICS.inflightRequests)).toBe(1);
    release();
    expect((await pending).status).toBe(200);
    expect(sampleValue((await scrape(slow.app)).samples, METRICS.inflightRequests)).toBe(0);
  });

  const promtool = spawnSync("promtool", ["--version"]).status === 0;
  it.skipIf(!promtool && !process.env.INFER8S_REQUIRE_PROMETHEUS)(
    "passes promtool check metrics: it parses, and our own metrics raise no lint finding",
    async () => {
      await postJson(server.app, PATHS.predict, { features: FLOWERS.setosa });
      const { text } = await scrape();
      const result = spawnSync("promtool", ["check", "metrics"], { input: text, encoding: "utf8" });
      // Exit 1 means it did not parse; 3 means lint findings, which are allowed only for prom-client's
      // default metrics (e.g. its gauge nodejs_active_handles_total).
      expect([0, 3]).toContain(result.status);
      const findings = `${result.stdout}${result.stderr}`.split("\n").filter((l) => l.trim() !== "");
      expect(findings.filter((l) => !/^(nodejs|process)_/.test(l))).toEqual([]);
    },
  );
});

describe("request ids and logs", () => {
  it("echoes a client X-Request-Id and logs one line per request with it, never the body", async () => {
    const logs = createTestServer(classifier);
    const res = await postJson(
      logs.app,
      PATHS.predict,
      { features: [5.123456, 3.5, 1.4, 0.2] },
      {
        "x-request-id": "abc-123",
      },
    );
    expect(res.headers.get("x-request-id")).toBe("abc-123");
    const requestLines = logs.logs.filter((l) => l.msg === "request");
    expect(requestLines).toEqual([
      expect.objectContaining({
        level: "info",
        req_id: "abc-123",
        method: "POST",
        route: "/predict",
        path: "/predict",
        status: 200,
        duration_ms: expect.any(Number),
      }),
    ]);
    expect(JSON.stringify(logs.logs)).not.toContain("5.123456");
  });

  it("generates an id when the client sends none or an unsafe one", async () => {
    const generated = await server.app.request(PATHS.health);
    expect(generated.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
    const unsafe = await server.app.request(PATHS.health, {
      headers: { "x-request-id": "bad id\twith spaces" },
    });
    expect(unsafe.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("puts the request id on error responses too", async () => {
    const res = await server.app.request("/nope", { headers: { "x-request-id": "err-1" } });
    expect(res.status).toBe(404);
    expect(res.headers.get("x-request-id")).toBe("err-1");
  });

  it("sends no framework banner", async () => {
    const res = await server.app.request(PATHS.health);
    expect(res.headers.get("x-powered-by")).toBeNull();
    expect(res.headers.get("server")).toBeNull();
  });
});

describe("errors", () => {
  it("answers 404 as JSON for unknown paths", async () => {
    const res = await server.app.request("/predictions");
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: "no endpoint GET /predictions; GET / lists the endpoints" });
  });

  it.each([
    ["GET", PATHS.predict, "POST, OPTIONS"],
    ["PUT", PATHS.predict, "POST, OPTIONS"],
    ["DELETE", PATHS.metrics, "GET, HEAD, OPTIONS"],
    ["POST", PATHS.health, "GET, HEAD, OPTIONS"],
    ["POST", "/v2/models/iris", "GET, HEAD, OPTIONS"],
    ["PATCH", "/v2/models/iris/versions/1/infer", "POST, OPTIONS"],
  ])("answers 405 with Allow for %s %s", async (method, path, allow) => {
    const res = await server.app.request(path, { method });
    expect(res.status).toBe(405);
    expect(res.headers.get("allow")).toBe(allow);
    expect(await res.json()).toEqual({
      error: `method ${method} is not allowed on ${path}; allowed: ${allow}`,
    });
  });

  it("answers OPTIONS with 204 and Allow", async () => {
    const res = await server.app.request(PATHS.predict, { method: "OPTIONS" });
    expect(res.status).toBe(204);
    expect(res.headers.get("allow")).toBe("POST, OPTIONS");
  });

  it("answers HEAD on GET routes without a body", async () => {
    const res = await server.app.request(PATHS.health, { method: "HEAD" });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe("");
  });

  it("hides a server fault behind a bare 500, logs it with its stack and counts it", async () => {
    const broken: InferenceEngine = {
      featureCount: 4,
      classCount: 3,
      infer: () => Promise.reject(new Error("tensor exploded at /srv/secret/path")),
    };
    const faulty = createTestServer(classifier, { engine: broken });
    const res = await postJson(
      faulty.app,
      PATHS.predict,
      { features: FLOWERS.setosa },
      { "x-request-id": "boom" },
    );
    expect(res.status).toBe(500);
    const text = await res.text();
    expect(JSON.parse(text)).toEqual({ error: "internal server error" });
    expect(text).not.toContain("secret");
    const errorLine = faulty.logs.find((l) => l.msg === "unhandled error") as LogLine & {
      err: { stack: string };
    };
    expect(errorLine.req_id).toBe("boom");
    expect(errorLine.err.stack).toContain("tensor exploded");
    expect(faulty.logs.find((l) => l.msg === "request")?.level).toBe("error");
    const { samples } = await scrape(faulty.app);
    expect(sampleValue(samples, METRICS.errors, { type: ERROR_TYPES.internal })).toBe(1);
    expect(sampleValue(samples, METRICS.httpRequests, { route: PATHS.predict, status: "500" })).toBe(1);
  });

  it("sheds load with 503, Retry-After and a JSON reason when the inference queue is full", async () => {
    const tight = createTestServer(classifier, {
      config: { batching: { enabled: true, maxRowsPerCall: 64, maxDelayMs: 0, queueRows: 2 } },
    });
    const responses = await Promise.all(
      Array.from({ length: 5 }, () => postJson(tight.app, PATHS.predict, { features: FLOWERS.setosa })),
    );
    const statuses = responses.map((r) => r.status).sort();
    expect(statuses).toEqual([200, 200, 503, 503, 503]);
    const shed = responses.find((r) => r.status === 503) as Response;
    expect(shed.headers.get("retry-after")).toBe("1");
    expect(await shed.json()).toMatchObject({
      error: expect.stringContaining("overloaded"),
      retry_after_seconds: 1,
    });
    const { samples } = await scrape(tight.app);
    expect(sampleValue(samples, METRICS.errors, { type: ERROR_TYPES.overloaded })).toBe(3);
    // The queue drains at once: the next request is served.
    expect((await postJson(tight.app, PATHS.predict, { features: FLOWERS.setosa })).status).toBe(200);
  });

  it("answers 400 naming the row when the model cannot score it", async () => {
    const nanEngine: InferenceEngine = {
      featureCount: 4,
      classCount: 3,
      infer: async (_features, rows) => ({
        probabilities: new Float32Array(rows * 3).fill(Number.NaN),
        classIndices: new Int32Array(rows).fill(-1),
      }),
    };
    const nan = createTestServer(classifier, { engine: nanEngine });
    const res = await postJson(nan.app, PATHS.predict, { instances: [FLOWERS.setosa] });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toMatch(
      /^instances\[0\]: the model produced no finite/,
    );
  });
});

describe("API description", () => {
  it("publishes an OpenAPI 3 document generated from the validating schemas", async () => {
    const res = await server.app.request("/openapi.json");
    expect(res.status).toBe(200);
    const document = (await res.json()) as {
      openapi: string;
      info: { version: string };
      paths: Record<string, Record<string, unknown>>;
      components: { schemas: Record<string, unknown> };
    };
    expect(document.openapi).toMatch(/^3\./);
    expect(document.info.version).toBe("9.9.9-test");
    expect(Object.keys(document.paths)).toEqual(
      expect.arrayContaining([
        "/predict",
        "/health",
        "/ready",
        "/info",
        "/metrics",
        "/v1/models",
        "/v1/models/{model_name}",
        "/v1/models/{model_name}:predict",
        "/v2",
        "/v2/health/live",
        "/v2/health/ready",
        "/v2/models/{model_name}",
        "/v2/models/{model_name}/ready",
        "/v2/models/{model_name}/infer",
        "/v2/models/{model_name}/versions/{model_version}/infer",
      ]),
    );
    expect(document.paths["/predict"]?.post).toBeDefined();
    expect(document.components.schemas.NamedFeatures).toMatchObject({
      required: ["sepal_length", "sepal_width", "petal_length", "petal_width"],
      additionalProperties: false,
    });
    expect(document.components.schemas.FeatureVector).toMatchObject({ minItems: 4, maxItems: 4 });
  });

  it("serves Swagger UI at /docs from its own origin, under a CSP that allows only 'self'", async () => {
    const res = await server.app.request("/docs");
    expect(res.status).toBe(200);
    const csp = res.headers.get("content-security-policy") ?? "";
    expect(csp).toBe(DOCS_CSP);
    expect(csp).toContain("default-src 'self'");
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|https?:|\*/);
    const html = await res.text();
    expect(html).not.toMatch(/<script>|<style|\sstyle=|\son\w+=|https?:\/\//);
    const assets = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1] ?? "");
    expect(assets.sort()).toEqual([
      "/docs/favicon-32x32.png",
      "/docs/init.js",
      "/docs/swagger-ui-bundle.js",
      "/docs/swagger-ui.css",
    ]);
    for (const asset of assets) {
      const file = await server.app.request(asset);
      expect(file.status, asset).toBe(200);
      expect(file.headers.get("content-type"), asset).toMatch(/^(text\/(css|javascript)|image\/png)/);
      expect((await file.arrayBuffer()).byteLength, asset).toBeGreaterThan(100);
    }
    expect(await (await server.app.request("/docs/init.js")).text()).toContain('url: "/openapi.json"');
    const missing = await server.app.request("/docs/package.json");
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ error: "no file /docs/package.json; the docs are at /docs" });
  });

  it("lists every endpoint at /", async () => {
    const res = await server.app.request("/");
    const index = (await res.json()) as { endpoints: { method: string; path: string }[] };
    const listed = index.endpoints.map((e) => `${e.method} ${e.path}`);
    expect(listed).toEqual(
      expect.arrayContaining([
        "POST /predict",
        "GET /health",
        "GET /ready",
        "GET /info",
        "GET /metrics",
        "GET /openapi.json",
        "GET /docs",
        "POST /v1/models/{model_name}:predict",
        "POST /v2/models/{model_name}/infer",
      ]),
    );
  });
});

describe("requests in flight, as shutdown sees them", () => {
  it("holds lifecycle.idle() until every request is answered and its line logged", async () => {
    const { engine: slowEngine, entered, release } = gatedEngine();
    const slow = createTestServer(classifier, { engine: slowEngine });
    const predictLines = () => slow.logs.filter((l) => l.msg === "request" && l.path === PATHS.predict);
    const pending = postJson(slow.app, PATHS.predict, { features: FLOWERS.setosa });
    await entered;
    expect(slow.lifecycle.requestsInFlight).toBe(1);
    let linesWhenIdle = -1;
    const idle = slow.lifecycle.idle().then(() => (linesWhenIdle = predictLines().length));
    await new Promise((resolve) => setImmediate(resolve));
    expect(linesWhenIdle).toBe(-1);

    release();
    await idle;
    expect(linesWhenIdle).toBe(1);
    expect(slow.lifecycle.requestsInFlight).toBe(0);
    expect((await pending).status).toBe(200);
  });

  it("resolves lifecycle.idle() at once when nothing is in flight", async () => {
    const lifecycle = new Lifecycle();
    let idle = false;
    void lifecycle.idle().then(() => (idle = true));
    await Promise.resolve();
    expect(idle).toBe(true);
  });
});

/**
 * An engine that holds every call until `release()`: `entered` resolves once a call is inside, so a test can
 * look at the server while a request is being computed.
 */
function gatedEngine(): { engine: InferenceEngine; entered: Promise<void>; release: () => void } {
  let release: () => void = () => {};
  const gate = new Promise<void>((resolve) => (release = resolve));
  let resolveEntered: () => void = () => {};
  const entered = new Promise<void>((resolve) => (resolveEntered = resolve));
  const engine: InferenceEngine = {
    featureCount: 4,
    classCount: 3,
    async infer(_features, rows) {
      resolveEntered();
      await gate;
      return { probabilities: new Float32Array(rows * 3).fill(1 / 3), classIndices: new Int32Array(rows) };
    },
  };
  return { engine, entered, release };
}
