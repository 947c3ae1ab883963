/**
 * Property-based fuzzing of every inference endpoint (`/predict`, KServe V1 `:predict`, V2 `infer` with and
 * without a version): over 10,000 generated requests of random JSON of every type and nesting, near-miss
 * bodies (wrong, missing and extra fields, numeric strings, NaN/Infinity spellings, huge and tiny numbers),
 * very long arrays, deep nesting, truncated bodies, invalid UTF-8, wrong and missing content types (the
 * types read as JSON — none, text/plain, form-urlencoded — as often as application/json) and wrong methods;
 * and, on V2 infer, binary tensor data bodies (`Inference-Header-Content-Length` and raw tensors after the
 * JSON) whole, cut, padded, with wrong sizes, wrong header lengths and garbage bytes. Every answer is 2xx
 * or 4xx with a JSON body (or, for a 200 that asked for binary outputs, a binary body whose JSON part
 * parses); none is a 5xx; the app stays healthy and ready with its tensor count unchanged and its heap
 * bounded. A body answers the same (status and body) whether it is labelled application/json, text/plain,
 * form-urlencoded or not labelled at all.
 *
 * On failure fast-check prints the seed and the shrunk request; `fc.assert(..., { seed, path })` replays it.
 */
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { V2_OUTPUTS } from "../src/server/api/kserve-v2.js";
import { ERROR_TYPES, METRICS, PATHS } from "../src/contract/index.js";
import type { Classifier } from "../src/model/load-model.js";
import {
  FLOWERS,
  type TestServer,
  countValue,
  createTestServer,
  loadCommittedModel,
  parseExposition,
  postJson,
  sampleValue,
} from "./server-fixtures.js";
import { binaryRequest } from "./support/binary-tensor-data.js";

/** Generated requests; each is one `app.request`. */
const REQUEST_COUNT = 12_000;

/** A fragment of JSON text written as is: spellings JSON.stringify cannot produce, broken tokens. */
class RawText {
  constructor(readonly text: string) {}
}
/** An object as a list of entries, so keys like `__proto__` and repeated keys reach the server as sent. */
class JsonObject {
  constructor(readonly entries: readonly (readonly [string, Doc])[]) {}
}
type Doc = RawText | JsonObject | Doc[] | string | number | boolean | null;

function render(doc: Doc): string {
  if (doc instanceof RawText) return doc.text;
  if (doc instanceof JsonObject)
    return `{${doc.entries.map(([k, v]) => `${JSON.stringify(k)}:${render(v)}`).join(",")}}`;
  if (Array.isArray(doc)) return `[${doc.map(render).join(",")}]`;
  return JSON.stringify(doc); // NaN and ±Infinity become null, as in any JSON client
}

const FEATURES = ["sepal_length", "sepal_width", "petal_length", "petal_width"] as const;

/** Number spellings a sloppy client might send; some are JSON, most are not. */
const NUMBER_SPELLINGS = [
  "NaN",
  "-NaN",
  "Infinity",
  "-Infinity",
  "+1",
  "1e309",
  "-1e309",
  "1e-400",
  "4.9e-324",
  "-0",
  "0x1f",
  "01",
  "1.",
  ".5",
  "1e",
  "--1",
  "1_000",
  "3.5e38",
  "-3.4028235e38",
  "1.7976931348623157e308",
  "123456789012345678901234567890",
  "9007199254740993",
  '"5.1"',
  '" 5.1 "',
  '"NaN"',
  '"Infinity"',
  '"1e309"',
  '"5,1"',
  '""',
];

const rawJson = (maxDepth: number) => fc.jsonValue({ maxDepth }).map((v) => new RawText(JSON.stringify(v)));

/** One value where a measurement belongs. */
const measurement: fc.Arbitrary<Doc> = fc.oneof(
  { weight: 6, arbitrary: fc.double({ min: 0, max: 10, noNaN: true }) },
  { weight: 2, arbitrary: fc.double() },
  { weight: 1, arbitrary: fc.integer() },
  { weight: 3, arbitrary: fc.constantFrom(...NUMBER_SPELLINGS).map((t) => new RawText(t)) },
  { weight: 1, arbitrary: rawJson(2) },
);

