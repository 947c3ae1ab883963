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
  sampleValue,
} from "./server-fixtures.js";

let classifier: Classifier;
let server: TestServer;
let version: string;
beforeAll(async () => {
  classifier = await loadCommittedModel();
  server = createTestServer(classifier);
  version = classifier.metadata.version;
});
afterAll(() => classifier.dispose());

const ROWS = [FLOWERS.setosa, FLOWERS.versicolor, FLOWERS.virginica, FLOWERS.borderline];

async function getJson(path: string) {
  const res = await server.app.request(path);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

async function post(path: string, body: unknown) {
  const res = await postJson(server.app, path, body);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

function v2Request(data: unknown, extra: Record<string, unknown> = {}, input: Record<string, unknown> = {}) {
  return {
    inputs: [{ name: "input-0", shape: [ROWS.length, 4], datatype: "FP32", data, ...input }],
    ...extra,
  };
}

describe("KServe V1", () => {
  it("lists the served model", async () => {
    expect(await getJson("/v1/models")).toEqual({ status: 200, body: { models: ["iris"] } });
  });

  it("reports the model ready", async () => {
    expect(await getJson("/v1/models/iris")).toEqual({ status: 200, body: { name: "iris", ready: true } });
  });

  it("answers class indices for instances, in order, like KServe's scikit-learn runtime", async () => {
    const res = await post("/v1/models/iris:predict", { instances: ROWS });
    expect(res).toEqual({ status: 200, body: { predictions: [0, 1, 2, expect.any(Number)] } });
  });

  it("accepts named rows and ignores extra top-level fields", async () => {
    const res = await post("/v1/models/iris:predict", {
      signature_name: "serving_default",
      instances: [{ sepal_length: 5.1, sepal_width: 3.5, petal_length: 1.4, petal_width: 0.2 }],
    });
    expect(res).toEqual({ status: 200, body: { predictions: [0] } });
  });

  it("answers 404 for an unknown model, before looking at the body", async () => {
    expect(await getJson("/v1/models/rose")).toEqual({
      status: 404,
      body: { error: 'model "rose" is not served here; the served model is "iris"' },
    });
    const res = await post("/v1/models/rose:predict", { instances: "not even rows" });
    expect(res.status).toBe(404);
    expect(res.body.error).toBe('model "rose" is not served here; the served model is "iris"');
  });

  it("answers 400 naming the row for bad instances and 413 past MAX_ROWS_PER_REQUEST", async () => {
    const bad = await post("/v1/models/iris:predict", { instances: [FLOWERS.setosa, [1, 2]] });
    expect(bad.status).toBe(400);
    expect(bad.body.issues).toEqual([{ path: "instances[1]", message: "must have exactly 4 values, got 2" }]);
    const missing = await post("/v1/models/iris:predict", { rows: [FLOWERS.setosa] });
    expect(missing.status).toBe(400);
    expect(missing.body.issues).toEqual([
      { path: "instances", message: 'is required (or send the rows as "inputs")' },
    ]);
    const small = createTestServer(classifier, { config: { maxRowsPerRequest: 2 } });
    for (const field of ["instances", "inputs"]) {
      const tooMany = await postJson(small.app, "/v1/models/iris:predict", { [field]: ROWS });
      expect(tooMany.status, field).toBe(413);
      expect(await tooMany.json(), field).toMatchObject({
        error: expect.stringMatching(`^${field}: 4 rows`),
      });
    }
  });

  it("takes the rows under inputs exactly as under instances, as KServe's V1 server does", async () => {
    const named = { sepal_length: 5.1, sepal_width: 3.5, petal_length: 1.4, petal_width: 0.2 };
    for (const rows of [ROWS, [named, FLOWERS.virginica]]) {
      const viaInstances = await post("/v1/models/iris:predict", { instances: rows });
      const viaInputs = await post("/v1/models/iris:predict", { inputs: rows, signature_name: "x" });
      expect(viaInstances.status).toBe(200);
      expect(viaInputs).toEqual(viaInstances);
    }
    const bad = await post("/v1/models/iris:predict", { inputs: [FLOWERS.setosa, [1, 2]] });
    expect(bad.status).toBe(400);
    expect(bad.body.issues).toEqual([{ path: "inputs[1]", message: "must have exactly 4 values, got 2" }]);
  });

  it("answers 400 when both instances and inputs are given, rather than pick one", async () => {
    const res = await post("/v1/models/iris:predict", { instances: ROWS, inputs: [FLOWERS.setosa] });
    expect(res).toEqual({
      status: 400,
      body: {
        error: 'invalid request: send the rows as "instances" or as "inputs", not both',
        issues: [{ path: "", message: 'send the rows as "instances" or as "inputs", not both' }],
      },
    });
  });

  it("answers 405 with Allow when the verb path gets GET or the model path gets POST", async () => {
    const get = await server.app.request("/v1/models/iris:predict");
    expect(get.status).toBe(405);
    expect(get.headers.get("allow")).toBe("POST, OPTIONS");
    const postModel = await postJson(server.app, "/v1/models/iris", {});
    expect(postModel.status).toBe(405);
    expect(postModel.headers.get("allow")).toBe("GET, HEAD, OPTIONS");
  });

  it("answers 404 for verbs it does not implement", async () => {
    const res = await post("/v1/models/iris:explain", { instances: ROWS });
    expect(res.status).toBe(404);
    expect(res.body.error).toContain('":explain"');
  });

  it("answers OPTIONS per resource", async () => {
    const allowed: [string, string][] = [
      ["/v1/models/iris", "GET, HEAD, OPTIONS"],
      ["/v1/models/iris:predict", "POST, OPTIONS"],
    ];
    for (const [path, allow] of allowed) {
      const res = await server.app.request(path, { method: "OPTIONS" });
      expect(res.status, path).toBe(204);
      expect(res.headers.get("allow"), path).toBe(allow);
    }
  });

  it("names each resource in metrics and logs without regexes, and unknown verbs as unmatched", async () => {
    const fresh = createTestServer(classifier);
    await postJson(fresh.app, "/v1/models/iris:predict", { instances: ROWS });
    await fresh.app.request("/v1/models/iris");
    await fresh.app.request("/v1/models/iris:predict");
    await postJson(fresh.app, "/v1/models/iris:explain", { instances: ROWS });
    const samples = parseExposition(await fresh.metrics.exposition());
    const count = (route: string, method: string, status: string) =>
      sampleValue(samples, METRICS.httpRequests, { route, method, status });
    expect(count("/v1/models/:model_name:predict", "POST", "200")).toBe(1);
    expect(count("/v1/models/:model_name", "GET", "200")).toBe(1);
    expect(count("/v1/models/:model_name:predict", "GET", "405")).toBe(1);
    expect(count("unmatched", "POST", "404")).toBe(1);
    expect(fresh.logs.filter((l) => l.msg === "request").map((l) => l.route)).toEqual([
      "/v1/models/:model_name:predict",
      "/v1/models/:model_name",
      "/v1/models/:model_name:predict",
      "unmatched",
    ]);
  });
});

describe("routing", () => {
  it("keeps Hono on its RegExpRouter (a route pattern it cannot hold drops every request to the slower TrieRouter)", async () => {
    const fresh = createTestServer(classifier);
    await fresh.app.request("/health");
    expect((fresh.app.router as { name?: string }).name).toBe("SmartRouter + RegExpRouter");
  });
});

describe("Open Inference Protocol (KServe V2)", () => {
  it("describes the server, with the binary tensor data extension, at /v2 and /v2/ alike", async () => {
    const expected = {
      status: 200,
      body: { name: "infer8s", version: "9.9.9-test", extensions: ["binary_tensor_data"] },
    };
    expect(await getJson("/v2")).toEqual(expected);
    expect(await getJson("/v2/")).toEqual(expected);
  });

  it("reports live and ready", async () => {
    expect(await getJson("/v2/health/live")).toEqual({ status: 200, body: { live: true } });
    expect(await getJson("/v2/health/ready")).toEqual({ status: 200, body: { ready: true } });
    expect(await getJson("/v2/models/iris/ready")).toEqual({
      status: 200,
      body: { name: "iris", ready: true },
    });
    expect(await getJson(`/v2/models/iris/versions/${version}/ready`)).toEqual({
      status: 200,
      body: { name: "iris", ready: true },
    });
  });

  it("publishes model metadata: versions, platform, input and output tensors", async () => {
    const expected = {
      name: "iris",
      versions: [version],
      // No platform name of the protocol's list fits a TF.js model; KServe's runtimes answer "" too.
      platform: "",
      inputs: [{ name: "input-0", datatype: "FP32", shape: [-1, 4] }],
      outputs: [
        { name: "class_index", datatype: "INT64", shape: [-1] },
        { name: "class_name", datatype: "BYTES", shape: [-1] },
        { name: "probabilities", datatype: "FP32", shape: [-1, 3] },
      ],
    };
    expect(await getJson("/v2/models/iris")).toEqual({ status: 200, body: expected });
    expect(await getJson(`/v2/models/iris/versions/${version}`)).toEqual({ status: 200, body: expected });
  });

  it("infers a flat FP32 batch: every output with its shape and datatype, the id echoed", async () => {
    const res = await post("/v2/models/iris/infer", v2Request(ROWS.flat(), { id: "req-42" }));
    expect(res.status).toBe(200);
    const expected = Array.from(classifier.predict(Float32Array.from(ROWS.flat()), ROWS.length));
    expect(res.body).toEqual({
      model_name: "iris",
      model_version: version,
      id: "req-42",
      outputs: [
        { name: "class_index", datatype: "INT64", shape: [4], data: [0, 1, 2, expect.any(Number)] },
        {
          name: "class_name",
          datatype: "BYTES",
          shape: [4],
          data: ["setosa", "versicolor", "virginica", expect.any(String)],
        },
        { name: "probabilities", datatype: "FP32", shape: [4, 3], data: expect.any(Array) },
      ],
    });
    const probabilities = (res.body.outputs as { data: number[] }[])[2]?.data ?? [];
    expect(probabilities).toHaveLength(12);
    probabilities.forEach((p, i) => expect(p).toBeCloseTo(expected[i] as number, 6));
  });

  it("uses the request id as the response id when the request has none", async () => {
    const res = await server.app.request("/v2/models/iris/infer", {
      method: "POST",
      headers: { "content-type": "application/json", "x-request-id": "trace-7" },
      body: JSON.stringify(v2Request(ROWS.flat())),
    });
    expect(((await res.json()) as { id: string }).id).toBe("trace-7");
  });

  it("accepts nested data, FP64 and integer datatypes, and the versioned path", async () => {
    const flat = await post("/v2/models/iris/infer", v2Request(ROWS.flat()));
    const nested = await post(`/v2/models/iris/versions/${version}/infer`, v2Request(ROWS));
    const fp64 = await post("/v2/models/iris/infer", v2Request(ROWS, {}, { datatype: "FP64" }));
    expect(nested.status).toBe(200);
    expect(nested.body.outputs).toEqual(flat.body.outputs);
    expect(fp64.body.outputs).toEqual(flat.body.outputs);
    const ints = await post(
      "/v2/models/iris/infer",
      v2Request(
        [
          [5, 3, 1, 0],
          [7, 3, 6, 2],
        ],
        {},
        { datatype: "INT32", shape: [2, 4] },
      ),
    );
    expect(ints.status).toBe(200);
    expect((ints.body.outputs as { data: unknown[] }[])[1]?.data).toEqual(["setosa", "virginica"]);
  });

  it("answers only the requested outputs, in the requested order", async () => {
    const res = await post(
      "/v2/models/iris/infer",
      v2Request(ROWS.flat(), { outputs: [{ name: "probabilities" }, { name: "class_index" }] }),
    );
    expect((res.body.outputs as { name: string }[]).map((o) => o.name)).toEqual([
      "probabilities",
      "class_index",
    ]);
  });

  it("answers output-0, the name of KServe's scikit-learn runtime, as the class index under that name", async () => {
    const res = await post(
      "/v2/models/iris/infer",
      v2Request(ROWS.flat(), { outputs: [{ name: "output-0" }, { name: "class_index" }] }),
    );
    expect(res.status).toBe(200);
    const [alias, classIndex] = res.body.outputs as Record<string, unknown>[];
    expect(alias).toEqual({ ...classIndex, name: "output-0" });
    expect(alias).toMatchObject({ datatype: "INT64", shape: [4], data: [0, 1, 2, expect.any(Number)] });
  });

  it("never returns output-0 unasked, nor lists it in model metadata", async () => {
    const res = await post("/v2/models/iris/infer", v2Request(ROWS.flat()));
    expect((res.body.outputs as { name: string }[]).map((o) => o.name)).not.toContain("output-0");
    const metadata = await getJson("/v2/models/iris");
    expect((metadata.body.outputs as { name: string }[]).map((o) => o.name)).not.toContain("output-0");
  });

  it.each<[string, unknown, string, string]>([
    [
      "an unsupported datatype",
      v2Request(ROWS.flat(), {}, { datatype: "BOOL" }),
      "inputs[0].datatype",
      '"BOOL" is not accepted; use one of FP32, FP64, INT8, INT16, INT32, INT64, UINT8, UINT16, UINT32, UINT64',
    ],
    [
      "a wrong feature dimension",
      v2Request([1, 2, 3], {}, { shape: [1, 3] }),
      "inputs[0].shape",
      "must be [N, 4] (N rows of 4 features), got [1, 3]",
    ],
    [
      "a one-dimensional shape",
      v2Request([1, 2, 3, 4], {}, { shape: [4] }),
      "inputs[0].shape",
      "must be [N, 4] (N rows of 4 features), got [4]",
    ],
    [
      "zero rows",
      v2Request([], {}, { shape: [0, 4] }),
      "inputs[0].shape",
      "must have at least one row, got [0, 4]",
    ],
    [
      "too few values for the shape",
      v2Request(ROWS.flat().slice(1)),
      "inputs[0].data",
      "shape [4, 4] needs 16 values (flat) or 4 lists of 4 (nested), got 15 items",
    ],
    [
      "a short nested row",
      v2Request([...ROWS.slice(0, 3), [1, 2, 3]]),
      "inputs[0].data[3]",
      "must have 4 values, got 3",
    ],
    [
      "a string value",
      v2Request(["5.1", ...ROWS.flat().slice(1)]),
      "inputs[0].data[0]",
      'must be a finite number, got a string ("5.1")',
    ],
    [
      "a nested null",
      v2Request([[null, 1, 2, 3], ...ROWS.slice(1)]),
      "inputs[0].data[0][0]",
      "must be a finite number, got null",
    ],
    [
      "a fraction in an INT32 tensor",
      v2Request(ROWS, {}, { datatype: "INT32" }),
      "inputs[0].data[0][0]",
      "INT32 values must be integers from -2147483648 to 2147483647, got 5.1",
    ],
    [
      "a negative UINT8",
      v2Request([[-1, 1, 1, 1]], {}, { datatype: "UINT8", shape: [1, 4] }),
      "inputs[0].data[0][0]",
      "UINT8 values must be integers from 0 to 255, got -1",
    ],
    [
      "an unknown output",
      v2Request(ROWS.flat(), { outputs: [{ name: "logits" }] }),
      "outputs[0].name",
      'unknown output "logits"; this model produces class_index, class_name, probabilities (and output-0, another name for class_index)',
    ],
    [
      "a repeated output",
      v2Request(ROWS.flat(), { outputs: [{ name: "class_name" }, { name: "class_name" }] }),
      "outputs[1].name",
      '"class_name" is requested twice',
    ],
    [
      "two inputs",
      { inputs: [v2Request(ROWS.flat()).inputs[0], v2Request(ROWS.flat()).inputs[0]] },
      "inputs",
      "the model takes exactly one input tensor of shape [N, 4], got 2",
    ],
    [
      "no inputs",
      { inputs: [] },
      "inputs",
      "the model takes exactly one input tensor of shape [N, 4], got 0",
    ],
    ["a missing inputs field", { id: "1" }, "inputs", "is required"],
    [
      "a negative dimension",
      v2Request(ROWS.flat(), {}, { shape: [-1, 4] }),
      "inputs[0].shape[0]",
      "must be at least 0, got -1",
    ],
    ["a non-string id", v2Request(ROWS.flat(), { id: 42 }), "id", "must be a string, got number"],
    [
      "a binary_data_output that is not a boolean",
      v2Request(ROWS.flat(), { parameters: { binary_data_output: "yes" } }),
      "parameters.binary_data_output",
      'must be true or false, got a string ("yes")',
    ],
    [
      "an output's binary_data that is not a boolean",
      v2Request(ROWS.flat(), { outputs: [{ name: "class_name", parameters: { binary_data: 1 } }] }),
      "outputs[0].parameters.binary_data",
      "must be true or false, got number",
    ],
  ])("answers 400 naming the field for %s", async (_case, body, path, message) => {
    const res = await post("/v2/models/iris/infer", body);
    expect(res.status).toBe(400);
    expect(res.body.issues).toContainEqual({ path, message });
    expect(res.body.error).toContain(`${path}: ${message}`);
  });

  it("answers 413 when the shape asks for more rows than MAX_ROWS_PER_REQUEST", async () => {
    const small = createTestServer(classifier, { config: { maxRowsPerRequest: 2 } });
    const res = await postJson(small.app, "/v2/models/iris/infer", v2Request(ROWS.flat()));
    expect(res.status).toBe(413);
    expect(await res.json()).toEqual({
      error: "inputs[0].shape: 4 rows exceed the limit of 2 rows per request; split the batch",
      limit: 2,
    });
  });

  it("answers 404 with an error body for unknown models and versions", async () => {
    for (const path of ["/v2/models/rose", "/v2/models/rose/ready", "/v2/models/iris/versions/0/ready"]) {
      const res = await getJson(path);
      expect(res.status).toBe(404);
      expect(res.body.error).toEqual(expect.any(String));
    }
    const infer = await post("/v2/models/rose/infer", v2Request(ROWS.flat()));
    expect(infer).toEqual({
      status: 404,
      body: { error: 'model "rose" is not served here; the served model is "iris"' },
    });
    const version0 = await post("/v2/models/iris/versions/0/infer", v2Request(ROWS.flat()));
    expect(version0).toEqual({
      status: 404,
      body: { error: `model "iris" has no version "0"; the served version is "${version}"` },
    });
  });

  it("answers 405 for GET on infer", async () => {
    const res = await server.app.request("/v2/models/iris/infer");
    expect(res.status).toBe(405);
    expect(res.headers.get("allow")).toBe("POST, OPTIONS");
  });
});

describe("all protocols agree", () => {
  it("gives the same class and probabilities for the same rows through /predict, V1 and V2", async () => {
    const predict = await post("/predict", { instances: ROWS });
    const v1 = await post("/v1/models/iris:predict", { instances: ROWS });
    const v2 = await post("/v2/models/iris/infer", v2Request(ROWS));
    const predictions = predict.body.predictions as {
      prediction: number;
      probabilities: Record<string, number>;
    }[];
    const [v2Classes, , v2Probabilities] = v2.body.outputs as { data: number[] }[];
    expect(v1.body.predictions).toEqual(predictions.map((p) => p.prediction));
    expect(v2Classes?.data).toEqual(predictions.map((p) => p.prediction));
    expect(v2Probabilities?.data).toEqual(predictions.flatMap((p) => Object.values(p.probabilities)));
    for (const [i, row] of ROWS.entries()) {
      const single = await post("/predict", { features: row });
      expect(single.body.prediction).toBe(predictions[i]?.prediction);
    }
  });
});

describe("content types real clients send", () => {
  const requests: readonly (readonly [path: string, json: string])[] = [
    ["/v1/models/iris:predict", JSON.stringify({ instances: ROWS })],
    ["/v1/models/iris:predict", JSON.stringify({ inputs: ROWS })],
    ["/v2/models/iris/infer", JSON.stringify(v2Request(ROWS))],
  ];

  it("answers KServe's documented `curl -d @input.json` (form-urlencoded) and tritonclient's unlabelled JSON", async () => {
    for (const [path, json] of requests) {
      const key = `${path} ${json.slice(0, 12)}`;
      const expected = await post(path, JSON.parse(json));
      expect(expected.status, key).toBe(200);
      const asCurl = await server.app.request(path, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: json,
      });
      const unlabelled = await server.app.request(path, {
        method: "POST",
        body: new TextEncoder().encode(json),
      });
      for (const res of [asCurl, unlabelled]) {
        expect(res.status, key).toBe(200);
        const body = (await res.json()) as Record<string, unknown>;
        expect({ ...body, id: undefined }, key).toEqual({ ...expected.body, id: undefined });
      }
    }
  });

  it("answers 415 with the fix for other types", async () => {
    for (const [path, json] of requests) {
      const res = await postJson(server.app, path, json, {
        "content-type": "application/xml",
      });
      expect(res.status, path).toBe(415);
      expect(((await res.json()) as { error: string }).error, path).toContain(
        "send the JSON body with Content-Type: application/json",
      );
    }
  });
});
