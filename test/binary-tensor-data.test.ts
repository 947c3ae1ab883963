/**
 * The binary tensor data extension on V2 infer, held to the spec by the test's own codec
 * (test/support/binary-tensor-data.ts): requests as `tritonclient.http` and the `kserve` client send them,
 * binary answers, the same answers as JSON for the same tensors, and every malformed binary body refused
 * with a 400 (413 past the body limit) naming what is wrong, never a 5xx.
 */
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ERROR_TYPES, METRICS } from "../src/contract/index.js";
import { decodeBinaryRequest, encodeBinaryResponse } from "../src/server/api/binary-tensors.js";
import type { Classifier } from "../src/model/load-model.js";
import {
  FLOWERS,
  type TestServer,
  createTestServer,
  loadCommittedModel,
  parseExposition,
  postJson,
  countValue,
  sampleValue,
} from "./server-fixtures.js";
import {
  type DecodedResponse,
  type InputTensor,
  binaryRequest,
  decodeResponse,
  readTensor,
  tensorBytes,
} from "./support/binary-tensor-data.js";

const INFER = "/v2/models/iris/infer";
const HEADER = "Inference-Header-Content-Length";
const ROWS = [FLOWERS.setosa, FLOWERS.versicolor, FLOWERS.virginica, FLOWERS.borderline];

let classifier: Classifier;
let server: TestServer;
beforeAll(async () => {
  classifier = await loadCommittedModel();
  server = createTestServer(classifier);
});
afterAll(() => classifier.dispose());

function input(rows: readonly (readonly number[])[], datatype = "FP32", json = false): InputTensor {
  return { name: "input-0", shape: [rows.length, 4], datatype, values: rows.flat(), json };
}

/** POSTs a binary request; `contentType: null` sends none, as `tritonclient.http` does. */
async function postBinary(
  request: Parameters<typeof binaryRequest>[0],
  { contentType = null, app = server.app }: { contentType?: string | null; app?: TestServer["app"] } = {},
): Promise<Response> {
  const { body, headerLength } = binaryRequest(request);
  return sendRaw(
    body,
    { [HEADER]: String(headerLength), ...(contentType ? { "content-type": contentType } : {}) },
    app,
  );
}

async function sendRaw(
  body: Uint8Array,
  headers: Record<string, string>,
  app: TestServer["app"] = server.app,
): Promise<Response> {
  return app.request(INFER, { method: "POST", headers, body });
}

async function decode(res: Response): Promise<DecodedResponse> {
  return decodeResponse(Buffer.from(await res.arrayBuffer()), res.headers.get(HEADER));
}

async function errorOf(res: Response): Promise<{ status: number; error: string }> {
  expect(res.headers.get("content-type")).toMatch(/^application\/json/);
  const body = (await res.json()) as { error: string };
  return { status: res.status, error: body.error };
}

