import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { METRICS } from "../src/contract/index.js";
import type { Classifier } from "../src/model/load-model.js";
import {
  FLOWERS,
  type TestServer,
  createTestServer,
  loadCommittedModel,
  parseExposition,
  postJson,
} from "./server-fixtures.js";

let classifier: Classifier;
let server: TestServer;
beforeAll(async () => {
  classifier = await loadCommittedModel();
  server = createTestServer(classifier);
});
afterAll(() => classifier.dispose());

const named = (row: readonly number[]) => ({
  sepal_length: row[0],
  sepal_width: row[1],
  petal_length: row[2],
  petal_width: row[3],
});

/** What the model itself says about `row`, bypassing HTTP. */
function reference(row: readonly number[]) {
  const p = Array.from(classifier.predict(Float32Array.from(row), 1));
  const k = p.indexOf(Math.max(...p));
  return { k, p };
}

async function predict(body: unknown, headers?: Record<string, string>) {
  const res = await postJson(server.app, "/predict", body, headers);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> & { error?: string } };
}

describe("POST /predict", () => {
  it("answers one row given as a feature list with class, probabilities, confidence, model and timing", async () => {
    const { status, body } = await predict({ features: FLOWERS.setosa });
    const { k, p } = reference(FLOWERS.setosa);
    expect(status).toBe(200);
    expect(body).toEqual({
      prediction: k,
      class: "setosa",
      probabilities: { setosa: p[0], versicolor: p[1], virginica: p[2] },
      confidence: p[k],
      model: { name: "iris", version: classifier.metadata.version },
      processing_time_ms: expect.any(Number),
    });
    expect(body.processing_time_ms).toBeGreaterThanOrEqual(0);
  });

  it.each(Object.entries(FLOWERS))("gives the same answer for %s in all three forms", async (_name, row) => {
    const list = await predict({ features: row });
    const byName = await predict(named(row));
    const batch = await predict({ instances: [row, named(row)] });
    const { k, p } = reference(row);
    const strip = ({ processing_time_ms: _t, ...rest }: Record<string, unknown>) => rest;
    expect(list.status).toBe(200);
    expect(list.body.prediction).toBe(k);
    expect(list.body.probabilities).toEqual({ setosa: p[0], versicolor: p[1], virginica: p[2] });
    expect(strip(byName.body)).toEqual(strip(list.body));
    const predictions = batch.body.predictions as Record<string, unknown>[];
    expect(predictions).toHaveLength(2);
    for (const item of predictions) {
      expect(item.prediction).toBe(k);
      expect(item.class).toBe(list.body.class);
      const probabilities = item.probabilities as Record<string, number>;
      for (const [name, value] of Object.entries(list.body.probabilities as Record<string, number>)) {
        expect(probabilities[name]).toBeCloseTo(value, 6);
      }
    }
  });

  it("answers a batch in request order, one full prediction object per row", async () => {
    const rows = [FLOWERS.virginica, FLOWERS.setosa, FLOWERS.versicolor, FLOWERS.setosa];
    const { status, body } = await predict({ instances: rows });
    expect(status).toBe(200);
    const predictions = body.predictions as { class: string; model: unknown; processing_time_ms: number }[];
    expect(predictions.map((x) => x.class)).toEqual(["virginica", "setosa", "versicolor", "setosa"]);
    for (const item of predictions) {
      expect(item.model).toEqual({ name: "iris", version: classifier.metadata.version });
      expect(typeof item.processing_time_ms).toBe("number");
    }
  });

  it("classifies the holdout-style rows of each species correctly", async () => {
    const { body } = await predict({ instances: [FLOWERS.setosa, FLOWERS.versicolor, FLOWERS.virginica] });
    expect((body.predictions as { prediction: number }[]).map((x) => x.prediction)).toEqual([0, 1, 2]);
  });

  it("accepts a batch as large as MAX_ROWS_PER_REQUEST", async () => {
    const small = createTestServer(classifier, { config: { maxRowsPerRequest: 3 } });
    const res = await postJson(small.app, "/predict", {
      instances: [FLOWERS.setosa, FLOWERS.setosa, FLOWERS.setosa],
    });
    expect(res.status).toBe(200);
  });

  it("accepts application/json with any charset parameter, however spelled", async () => {
    for (const type of [
      "application/json; charset=utf-8",
      "Application/JSON;charset=UTF-8",
      'application/json; charset="utf-8"',
      "application/json ; charset=utf-8",
      "application/json;",
    ]) {
      const res = await postJson(
        server.app,
        "/predict",
        { features: FLOWERS.setosa },
        { "content-type": type },
      );
      expect(res.status, type).toBe(200);
      expect(await res.json(), type).toMatchObject({ class: "setosa" });
    }
  });

  it("reads a JSON body sent without a Content-Type, as text/plain or form-urlencoded (curl -d) as JSON", async () => {
    const json = JSON.stringify({ features: FLOWERS.virginica });
    const requests: [string, RequestInit][] = [
      // Bytes, not a string: a string body would get text/plain from the Request constructor.
      ["no Content-Type", { body: new TextEncoder().encode(json) }],
      ["text/plain", { body: json, headers: { "content-type": "text/plain;charset=UTF-8" } }],
      ["curl -d", { body: json, headers: { "content-type": "application/x-www-form-urlencoded" } }],
    ];
    for (const [what, init] of requests) {
      const res = await server.app.request("/predict", { method: "POST", ...init });
      expect(res.status, what).toBe(200);
      expect(await res.json(), what).toMatchObject({ class: "virginica" });
    }
  });
});