const plausible = fc.double({ min: 0, max: 10, noNaN: true });
const validList = fc.tuple(plausible, plausible, plausible, plausible);
const validRow: fc.Arbitrary<Doc> = fc.oneof(
  validList,
  validList.map((values) => new JsonObject(FEATURES.map((name, i) => [name, values[i] as number]))),
);

const fieldName = fc.oneof(
  fc.constantFrom(
    ...FEATURES,
    "features",
    "instances",
    "inputs",
    "outputs",
    "__proto__",
    "constructor",
    "toString",
    "",
  ),
  fc.string({ maxLength: 12 }),
);
const extraEntries = fc.array(fc.tuple(fieldName, measurement), { maxLength: 2 });

/** Named features with some missing, repeated or extra, values anything. */
const namedRow = fc
  .tuple(fc.array(fc.tuple(fc.constantFrom(...FEATURES), measurement), { maxLength: 6 }), extraEntries)
  .map(([named, extra]) => new JsonObject([...named, ...extra]));

const row: fc.Arbitrary<Doc> = fc.oneof(
  { weight: 4, arbitrary: validRow },
  { weight: 2, arbitrary: fc.array(measurement, { maxLength: 6 }) },
  { weight: 2, arbitrary: namedRow },
  { weight: 1, arbitrary: measurement },
);
const rows = fc.oneof(
  { weight: 4, arbitrary: fc.array(row, { maxLength: 40 }) },
  { weight: 1, arbitrary: measurement },
);

/** `entries` with each optional entry present or not. */
function objectOf(
  required: readonly fc.Arbitrary<readonly [string, Doc]>[],
  optional: readonly fc.Arbitrary<readonly [string, Doc]>[],
): fc.Arbitrary<Doc> {
  return fc
    .tuple(fc.tuple(...required), fc.tuple(...optional.map((entry) => fc.option(entry))), extraEntries)
    .map(
      ([must, may, extra]) =>
        new JsonObject([...must, ...may.filter((e) => e !== null), ...(extra.length > 0 ? extra : [])]),
    );
}
const entry = (name: string, value: fc.Arbitrary<Doc>) =>
  value.map((v) => [name, v] as const) as fc.Arbitrary<readonly [string, Doc]>;

const predictBody: fc.Arbitrary<Doc> = fc.oneof(
  objectOf(
    [entry("features", fc.oneof(validList, fc.array(measurement, { maxLength: 8 }), measurement))],
    [],
  ),
  validRow.filter((r) => r instanceof JsonObject),
  namedRow,
  objectOf([entry("instances", rows)], []),
);

const v1Body: fc.Arbitrary<Doc> = fc.oneof(
  objectOf([entry("instances", rows)], [entry("signature_name", fc.string())]),
  // KServe V1 also takes the rows under `inputs` (exactly one of the two).
  objectOf([entry("inputs", rows)], [entry("signature_name", fc.string())]),
  objectOf([entry("instances", rows), entry("inputs", rows)], []),
  namedRow,
);

const DATATYPES = ["FP32", "FP64", "INT8", "INT16", "INT32", "INT64", "UINT8", "UINT16", "UINT32", "UINT64"];
/** A well-formed input tensor of 1..8 rows, data flat or nested, of any accepted type. */
const wellFormedTensor: fc.Arbitrary<Doc> = fc
  .tuple(fc.array(validList, { minLength: 1, maxLength: 8 }), fc.constantFrom(...DATATYPES), fc.boolean())
  .map(([data, datatype, nested]) => {
    const values = datatype.startsWith("FP") ? data : data.map((r) => r.map(Math.round));
    return new JsonObject([
      ["name", "input-0"],
      ["shape", [values.length, 4]],
      ["datatype", datatype],
      ["data", nested ? values : values.flat()],
    ]);
  });