describe("the codec, against the spec's layout", () => {
  /** Edge values of every fixed-size datatype, and what the server's decoder must read from them. */
  const EDGES: Record<string, (number | boolean)[]> = {
    BOOL: [true, false, true],
    UINT8: [0, 1, 255],
    UINT16: [0, 1, 65_535],
    UINT32: [0, 1, 4_294_967_295],
    UINT64: [0, 1, Number.MAX_SAFE_INTEGER],
    INT8: [-128, -1, 0, 127],
    INT16: [-32_768, -1, 0, 32_767],
    INT32: [-2_147_483_648, -1, 0, 2_147_483_647],
    INT64: [Number.MIN_SAFE_INTEGER, -(2 ** 40) - 3, -1, 0, 2 ** 32 + 5, Number.MAX_SAFE_INTEGER],
    FP32: [
      -3.4028234663852886e38,
      -1.5,
      0,
      1.401298464324817e-45,
      5.099999904632568,
      Number.POSITIVE_INFINITY,
    ],
    FP64: [-1e300, -0.1, 0, 5e-324, Math.PI, Number.NEGATIVE_INFINITY],
    // Exactly representable in half precision: 1, -2.5, the largest half, the smallest subnormal.
    FP16: [1, -2.5, 65_504, 2 ** -24, Number.POSITIVE_INFINITY],
  };

  it.each(Object.entries(EDGES))(
    "decodes %s little-endian, row-major, at any byte offset",
    (datatype, values) => {
      for (const pad of [0, 1, 3]) {
        // A header padded with spaces moves the tensor to an unaligned offset.
        const header = Buffer.from(
          `${JSON.stringify({
            inputs: [
              {
                name: "x",
                shape: [values.length],
                datatype,
                parameters: { binary_data_size: tensorBytes(datatype, values).length },
              },
            ],
          })}${" ".repeat(pad)}`,
        );
        const body = Buffer.concat([header, tensorBytes(datatype, values)]);
        const decoded = decodeBinaryRequest(body, String(header.length)) as { inputs: { data: unknown[] }[] };
        expect(decoded.inputs[0]?.data).toEqual(values);
      }
    },
  );

  it("decodes BYTES elements, multi-byte UTF-8 and empty ones included", () => {
    const values = ["setosa", "", "Iris × versicolor ✿", "ñ"];
    const bytes = tensorBytes("BYTES", values);
    const header = Buffer.from(
      JSON.stringify({
        inputs: [
          { name: "x", shape: [2, 2], datatype: "BYTES", parameters: { binary_data_size: bytes.length } },
        ],
      }),
    );
    const decoded = decodeBinaryRequest(Buffer.concat([header, bytes]), String(header.length)) as {
      inputs: { data: unknown[] }[];
    };
    expect(decoded.inputs[0]?.data).toEqual(values);
  });

  it.each(Object.entries(EDGES).filter(([datatype]) => datatype !== "BOOL" && datatype !== "FP16"))(
    "encodes %s outputs as the spec lays them out",
    (datatype, values) => {
      const { body, headerLength } = encodeBinaryResponse(
        { outputs: [{ name: "y", datatype, shape: [values.length], data: values as number[] }] },
        [true],
      );
      const bytes = Buffer.from(body);
      const header = JSON.parse(bytes.subarray(0, headerLength).toString("utf8")) as unknown;
      const size = tensorBytes(datatype, values).length;
      expect(header).toEqual({
        outputs: [{ name: "y", datatype, shape: [values.length], parameters: { binary_data_size: size } }],
      });
      expect(bytes.subarray(headerLength)).toEqual(tensorBytes(datatype, values));
      expect(readTensor(datatype, bytes.subarray(headerLength))).toEqual(values);
    },
  );

  it("encodes BYTES outputs length-prefixed and keeps JSON outputs in place, in order", () => {
    const names = ["setosa", "virginica", "setosa", "Iris × ✿"];
    const { body, headerLength } = encodeBinaryResponse(
      {
        id: "é",
        outputs: [
          { name: "a", datatype: "INT64", shape: [1], data: [2] },
          { name: "b", datatype: "BYTES", shape: [4], data: names },
          { name: "c", datatype: "FP32", shape: [1], data: [0.5] },
        ],
      },
      [false, true, true],
    );
    const decoded = decodeResponse(Buffer.from(body), String(headerLength));
    expect(decoded.binaryOutputs).toEqual(["b", "c"]);
    expect(decoded.json.outputs.map((o) => o.data)).toEqual([[2], names, [0.5]]);
    // The header length counts bytes, not characters: "é" is two.
    expect(headerLength).toBe(
      Buffer.byteLength(Buffer.from(body).subarray(0, headerLength).toString("utf8")),
    );
  });
});