describe("cross-origin requests (why reading unlabelled JSON is safe; see README, Content types)", () => {
  const origin = "https://elsewhere.example";

  it("approves no CORS preflight, so a browser never sends a cross-origin JSON or key-carrying request", async () => {
    const res = await server.app.request("/predict", {
      method: "OPTIONS",
      headers: {
        origin,
        "access-control-request-method": "POST",
        "access-control-request-headers": "content-type, authorization, x-api-key",
      },
    });
    expect(res.status).toBe(204);
    expect([...res.headers.keys()].filter((name) => name.startsWith("access-control-"))).toEqual([]);
  });

  it("answers a simple cross-origin POST without Access-Control-Allow-Origin, so the page cannot read it", async () => {
    const res = await server.app.request("/predict", {
      method: "POST",
      headers: { origin, "content-type": "text/plain" },
      body: JSON.stringify({ features: FLOWERS.setosa }),
    });
    expect(res.status).toBe(200);
    expect([...res.headers.keys()].filter((name) => name.startsWith("access-control-"))).toEqual([]);
  });
});

describe("POST /predict with bad input", () => {
  it.each<[string, unknown, string, string]>([
    ["too few features", { features: [5.1, 3.5, 1.4] }, "features", "must have exactly 4 values, got 3"],
    [
      "too many features",
      { features: [5.1, 3.5, 1.4, 0.2, 9] },
      "features",
      "must have exactly 4 values, got 5",
    ],
    [
      "a string feature",
      { features: [5.1, "3.5", 1.4, 0.2] },
      "features[1]",
      'must be a number, got a string ("3.5")',
    ],
    ["a null feature", { features: [5.1, null, 1.4, 0.2] }, "features[1]", "must be a number, got null"],
    ["a boolean feature", { features: [true, 3.5, 1.4, 0.2] }, "features[0]", "must be a number, got true"],
    [
      '"NaN" as a string',
      { features: [5.1, 3.5, "NaN", 0.2] },
      "features[2]",
      'must be a number, got a string ("NaN")',
    ],
    [
      "features that is not a list",
      { features: "5.1,3.5,1.4,0.2" },
      "features",
      'must be a list, got a string ("5.1,3.5,1.4,0.2")',
    ],
    [
      "a missing named field",
      { sepal_length: 5.1, sepal_width: 3.5, petal_length: 1.4 },
      "petal_width",
      "is required",
    ],
    [
      "a non-numeric named field",
      { ...named(FLOWERS.setosa), petal_width: "wide" },
      "petal_width",
      'must be a number, got a string ("wide")',
    ],
    ["an unknown named field", { ...named(FLOWERS.setosa), color: "blue" }, "", 'unknown field "color"'],
    ["an empty batch", { instances: [] }, "instances", "must not be empty"],
    ["instances that is not a list", { instances: { a: 1 } }, "instances", "must be a list, got an object"],
    [
      "a short row in a batch",
      { instances: [FLOWERS.setosa, [1, 2, 3]] },
      "instances[1]",
      "must have exactly 4 values, got 3",
    ],
    [
      "a bad value in a batch row",
      { instances: [FLOWERS.setosa, [1, 2, "x", 4]] },
      "instances[1][2]",
      'must be a number, got a string ("x")',
    ],
    [
      "a named row missing a field",
      { instances: [named(FLOWERS.setosa), { sepal_length: 1, sepal_width: 2, petal_length: 3 }] },
      "instances[1].petal_width",
      "is required",
    ],
    [
      "a named row with an unknown field",
      { instances: [{ ...named(FLOWERS.setosa), stem: 1 }] },
      "instances[0]",
      'unknown field "stem"',
    ],
    [
      "a row that is neither list nor object",
      { instances: ["5.1,3.5,1.4,0.2"] },
      "instances[0]",
      "each row must be a list of 4 numbers or an object with sepal_length, sepal_width, petal_length, petal_width",
    ],
    [
      "a value beyond float32",
      { features: [5.1, 3.5, 1.4, 1e39] },
      "features[3]",
      "must be at most 3.4028234663852886e+38, got 1e+39",
    ],
  ])("answers 400 naming the field for %s", async (_case, body, path, message) => {
    const res = await predict(body);
    expect(res.status).toBe(400);
    expect(res.body.issues).toContainEqual({ path, message });
    expect(res.body.error).toContain(path === "" ? message : `${path}: ${message}`);
  });

  it("answers 400 for Infinity (a JSON number too large for a double)", async () => {
    const res = await predict('{"features": [5.1, 3.5, 1.4, 1e999]}');
    expect(res.status).toBe(400);
    expect(res.body.issues).toEqual([
      { path: "features[3]", message: "must be a finite number, got Infinity" },
    ]);
  });

  it("answers 400 listing the accepted forms when the body matches none", async () => {
    for (const body of [{}, { feature: [1, 2, 3, 4] }, [5.1, 3.5, 1.4, 0.2], 42, null]) {
      const res = await predict(body);
      expect(res.status).toBe(400);
      expect(res.body.error).toBe(
        'invalid request: expected {"features": [4 numbers]}, {"sepal_length": …, "sepal_width": …, "petal_length": …, "petal_width": …} or {"instances": [rows]}',
      );
    }
  });

  it("reports every bad row of a batch, not just the first", async () => {
    const res = await predict({
      instances: [[1, 2, 3], FLOWERS.setosa, { sepal_length: 1 }, [1, 2, 3, "x"]],
    });
    expect(res.status).toBe(400);
    const paths = (res.body.issues as { path: string }[]).map((i) => i.path);
    expect(paths).toEqual([
      "instances[0]",
      "instances[2].sepal_width",
      "instances[2].petal_length",
      "instances[2].petal_width",
      "instances[3][3]",
    ]);
    expect(res.body.error).toMatch(/\(and 2 more problems\)$/);
  });

  it("answers 400 when the body is not JSON", async () => {
    for (const body of ["{bad json", "", '{"features": [1,2,3,4]'] as const) {
      const res = await predict(body);
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ error: "request body is not valid JSON" });
    }
  });

  it("answers 415 naming the fix for a content type it does not read as JSON", async () => {
    for (const type of ["text/xml", "multipart/form-data; boundary=x", "application/octet-stream"]) {
      const res = await postJson(
        server.app,
        "/predict",
        { features: FLOWERS.setosa },
        { "content-type": type },
      );
      expect(res.status, type).toBe(415);
      expect(await res.json(), type).toEqual({
        error: `Content-Type ${JSON.stringify(type)} is not supported here; send the JSON body with Content-Type: application/json`,
      });
    }
  });

  it("answers 400 for a form or text body that is not JSON", async () => {
    for (const type of ["application/x-www-form-urlencoded", "text/plain"]) {
      const res = await postJson(server.app, "/predict", "features=5.1,3.5,1.4,0.2", {
        "content-type": type,
      });
      expect(res.status, type).toBe(400);
      expect(await res.json(), type).toEqual({ error: "request body is not valid JSON" });
    }
  });

  it("answers 413 with the limit when there are more rows than MAX_ROWS_PER_REQUEST", async () => {
    const small = createTestServer(classifier, { config: { maxRowsPerRequest: 3 } });
    const res = await postJson(small.app, "/predict", {
      instances: Array.from({ length: 4 }, () => FLOWERS.setosa),
    });
    expect(res.status).toBe(413);
    expect(await res.json()).toEqual({
      error: "instances: 4 rows exceed the limit of 3 rows per request; split the batch",
      limit: 3,
    });
  });

  it("answers 413 from Content-Length alone when the body is over BODY_LIMIT_BYTES", async () => {
    const small = createTestServer(classifier, { config: { bodyLimitBytes: 1024 } });
    const body = JSON.stringify({ instances: Array.from({ length: 100 }, () => FLOWERS.setosa) });
    const res = await postJson(small.app, "/predict", body, { "content-length": String(body.length) });
    expect(res.status).toBe(413);
    expect(await res.json()).toEqual({
      error: "request body exceeds the limit of 1024 bytes; send fewer rows per request",
      limit: 1024,
    });
  });

  it("cuts a streamed (chunked) body off as soon as it passes the limit, without reading the rest", async () => {
    const small = createTestServer(classifier, { config: { bodyLimitBytes: 1024 } });
    const chunk = new TextEncoder().encode(" ".repeat(256));
    let pulled = 0;
    const endless = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled++;
        controller.enqueue(chunk);
      },
    });
    const res = await small.app.request("/predict", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: endless,
      duplex: "half",
    } as RequestInit);
    expect(res.status).toBe(413);
    expect(pulled * chunk.length).toBeLessThan(1024 + 4 * chunk.length);
  });

  it("does not count a failed request as a prediction", async () => {
    const counts = async () =>
      parseExposition(await (await server.app.request("/metrics")).text())
        .filter((s) => s.name === METRICS.predictions)
        .map((s) => [s.labels.class, s.value]);
    const before = await counts();
    // One series per class, so a renamed or missing metric cannot pass as "unchanged".
    expect(before.map(([name]) => name)).toEqual(["setosa", "versicolor", "virginica"]);
    await predict({ features: [1, 2, 3] });
    expect(await counts()).toEqual(before);
  });
});