const v2Input: fc.Arbitrary<Doc> = fc.oneof(
  wellFormedTensor,
  objectOf(
    [],
    [
      entry("name", fc.oneof(fc.string(), measurement)),
      entry(
        "shape",
        fc.oneof(
          fc.array(fc.oneof(fc.integer({ min: -2, max: 8 }), fc.integer(), measurement), { maxLength: 4 }),
          measurement,
        ),
      ),
      entry(
        "datatype",
        fc.oneof(
          fc.constantFrom(...DATATYPES, "BYTES", "BOOL", "FP16", "fp32", ""),
          fc.string(),
          measurement,
        ),
      ),
      entry(
        "data",
        fc.oneof(
          fc.array(measurement, { maxLength: 12 }),
          fc.array(fc.array(measurement, { maxLength: 5 }), { maxLength: 4 }),
          measurement,
        ),
      ),
      entry("parameters", rawJson(2)),
    ],
  ),
);
const v2Body: fc.Arbitrary<Doc> = objectOf(
  [entry("inputs", fc.oneof({ weight: 5, arbitrary: fc.array(v2Input, { maxLength: 3 }) }, measurement))],
  [
    entry("id", fc.oneof(fc.string(), measurement)),
    entry(
      "outputs",
      fc.array(
        objectOf([entry("name", fc.oneof(fc.constantFrom(...V2_OUTPUTS), fc.string(), measurement))], []),
        { maxLength: 4 },
      ),
    ),
    entry("parameters", rawJson(2)),
  ],
);

interface Endpoint {
  readonly path: string;
  /** Bodies the endpoint answers with 200. */
  readonly valid: fc.Arbitrary<Doc>;
  /** Bodies shaped like the endpoint's, right or wrong in any detail. */
  readonly body: fc.Arbitrary<Doc>;
  /** A field holding rows, for very long arrays and deep nesting. */
  readonly wrap: (inner: string) => string;
}

const v2Wrap = (inner: string) =>
  `{"inputs":[{"name":"input-0","shape":[1,4],"datatype":"FP32","data":${inner}}]}`;

function endpoints(modelVersion: string): Endpoint[] {
  const validRows = fc.array(validRow, { minLength: 1, maxLength: 40 });
  const validInstances = validRows.map((r) => new JsonObject([["instances", r]]));
  const validV1 = fc
    .tuple(validRows, fc.constantFrom("instances", "inputs"))
    .map(([r, key]) => new JsonObject([[key, r]]));
  const validV2 = wellFormedTensor.map((input) => new JsonObject([["inputs", [input]]]));
  const instancesWrap = (inner: string) => `{"instances":${inner}}`;
  return [
    {
      path: PATHS.predict,
      valid: fc.oneof(
        validList.map((f) => new JsonObject([["features", f]])),
        validRow,
        validInstances,
      ),
      body: predictBody,
      wrap: instancesWrap,
    },
    { path: "/v1/models/iris:predict", valid: validV1, body: v1Body, wrap: instancesWrap },
    { path: "/v2/models/iris/infer", valid: validV2, body: v2Body, wrap: v2Wrap },
    {
      path: `/v2/models/iris/versions/${modelVersion}/infer`,
      valid: validV2,
      body: v2Body,
      wrap: v2Wrap,
    },
  ];
}

/** Paths next to the real ones: other models and versions, odd spellings, query strings. */
const NEAR_MISS_PATHS = [
  "/v1/models/rose:predict",
  "/v1/models/iris:explain",
  "/v2/models/IRIS/infer",
  "/v2/models/iris/versions/0/infer",
  "/v2/models/iris/versions//infer",
  "/predict/",
  "/predict?debug=1",
];

const ROW_TEXT = JSON.stringify(FLOWERS.virginica);

/** Bodies beyond the shape of any endpoint: very long, very deep, empty, huge. */
function extremeBody(wrap: (inner: string) => string): fc.Arbitrary<string> {
  return fc.oneof(
    // Around MAX_ROWS_PER_REQUEST (1024) and far past it.
    fc
      .constantFrom(1023, 1024, 1025, 5000, 20_000)
      .map((n) => wrap(`[${Array.from({ length: n }, () => ROW_TEXT).join(",")}]`)),
    fc.constantFrom(4, 1000, 100_000).map((n) => `{"features":[${"1.5,".repeat(n - 1)}1.5]}`),
    fc
      .tuple(fc.integer({ min: 1, max: 120_000 }), fc.constantFrom("[]", '{"a":}', "[[1,2,3,4]]"))
      .map(([depth, shape]) => {
        const [open, close] = shape === '{"a":}' ? ['{"a":', "}"] : ["[", "]"];
        const core = shape === "[[1,2,3,4]]" ? "[1,2,3,4]" : "1";
        return wrap(open.repeat(depth) + core + close.repeat(depth));
      }),
    fc.constantFrom("", " ", "\n\t", "null", "[]", "{}", '""', "0", "\ufeff{}", `"${"x".repeat(300_000)}"`),
  );
}