describe("binary tensor data requests and answers", () => {
  it("answers a tritonclient.http request (no Content-Type, binary input, binary_data_output) with binary outputs", async () => {
    const res = await postBinary({ inputs: [input(ROWS)], parameters: { binary_data_output: true } });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/octet-stream");
    const bytes = Buffer.from(await res.clone().arrayBuffer());
    const headerLength = Number(res.headers.get(HEADER));
    const header = JSON.parse(bytes.subarray(0, headerLength).toString("utf8")) as {
      outputs: Record<string, unknown>[];
    };
    // 4 INT64, 4 length-prefixed names, 12 FP32: the JSON says how many bytes each takes, and has no data.
    const names = ["setosa", "versicolor", "virginica"];
    expect(header.outputs).toEqual([
      { name: "class_index", datatype: "INT64", shape: [4], parameters: { binary_data_size: 32 } },
      {
        name: "class_name",
        datatype: "BYTES",
        shape: [4],
        parameters: { binary_data_size: expect.any(Number) },
      },
      { name: "probabilities", datatype: "FP32", shape: [4, 3], parameters: { binary_data_size: 48 } },
    ]);
    const { json, binaryOutputs } = await decode(res);
    expect(binaryOutputs).toEqual(["class_index", "class_name", "probabilities"]);
    expect(json.outputs[0]?.data).toEqual([0, 1, 2, expect.any(Number)]);
    expect(json.outputs[1]?.data.slice(0, 3)).toEqual(names);
    const expected = Array.from(classifier.predict(Float32Array.from(ROWS.flat()), ROWS.length));
    expect(json.outputs[2]?.data).toEqual(expected.map((p) => Math.fround(p)));
  });

  it("answers a kserve client request (application/octet-stream, model_name, id, per-output binary_data)", async () => {
    const res = await postBinary(
      {
        id: "kserve-1",
        model_name: "iris",
        inputs: [input(ROWS.slice(0, 2))],
        outputs: [
          { name: "class_name", parameters: { binary_data: false } },
          { name: "probabilities", parameters: { binary_data: true } },
        ],
      },
      { contentType: "application/octet-stream" },
    );
    expect(res.status).toBe(200);
    const { json, binaryOutputs } = await decode(res);
    expect(binaryOutputs).toEqual(["probabilities"]);
    expect(json).toMatchObject({ id: "kserve-1", model_name: "iris" });
    expect(json.outputs.map((o) => o.name)).toEqual(["class_name", "probabilities"]);
    expect(json.outputs[0]?.data).toEqual(["setosa", "versicolor"]);
    expect(json.outputs[1]?.data).toHaveLength(6);
  });

  it("lets an output's binary_data override binary_data_output", async () => {
    const res = await postJson(server.app, INFER, {
      parameters: { binary_data_output: true },
      inputs: [{ name: "input-0", shape: [1, 4], datatype: "FP32", data: FLOWERS.virginica }],
      outputs: [{ name: "class_index" }, { name: "class_name", parameters: { binary_data: false } }],
    });
    const { json, binaryOutputs } = await decode(res);
    expect(binaryOutputs).toEqual(["class_index"]);
    expect(json.outputs).toEqual([
      { name: "class_index", datatype: "INT64", shape: [1], data: [2] },
      { name: "class_name", datatype: "BYTES", shape: [1], data: ["virginica"] },
    ]);
  });

  it("answers plain JSON, without the header, when no output is asked for as binary", async () => {
    const res = await postBinary({ inputs: [input(ROWS)] });
    expect(res.status).toBe(200);
    expect(res.headers.get(HEADER)).toBeNull();
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    const json = (await res.json()) as { outputs: { name: string; data: unknown[] }[] };
    expect(json.outputs[1]?.data.slice(0, 3)).toEqual(["setosa", "versicolor", "virginica"]);
  });

  it("reads an application/octet-stream body without the header as all JSON, as Triton does", async () => {
    const body = Buffer.from(
      JSON.stringify({
        inputs: [{ name: "input-0", shape: [1, 4], datatype: "FP32", data: FLOWERS.setosa }],
        outputs: [{ name: "class_name" }],
      }),
    );
    const res = await sendRaw(body, { "content-type": "application/octet-stream" });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ outputs: [{ name: "class_name", data: ["setosa"] }] });
  });

  it("mixes JSON and binary inputs in one request, reading binary data in input order", async () => {
    const res = await postBinary({ inputs: [input(ROWS, "FP32", true), input(ROWS)] });
    // Both inputs were read (the sizes add up), then the model's one-input rule answers.
    expect(await errorOf(res)).toEqual({
      status: 400,
      error: "invalid request: inputs: the model takes exactly one input tensor of shape [N, 4], got 2",
    });
  });

  it("counts and logs a binary request like a JSON one", async () => {
    const fresh = createTestServer(classifier);
    const res = await postBinary({ inputs: [input(ROWS)] }, { app: fresh.app });
    expect(res.status).toBe(200);
    await res.arrayBuffer();
    const samples = parseExposition(await (await fresh.app.request("/metrics")).text());
    expect(
      sampleValue(samples, METRICS.httpRequests, { route: "/v2/models/:model_name/infer", status: "200" }),
    ).toBe(1);
    const lines = fresh.logs.filter((l) => l.route === "/v2/models/:model_name/infer");
    expect(lines).toHaveLength(1);
    expect(JSON.stringify(lines[0])).not.toContain("setosa");
  });
});

