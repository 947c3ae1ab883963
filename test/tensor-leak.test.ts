/**
 * No tensor outlives a request: thousands of requests through every inference endpoint, answered and
 * refused, batched and not, JSON and binary tensor data, leave TF.js' live tensor count exactly where it
 * started.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PATHS } from "../src/contract/index.js";
import type { Classifier } from "../src/model/load-model.js";
import { FLOWERS, createTestServer, loadCommittedModel, postJson } from "./server-fixtures.js";
import { binaryRequest } from "./support/binary-tensor-data.js";

let classifier: Classifier;
beforeAll(async () => {
  classifier = await loadCommittedModel();
});
afterAll(() => classifier.dispose());

const v2 = (data: unknown, shape: number[], datatype = "FP32") => ({
  inputs: [{ name: "input-0", shape, datatype, data }],
});

const HEADER = "inference-header-content-length";
const binaryInfer = binaryRequest({
  parameters: { binary_data_output: true },
  inputs: [
    { name: "input-0", shape: [2, 4], datatype: "FP32", values: [...FLOWERS.setosa, ...FLOWERS.virginica] },
  ],
});
const binaryNaN = binaryRequest({
  inputs: [{ name: "input-0", shape: [1, 4], datatype: "FP32", values: [Number.NaN, 1, 1, 1] }],
});

/** Binary tensor data requests: [headers, body, expected status], answered and refused. */
const BINARY: [Record<string, string>, Uint8Array, number][] = [
  [{ [HEADER]: String(binaryInfer.headerLength) }, binaryInfer.body, 200],
  [
    { [HEADER]: String(binaryNaN.headerLength), "content-type": "application/octet-stream" },
    binaryNaN.body,
    400,
  ],
  [
    { [HEADER]: String(binaryInfer.headerLength) },
    binaryInfer.body.subarray(0, binaryInfer.body.length - 3),
    400,
  ],
  [{ [HEADER]: String(binaryInfer.headerLength + 5) }, binaryInfer.body, 400],
];

/** [path, body, expected status] — the ones the model runs and the ones refused before it. */
const REQUESTS: [string, unknown, number][] = [
  [PATHS.predict, { features: FLOWERS.setosa }, 200],
  [PATHS.predict, { sepal_length: 6.4, sepal_width: 3.2, petal_length: 4.5, petal_width: 1.5 }, 200],
  [PATHS.predict, { instances: [FLOWERS.virginica, FLOWERS.borderline, FLOWERS.versicolor] }, 200],
  ["/v1/models/iris:predict", { instances: [FLOWERS.setosa, FLOWERS.virginica] }, 200],
  ["/v2/models/iris/infer", v2([...FLOWERS.setosa, ...FLOWERS.virginica], [2, 4]), 200],
  [PATHS.predict, { features: [1, 2, 3] }, 400],
  [PATHS.predict, { instances: [] }, 400],
  [PATHS.predict, "{not json", 400],
  ["/v1/models/rose:predict", { instances: [FLOWERS.setosa] }, 404],
  ["/v2/models/iris/infer", v2([1, 2, 3, 4, 5], [1, 5]), 400],
  [PATHS.predict, { features: [3.4e39, 1, 1, 1] }, 400],
];

describe.each([
  ["with batching", true],
  ["without batching", false],
])("tensor count %s", (_, enabled) => {
  it("is unchanged after 4,500 requests through every endpoint, JSON and binary, including failing ones", async () => {
    const { app } = createTestServer(classifier, {
      config: { batching: { enabled, maxRowsPerCall: 64, maxDelayMs: 0, queueRows: 100_000 } },
    });
    // One request first: anything TF.js allocates once (kernels, weights) is not a leak.
    await postJson(app, PATHS.predict, { features: FLOWERS.setosa });
    const before = classifier.numTensors();
    for (let round = 0; round < 300; round++) {
      // Concurrent within a round, so batching packs rows from different requests into one call.
      const responses = await Promise.all([
        ...REQUESTS.map(([path, body]) => postJson(app, path, body)),
        ...BINARY.map(([headers, body]) =>
          app.request("/v2/models/iris/infer", { method: "POST", headers, body }),
        ),
      ]);
      const expected = [...REQUESTS.map((r) => r[2]), ...BINARY.map((r) => r[2])];
      responses.forEach((res, i) => expect(res.status, `request ${i}`).toBe(expected[i]));
      await Promise.all(responses.map((res) => res.arrayBuffer()));
    }
    expect(classifier.numTensors()).toBe(before);
  });
});