/** Raw bytes that are not UTF-8: lone continuation bytes, overlongs, surrogates, bytes never valid. */
const BAD_UTF8 = [[0x80], [0xbf], [0xc0, 0xaf], [0xc3], [0xed, 0xa0, 0x80], [0xf5], [0xff], [0xfe, 0xff]];

/** No Content-Type header at all: the body goes as bytes (a string would get text/plain from `Request`). */
const NO_CONTENT_TYPE = null;

const CONTENT_TYPES: fc.Arbitrary<string | undefined | typeof NO_CONTENT_TYPE> = fc.oneof(
  { weight: 12, arbitrary: fc.constant("application/json") },
  // Read as JSON too (tritonclient, `curl -d`, text/plain): fuzzed as heavily as the JSON path.
  {
    weight: 12,
    arbitrary: fc.constantFrom(
      NO_CONTENT_TYPE,
      "application/x-www-form-urlencoded",
      "text/plain;charset=UTF-8",
      "text/plain",
    ),
  },
  {
    weight: 4,
    arbitrary: fc.constantFrom(
      undefined,
      "application/json; charset=utf-8",
      "APPLICATION/JSON",
      "application/vnd.api+json",
      "application/json; charset=utf-16",
      "application/json;",
      "application/json, text/plain",
      "text/plain",
      "text/json",
      "application/x-www-form-urlencoded",
      "application/octet-stream",
      "multipart/form-data; boundary=x",
      "*/*",
      "",
    ),
  },
  { weight: 1, arbitrary: fc.stringMatching(/^[\x20-\x7e]{0,40}$/) },
);

const METHODS = fc.oneof(
  { weight: 20, arbitrary: fc.constant("POST") },
  { weight: 1, arbitrary: fc.constantFrom("GET", "PUT", "PATCH", "DELETE", "OPTIONS") },
);

interface FuzzRequest {
  readonly path: string;
  readonly method: string;
  /** undefined: whatever `Request` makes of the body; null: no Content-Type header at all. */
  readonly contentType: string | undefined | typeof NO_CONTENT_TYPE;
  /** Send Content-Length as a real client does (the server's body limit then decides from it). */
  readonly withLength: boolean;
  readonly body: string | Uint8Array;
  /** `Inference-Header-Content-Length`, sent when defined (binary tensor data bodies). */
  readonly inferenceHeader?: string;
}

/** A binary tensor data request: header length and body, well formed. */
interface BinaryBody {
  readonly body: Uint8Array;
  readonly headerLength: number;
}

/** Well-formed binary requests of any datatype, outputs as JSON or binary. */
const validBinary: fc.Arbitrary<BinaryBody> = fc
  .tuple(
    fc.array(validList, { minLength: 1, maxLength: 8 }),
    fc.constantFrom(...DATATYPES, "FP16", "BOOL", "BYTES"),
    fc.option(fc.boolean()),
    fc.option(fc.subarray([...V2_OUTPUTS, "output-0"], { minLength: 1 })),
  )
  .map(([rows, datatype, binaryOutput, outputs]) =>
    binaryRequest({
      ...(binaryOutput === null ? {} : { parameters: { binary_data_output: binaryOutput } }),
      ...(outputs === null
        ? {}
        : { outputs: outputs.map((name, i) => ({ name, parameters: { binary_data: i % 2 === 0 } })) }),
      inputs: [
        {
          name: "input-0",
          shape: [rows.length, 4],
          datatype,
          values: datatype.startsWith("FP") ? rows.flat() : rows.flat().map((v) => Math.round(v)),
        },
      ],
    }),
  );

/** Any V2-shaped JSON header (binary_data_size on some inputs, right or wrong) and random bytes after it. */
const looseBinary: fc.Arbitrary<BinaryBody> = fc
  .tuple(v2Body.map(render), fc.uint8Array({ maxLength: 200 }))
  .map(([header, tail]) => {
    const head = Buffer.from(header, "utf8");
    return { body: Buffer.concat([head, tail]), headerLength: head.length };
  });