describe("the same tensors as JSON and as binary data", () => {
  const DATATYPES = [
    "FP32",
    "FP64",
    "INT8",
    "INT16",
    "INT32",
    "INT64",
    "UINT8",
    "UINT16",
    "UINT32",
    "UINT64",
  ];
  const OUTPUT_NAMES = ["class_index", "class_name", "probabilities", "output-0"];
  const measurement = fc.double({ min: 0, max: 10, noNaN: true });
  const rows = fc.array(fc.tuple(measurement, measurement, measurement, measurement), {
    minLength: 1,
    maxLength: 40,
  });
  const requestedOutputs = fc.option(
    fc.uniqueArray(fc.record({ name: fc.constantFrom(...OUTPUT_NAMES), binary: fc.option(fc.boolean()) }), {
      selector: (o) => o.name,
      minLength: 1,
      maxLength: 4,
    }),
  );

  it("give the same answer, whichever outputs come back as binary data", async () => {
    await fc.assert(
      fc.asyncProperty(
        rows,
        fc.constantFrom(...DATATYPES),
        requestedOutputs,
        fc.option(fc.boolean()),
        async (values, datatype, outputs, binaryDataOutput) => {
          const cast = datatype.startsWith("FP") ? values : values.map((r) => r.map((v) => Math.round(v)));
          const tensor = { name: "input-0", shape: [cast.length, 4], datatype };
          const common = {
            ...(binaryDataOutput === null ? {} : { parameters: { binary_data_output: binaryDataOutput } }),
            ...(outputs === null
              ? {}
              : {
                  outputs: outputs.map(({ name, binary }) =>
                    binary === null ? { name } : { name, parameters: { binary_data: binary } },
                  ),
                }),
          };
          const jsonRes = await postJson(server.app, INFER, {
            ...common,
            inputs: [{ ...tensor, data: cast.flat() }],
          });
          const binaryRes = await postBinary({ ...common, inputs: [input(cast, datatype)] });
          expect(binaryRes.status).toBe(200);
          expect(jsonRes.status).toBe(200);
          // The reference: the same tensors and outputs, everything as JSON.
          const plainRes = await postJson(server.app, INFER, {
            ...(outputs === null ? {} : { outputs: outputs.map(({ name }) => ({ name })) }),
            inputs: [{ ...tensor, data: cast.flat() }],
          });
          const fromJson = await decode(jsonRes);
          const fromBinary = await decode(binaryRes);
          const reference = await decode(plainRes);
          expect(reference.binaryOutputs).toEqual([]);
          // Numbers from FP32 input go through the same float32 either way, so the answers are identical.
          expect(fromBinary.json.outputs).toEqual(reference.json.outputs);
          expect(fromJson.json.outputs).toEqual(reference.json.outputs);
          const expectedBinary = (outputs ?? OUTPUT_NAMES.slice(0, 3).map((name) => ({ name, binary: null })))
            .filter((o) => o.binary ?? binaryDataOutput ?? false)
            .map((o) => o.name);
          expect(fromBinary.binaryOutputs).toEqual(expectedBinary);
          expect(fromJson.binaryOutputs).toEqual(expectedBinary);
        },
      ),
      { numRuns: 300 },
    );
  });

  it.each<[string, InputTensor, string]>([
    [
      "a NaN in FP32",
      { ...input([[Number.NaN, 1, 1, 1]]) },
      "invalid request: inputs[0].data[0]: must be a finite number, got NaN",
    ],
    [
      "an infinite FP64",
      { ...input([[1, 1, Number.POSITIVE_INFINITY, 1]], "FP64") },
      "invalid request: inputs[0].data[2]: must be a finite number, got Infinity",
    ],
    [
      "an FP64 beyond float32",
      { ...input([[1e300, 1, 1, 1]], "FP64") },
      "invalid request: inputs[0].data[0]: FP64 values must be numbers from -3.4028234663852886e+38 to 3.4028234663852886e+38, got 1e+300",
    ],
    [
      "an INT64 past 2^53",
      { ...input([[2 ** 60, 1, 1, 1]], "INT64") },
      "invalid request: inputs[0].data[0]: INT64 values must be integers from -9007199254740991 to 9007199254740991, got 1152921504606847000",
    ],
    [
      "a BOOL tensor",
      { name: "input-0", shape: [1, 4], datatype: "BOOL", values: [true, false, true, true] },
      'invalid request: inputs[0].datatype: "BOOL" is not accepted; use one of FP32, FP64, INT8, INT16, INT32, INT64, UINT8, UINT16, UINT32, UINT64',
    ],
    [
      "a BYTES tensor",
      { name: "input-0", shape: [1, 4], datatype: "BYTES", values: ["5.1", "3.5", "1.4", "0.2"] },
      'invalid request: inputs[0].datatype: "BYTES" is not accepted; use one of FP32, FP64, INT8, INT16, INT32, INT64, UINT8, UINT16, UINT32, UINT64',
    ],
  ])("refuses %s as the JSON path refuses it: 400 naming the value", async (_case, tensor, error) => {
    expect(await errorOf(await postBinary({ inputs: [tensor] }))).toEqual({ status: 400, error });
  });

  it("refuses FP16, which JSON cannot carry, with the JSON path's datatype message", async () => {
    const header = Buffer.from(
      JSON.stringify({
        inputs: [{ name: "input-0", shape: [1, 4], datatype: "FP16", parameters: { binary_data_size: 8 } }],
      }),
    );
    const res = await sendRaw(Buffer.concat([header, Buffer.alloc(8)]), { [HEADER]: String(header.length) });
    expect(await errorOf(res)).toMatchObject({
      status: 400,
      error: expect.stringContaining('inputs[0].datatype: "FP16" is not accepted'),
    });
  });
});