/** Binary bodies as sent, cut, padded, corrupted, or with a wrong header length. */
const binaryBodies: fc.Arbitrary<{ body: Uint8Array; inferenceHeader: string }> = fc
  .tuple(
    fc.oneof({ weight: 2, arbitrary: validBinary }, looseBinary),
    fc.oneof(
      { weight: 3, arbitrary: fc.constant("as sent") },
      fc.constantFrom("cut", "padded", "corrupted", "header off", "header text", "no header"),
    ),
    fc.nat(),
    fc.integer({ min: -8, max: 8 }),
    fc.constantFrom("0", "-1", "", " 12", "1e3", "0x10", "99999999999999999999", "abc"),
  )
  .map(([{ body, headerLength }, how, n, delta, text]) => {
    const bytes = Buffer.from(body);
    switch (how) {
      case "cut":
        return { body: bytes.subarray(0, n % (bytes.length + 1)), inferenceHeader: String(headerLength) };
      case "padded":
        return {
          body: Buffer.concat([bytes, Buffer.alloc((n % 40) + 1, n)]),
          inferenceHeader: String(headerLength),
        };
      case "corrupted":
        if (bytes.length > 0) bytes[n % bytes.length] = n % 256;
        return { body: bytes, inferenceHeader: String(headerLength) };
      case "header off":
        return { body: bytes, inferenceHeader: String(headerLength + delta) };
      case "header text":
        return { body: bytes, inferenceHeader: text };
      default:
        return { body: bytes, inferenceHeader: String(headerLength) };
    }
  });

function fuzzRequests(modelVersion: string): fc.Arbitrary<FuzzRequest> {
  const perEndpoint = endpoints(modelVersion).map(({ path, valid, body, wrap }) => {
    const text = body.map(render);
    const bodies: fc.Arbitrary<string | Uint8Array> = fc.oneof(
      { weight: 3, arbitrary: valid.map(render) },
      { weight: 10, arbitrary: text },
      { weight: 2, arbitrary: rawJson(6).map((raw) => raw.text) },
      { weight: 2, arbitrary: extremeBody(wrap) },
      // Cut anywhere, as by a client that gave up or a proxy that dropped the tail.
      {
        weight: 2,
        arbitrary: text.chain((t) =>
          fc.nat({ max: Math.max(0, t.length - 1) }).map((cut) => t.slice(0, cut)),
        ),
      },
      {
        weight: 2,
        arbitrary: fc
          .tuple(
            text,
            fc.array(fc.tuple(fc.nat(), fc.constantFrom(...BAD_UTF8)), { minLength: 1, maxLength: 3 }),
          )
          .map(([t, insertions]) => {
            const bytes = [...Buffer.from(t, "utf8")];
            for (const [at, bad] of insertions) bytes.splice(at % (bytes.length + 1), 0, ...bad);
            return Uint8Array.from(bytes);
          }),
      },
    );
    const paths = fc.oneof({ weight: 12, arbitrary: fc.constant(path) }, fc.constantFrom(...NEAR_MISS_PATHS));
    const json = fc.record({
      path: paths,
      method: METHODS,
      contentType: CONTENT_TYPES,
      withLength: fc.boolean(),
      body: bodies,
    });
    if (!path.startsWith("/v2/")) return json;
    const binary = fc
      .record({
        path: paths,
        method: METHODS,
        // tritonclient.http sends no Content-Type, the kserve client application/octet-stream.
        contentType: fc.oneof(
          fc.constantFrom(undefined, "application/octet-stream", "application/octet-stream; x=1"),
          CONTENT_TYPES,
        ),
        withLength: fc.boolean(),
        binary: binaryBodies,
      })
      .map(({ binary: { body, inferenceHeader }, ...rest }): FuzzRequest => {
        // "no header": an octet-stream body without the header is read as all JSON.
        return inferenceHeader === "" && rest.contentType === undefined
          ? { ...rest, body }
          : { ...rest, body, inferenceHeader };
      });
    return fc.oneof({ weight: 3, arbitrary: json }, { weight: 2, arbitrary: binary });
  });
  return fc.oneof(...perEndpoint);
}

function describeRequest(r: FuzzRequest): string {
  const body = typeof r.body === "string" ? r.body : Buffer.from(r.body).toString("latin1");
  const shown = body.length > 300 ? `${body.slice(0, 300)}… (${body.length} chars)` : body;
  return `${r.method} ${r.path} content-type=${JSON.stringify(r.contentType)} body=${JSON.stringify(shown)}`;
}

/** Internals that must never reach a client: stack frames, source paths, module names. */
const INTERNALS = /\n\s+at |node_modules|\/src\/|\.[cm]?[jt]s:\d+|\b(TypeError|RangeError|SyntaxError)\b/;

const gc: () => void = (() => {
  setFlagsFromString("--expose-gc");
  return runInNewContext("gc") as () => void;
})();
function heapUsedAfterGc(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

let classifier: Classifier;
let server: TestServer;
let tensorsBefore: number;
let heapBefore: number;
beforeAll(async () => {
  classifier = await loadCommittedModel();
  server = createTestServer(classifier);
  // Allocate once what TF.js, zod and the metrics allocate on first use; what grows after that is ours.
  for (let i = 0; i < 50; i++) await postJson(server.app, PATHS.predict, { features: FLOWERS.setosa });
  tensorsBefore = classifier.numTensors();
  heapBefore = heapUsedAfterGc();
});
afterAll(() => classifier.dispose());

describe(`${REQUEST_COUNT.toLocaleString("en-US")} fuzzed requests to every inference endpoint`, () => {
  const statuses = new Map<number, number>();
  const perPath = new Map<string, number>();
  let binaryAnswers = 0;
  let binaryRequests = 0;
  /** Answers read as JSON from a body not labelled JSON: the lenient path reaches the model, not just 4xx. */
  let unlabelledAnswered = 0;

  it("answers each with 2xx or 4xx and a JSON body that hides internals; never 5xx, never a fault in the log", async () => {
    const { app, logs } = server;
    await fc.assert(
      fc.asyncProperty(fuzzRequests(classifier.metadata.version), async (r) => {
        const headers: Record<string, string> = {};
        if (typeof r.contentType === "string") headers["content-type"] = r.contentType;
        if (r.withLength) headers["content-length"] = String(Buffer.byteLength(r.body));
        if (r.inferenceHeader !== undefined) headers["inference-header-content-length"] = r.inferenceHeader;
        const bodyAllowed = r.method !== "GET";
        const sent =
          r.contentType === NO_CONTENT_TYPE && typeof r.body === "string" ? Buffer.from(r.body) : r.body;
        const res = await app.request(r.path, {
          method: r.method,
          headers,
          body: bodyAllowed ? sent : undefined,
        });
        const raw = Buffer.from(await res.arrayBuffer());
        const text = raw.toString("utf8");
        if (r.inferenceHeader !== undefined) binaryRequests++;
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        perPath.set(r.path, (perPath.get(r.path) ?? 0) + 1);
        if (res.status === 200 && !r.contentType?.startsWith("application/json")) unlabelledAnswered++;
        const what = `${res.status} ${text.slice(0, 300)} for ${describeRequest(r)}`;

        const faults = logs.filter((l) => l.level === "error" || l.level === "fatal");
        logs.length = 0; // keep the heap measurement about the server, not about the captured log
        expect(faults, what).toEqual([]);
        expect([2, 4], what).toContain(Math.floor(res.status / 100));
        if (res.status === 204) {
          // OPTIONS on a known path: the allowed methods, no body.
          expect(r.method, what).toBe("OPTIONS");
          expect(res.headers.get("allow"), what).toBeTruthy();
          expect(text, what).toBe("");
          return;
        }
        if (res.status === 200 && res.headers.get("content-type") === "application/octet-stream") {
          // Binary outputs were asked for: the JSON part, of the length the header gives, parses.
          const length = Number(res.headers.get("inference-header-content-length"));
          expect(length, what).toBeGreaterThan(0);
          expect(JSON.parse(raw.subarray(0, length).toString("utf8")), what).toHaveProperty("outputs");
          binaryAnswers++;
          return;
        }
        expect(res.headers.get("content-type"), what).toMatch(/^application\/json/);
        const body = JSON.parse(text) as { error?: unknown };
        if (res.status >= 400) expect(typeof body.error, what).toBe("string");
        expect(text, what).not.toMatch(INTERNALS);
      }),
      { numRuns: REQUEST_COUNT },
    );

    const total = [...statuses.values()].reduce((a, b) => a + b, 0);
    expect(total).toBeGreaterThanOrEqual(REQUEST_COUNT);
    // The generators reach every answer the endpoints give, so "no 5xx" is not vacuous.
    for (const status of [200, 400, 404, 405, 413, 415]) {
      expect(statuses.get(status) ?? 0, `answers with status ${status}`).toBeGreaterThan(20);
    }
    // Binary tensor data bodies are a fair share of the V2 traffic, and some are answered in binary.
    expect(binaryRequests).toBeGreaterThan(REQUEST_COUNT / 8);
    expect(binaryAnswers).toBeGreaterThan(20);
    expect(unlabelledAnswered, "200s for bodies without a JSON Content-Type").toBeGreaterThan(200);
    for (const { path } of endpoints(classifier.metadata.version)) {
      expect(perPath.get(path) ?? 0, path).toBeGreaterThan(REQUEST_COUNT / 8);
    }
  });

  it("answers a body the same whether labelled application/json, text/plain, form-urlencoded or not at all", async () => {
    const { app } = server;
    const labels: readonly (string | null)[] = [
      "text/plain;charset=UTF-8",
      "application/x-www-form-urlencoded",
      NO_CONTENT_TYPE,
    ];
    let answered = 0;
    const send = async (path: string, body: string | Uint8Array, type: string | null) => {
      const res = await app.request(path, {
        method: "POST",
        headers: type === NO_CONTENT_TYPE ? {} : { "content-type": type },
        body: typeof body === "string" && type === NO_CONTENT_TYPE ? Buffer.from(body) : body,
      });
      const text = await res.text();
      // What differs between two answers to the same body: timing, and V2's id (the request id if absent).
      const comparable = text
        .replace(/"processing_time_ms":[0-9.e+-]+/g, '"processing_time_ms":0')
        .replace(/"id":"[0-9a-f-]{36}"/, '"id":""');
      return `${res.status} ${comparable}`;
    };
    const perEndpoint = endpoints(classifier.metadata.version).map(({ path, valid, body }) =>
      fc.record({
        path: fc.constant(path),
        body: fc.oneof(
          valid.map(render),
          body.map(render),
          rawJson(4).map((raw) => raw.text),
        ),
        label: fc.constantFrom(...labels),
      }),
    );
    await fc.assert(
      fc.asyncProperty(fc.oneof(...perEndpoint), async ({ path, body, label }) => {
        const asJson = await send(path, body, "application/json");
        if (asJson.startsWith("200 ")) answered++;
        expect(await send(path, body, label), `${path} ${String(label)} ${body.slice(0, 200)}`).toBe(asJson);
      }),
      { numRuns: 1500 },
    );
    expect(answered).toBeGreaterThan(300);
    server.logs.length = 0;
  });

  it("leaves the app live and ready, nothing in flight and no server fault counted", async () => {
    const { app } = server;
    expect((await app.request(PATHS.health)).status).toBe(200);
    expect((await app.request(PATHS.ready)).status).toBe(200);
    const after = await postJson(app, PATHS.predict, { features: FLOWERS.virginica });
    expect(await after.json()).toMatchObject({ class: "virginica" });
    const exposition = await (await app.request(PATHS.metrics)).text();
    const samples = parseExposition(exposition);
    expect(sampleValue(samples, METRICS.inflightRequests)).toBe(0);
    expect(countValue(exposition, METRICS.errors, { type: ERROR_TYPES.internal })).toBe(0);
    const serverErrors = samples.filter(
      (s) => s.name === METRICS.httpRequests && Number(s.labels.status) >= 500,
    );
    expect(serverErrors).toEqual([]);
  });

  it("leaves the tensor count unchanged and the heap within 32 MiB of where it started", () => {
    expect(classifier.numTensors()).toBe(tensorsBefore);
    const grownMiB = (heapUsedAfterGc() - heapBefore) / 2 ** 20;
    expect(grownMiB).toBeLessThan(32);
  });
});