describe("malformed binary bodies", () => {
  const header = (inputs: unknown[], extra: Record<string, unknown> = {}) =>
    Buffer.from(JSON.stringify({ inputs, ...extra }), "utf8");
  const fp32Input = (size: number, shape = [1, 4]) => ({
    name: "input-0",
    shape,
    datatype: "FP32",
    parameters: { binary_data_size: size },
  });
  const row = tensorBytes("FP32", FLOWERS.setosa);

  it.each<[string, () => { body: Buffer; headers: Record<string, string> }, string]>([
    [
      "a header length past the end of the body",
      () => ({ body: Buffer.concat([header([fp32Input(16)]), row]), headers: { [HEADER]: "9999" } }),
      `invalid request: ${HEADER} is 9999 but the body has only`,
    ],
    [
      "a header length of 0 (Triton's raw mode, not offered)",
      () => ({ body: row, headers: { [HEADER]: "0" } }),
      `invalid request: ${HEADER} must be the length in bytes of the JSON inference header (at least 1), got "0"`,
    ],
    [
      "a header length that is not a number",
      () => ({ body: row, headers: { [HEADER]: "12abc" } }),
      `invalid request: ${HEADER} must be the length in bytes of the JSON inference header (at least 1), got "12abc"`,
    ],
    [
      "a header length that cuts the JSON short",
      () => {
        const h = header([fp32Input(16)]);
        return { body: Buffer.concat([h, row]), headers: { [HEADER]: String(h.length - 1) } };
      },
      "the inference header (the first",
    ],
    [
      "a binary_data_size that disagrees with the shape",
      () => {
        const h = header([fp32Input(12)]);
        return { body: Buffer.concat([h, row.subarray(0, 12)]), headers: { [HEADER]: String(h.length) } };
      },
      "invalid request: inputs[0].parameters.binary_data_size: shape [1, 4] of FP32 needs 16 bytes (4 × 4), got 12",
    ],
    [
      "binary data that ends early (a truncated body)",
      () => {
        const h = header([fp32Input(16)]);
        return { body: Buffer.concat([h, row.subarray(0, 10)]), headers: { [HEADER]: String(h.length) } };
      },
      "invalid request: inputs[0].parameters.binary_data_size: is 16 bytes but only 10 bytes of binary data follow the header",
    ],
    [
      "bytes left over after the last binary input",
      () => {
        const h = header([fp32Input(16)]);
        return { body: Buffer.concat([h, row, Buffer.alloc(3)]), headers: { [HEADER]: String(h.length) } };
      },
      "invalid request: 3 bytes follow the binary data of the inputs",
    ],
    [
      "binary data after a header whose inputs are all JSON",
      () => {
        const h = header([{ name: "input-0", shape: [1, 4], datatype: "FP32", data: FLOWERS.setosa }]);
        return { body: Buffer.concat([h, row]), headers: { [HEADER]: String(h.length) } };
      },
      "invalid request: 16 bytes follow the binary data of the inputs",
    ],
    [
      "both data and binary_data_size",
      () => {
        const h = header([{ ...fp32Input(16), data: FLOWERS.setosa }]);
        return { body: Buffer.concat([h, row]), headers: { [HEADER]: String(h.length) } };
      },
      "invalid request: inputs[0]: has both data and parameters.binary_data_size; send its values one way",
    ],
    [
      "a binary_data_size that is not a whole number",
      () => {
        const h = header([fp32Input(1.5)]);
        return { body: Buffer.concat([h, row]), headers: { [HEADER]: String(h.length) } };
      },
      "invalid request: inputs[0].parameters.binary_data_size: must be a whole number of bytes, got 1.5",
    ],
    [
      "a datatype the protocol does not have",
      () => {
        const h = header([{ ...fp32Input(16), datatype: "FLOAT32" }]);
        return { body: Buffer.concat([h, row]), headers: { [HEADER]: String(h.length) } };
      },
      'invalid request: inputs[0].datatype: "FLOAT32" is not a datatype of the protocol',
    ],
    [
      "a shape that is not a list of sizes",
      () => {
        const h = header([{ ...fp32Input(16), shape: "1x4" }]);
        return { body: Buffer.concat([h, row]), headers: { [HEADER]: String(h.length) } };
      },
      "invalid request: inputs[0].shape: must be a list of non-negative integers to read binary data",
    ],
    [
      "BYTES elements whose lengths run past their tensor",
      () => {
        const bad = Buffer.from([200, 0, 0, 0, 65, 66]);
        const h = header([
          { name: "input-0", shape: [1], datatype: "BYTES", parameters: { binary_data_size: bad.length } },
        ]);
        return { body: Buffer.concat([h, bad]), headers: { [HEADER]: String(h.length) } };
      },
      "invalid request: inputs[0].parameters.binary_data_size: must hold exactly 1 BYTES elements",
    ],
    [
      "a header that is not UTF-8",
      () => {
        const h = Buffer.from([0x7b, 0xff, 0x7d]);
        return { body: h, headers: { [HEADER]: "3" } };
      },
      "the inference header (the first 3 bytes of the body) is not valid JSON",
    ],
  ])("answers 400 for %s, naming it", async (_case, make, error) => {
    const { body, headers } = make();
    const res = await sendRaw(body, headers);
    const answer = await errorOf(res);
    expect(answer.status).toBe(400);
    expect(answer.error).toContain(error);
  });

  it("answers 413 for a binary body over the body limit, with or without Content-Length", async () => {
    const small = createTestServer(classifier, { config: { bodyLimitBytes: 2048 } });
    const many = Array.from({ length: 200 }, () => FLOWERS.setosa);
    const { body, headerLength } = binaryRequest({ inputs: [input(many)] });
    expect(body.length).toBeGreaterThan(2048);
    for (const withLength of [false, true]) {
      const headers: Record<string, string> = { [HEADER]: String(headerLength) };
      if (withLength) headers["content-length"] = String(body.length);
      const res = await sendRaw(body, headers, small.app);
      expect(await errorOf(res)).toMatchObject({ status: 413 });
    }
    const fewer = binaryRequest({ inputs: [input(many.slice(0, 20))] });
    const ok = await sendRaw(fewer.body, { [HEADER]: String(fewer.headerLength) }, small.app);
    expect(ok.status).toBe(200);
  });

  it("answers 413 when the shape asks for more rows than MAX_ROWS_PER_REQUEST", async () => {
    const small = createTestServer(classifier, { config: { maxRowsPerRequest: 2 } });
    const res = await postBinary({ inputs: [input(ROWS)] }, { app: small.app });
    expect(await errorOf(res)).toEqual({
      status: 413,
      error: "inputs[0].shape: 4 rows exceed the limit of 2 rows per request; split the batch",
    });
  });

  it("answers 400 or 413, never a 5xx, for cut, padded, relabelled and garbage binary bodies; the server stays ready", async () => {
    const fresh = createTestServer(classifier, { config: { bodyLimitBytes: 64 * 1024 } });
    const valid = fc
      .tuple(
        fc.array(fc.tuple(fc.float({ noNaN: true }), fc.float(), fc.float(), fc.float()), {
          minLength: 1,
          maxLength: 8,
        }),
        fc.constantFrom("FP32", "FP64", "INT32", "UINT8", "BYTES", "BOOL", "FP16"),
      )
      .map(([rows, datatype]) => {
        const values = datatype.startsWith("FP") ? rows.flat() : rows.flat().map(() => 1);
        return binaryRequest({
          inputs: [{ name: "input-0", shape: [rows.length, 4], datatype, values }],
          parameters: { binary_data_output: true },
        });
      });
    const mutation = fc.oneof(
      fc.nat().map((n) => (b: Buffer, h: number) => ({
        body: b.subarray(0, n % (b.length + 1)),
        header: String(h),
      })),
      fc.uint8Array({ minLength: 1, maxLength: 64 }).map((extra) => (b: Buffer, h: number) => ({
        body: Buffer.concat([b, extra]),
        header: String(h),
      })),
      fc
        .integer({ min: -5, max: 5 })
        .map((d) => (b: Buffer, h: number) => ({ body: b, header: String(h + d) })),
      fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })).map(([at, byte]) => (b: Buffer, h: number) => {
        const copy = Buffer.from(b);
        if (copy.length > 0) copy[at % copy.length] = byte;
        return { body: copy, header: String(h) };
      }),
      fc.string({ maxLength: 12 }).map((header) => (b: Buffer) => ({ body: b, header })),
      fc.uint8Array({ maxLength: 300 }).map((garbage) => (_b: Buffer, h: number) => ({
        body: Buffer.from(garbage),
        header: String(h),
      })),
      fc.constant((b: Buffer) => ({
        body: Buffer.concat([b, Buffer.alloc(70 * 1024)]),
        header: String(b.length),
      })),
    );
    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(valid, mutation, fc.boolean(), async ({ body, headerLength }, mutate, octet) => {
        const { body: sent, header } = mutate(body, headerLength);
        const headers: Record<string, string> = { [HEADER]: header };
        if (octet) headers["content-type"] = "application/octet-stream";
        const res = await sendRaw(sent, headers, fresh.app);
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        const what = `${res.status} for header ${JSON.stringify(header)} and ${sent.length} bytes`;
        expect([200, 400, 413], what).toContain(res.status);
        if (res.status !== 200) {
          expect(res.headers.get("content-type"), what).toMatch(/^application\/json/);
          expect(typeof ((await res.json()) as { error: unknown }).error, what).toBe("string");
        } else {
          await res.arrayBuffer();
        }
      }),
      { numRuns: 1500 },
    );
    expect(statuses.get(400) ?? 0).toBeGreaterThan(100);
    expect(statuses.get(413) ?? 0).toBeGreaterThan(10);
    expect(fresh.logs.filter((l) => l.level === "error" || l.level === "fatal")).toEqual([]);
    expect((await fresh.app.request("/v2/health/ready")).status).toBe(200);
    const exposition = await (await fresh.app.request("/metrics")).text();
    expect(countValue(exposition, METRICS.errors, { type: ERROR_TYPES.internal })).toBe(0);
    expect(sampleValue(parseExposition(exposition), METRICS.inflightRequests)).toBe(0);
  });
});
