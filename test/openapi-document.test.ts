/**
 * `/openapi.json` is a valid OpenAPI 3 document (strict validation by @apidevtools/swagger-parser, as code
 * generators run it), and it tells the truth: representative requests reach every operation and every
 * status it declares, and each answer is declared for its operation and status, with the declared media
 * type, and validates against the declared schema (ajv, `$ref`s resolved). Objects are checked closed: a
 * field the server sends but the document does not describe fails too.
 */
import SwaggerParser from "@apidevtools/swagger-parser";
import { Ajv, type ValidateFunction } from "ajv";
import type { OpenAPIV3 } from "openapi-types";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createStartingApp } from "../src/server/app.js";
import { PATHS } from "../src/contract/index.js";
import type { InferenceEngine } from "../src/server/inference-engine.js";
import { Lifecycle } from "../src/server/lifecycle.js";
import { createLogger } from "../src/server/logger.js";
import { ServerMetrics } from "../src/server/metrics.js";
import { QueueFullError } from "../src/model/micro-batcher.js";
import type { Classifier } from "../src/model/load-model.js";
import { FLOWERS, type TestServer, createTestServer, loadCommittedModel } from "./server-fixtures.js";

type Method = "get" | "post";

/** One request, the operation it is meant for (path template as in the document) and where to send it. */
interface Probe {
  readonly operation: `${Uppercase<Method>} ${string}`;
  readonly path: string;
  readonly body?: unknown;
  readonly headers?: Record<string, string>;
  readonly app?: "full" | "starting" | "failing" | "overloaded" | "small";
}

const ROW = FLOWERS.setosa;
const json = (value: unknown) => (typeof value === "string" ? value : JSON.stringify(value));
const v2 = (data: unknown, extra: Record<string, unknown> = {}) => ({
  inputs: [{ name: "input-0", shape: [1, 4], datatype: "FP32", data }],
  ...extra,
});

const V1_MODEL = "GET /v1/models/{model_name}";
const V1_PREDICT = "POST /v1/models/{model_name}:predict";
const V2_PREFIXES = ["/v2/models/{model_name}", "/v2/models/{model_name}/versions/{model_version}"];

function probes(version: string): Probe[] {
  const concrete = (prefix: string, name = "iris", v = version) =>
    prefix.replace("{model_name}", name).replace("{model_version}", v);
  const inference = (operation: Probe["operation"], path: string, valid: unknown): Probe[] => [
    { operation, path, body: valid },
    { operation, path, body: valid, headers: { "content-type": "application/x-www-form-urlencoded" } },
    { operation, path, body: "{not json" },
    { operation, path, body: { nonsense: true } },
    { operation, path, body: valid, headers: { "content-type": "application/xml" } },
    { operation, path, body: { note: "x".repeat(70_000) }, app: "small" },
    { operation, path, body: valid, app: "small" },
    { operation, path, body: valid, app: "starting" },
    { operation, path, body: valid, app: "failing" },
    { operation, path, body: valid, app: "overloaded" },
  ];
  const list: Probe[] = [
    { operation: "GET /health", path: PATHS.health },
    { operation: "GET /ready", path: PATHS.ready },
    { operation: "GET /ready", path: PATHS.ready, app: "starting" },
    { operation: "GET /metrics", path: PATHS.metrics },
    { operation: "GET /v2/health/live", path: "/v2/health/live" },
    { operation: "GET /v2/health/ready", path: "/v2/health/ready" },
    { operation: "GET /v2/health/ready", path: "/v2/health/ready", app: "starting" },
    { operation: "GET /info", path: PATHS.info },
    { operation: "GET /info", path: PATHS.info, app: "starting" },
    ...inference("POST /predict", PATHS.predict, { features: ROW }),
    { operation: "POST /predict", path: PATHS.predict, body: { instances: [ROW, FLOWERS.virginica] } },
    { operation: "POST /predict", path: PATHS.predict, body: { instances: [ROW, ROW] }, app: "small" },
    { operation: "GET /v1/models", path: "/v1/models" },
    { operation: "GET /v1/models", path: "/v1/models", app: "starting" },
    { operation: V1_MODEL, path: "/v1/models/iris" },
    { operation: V1_MODEL, path: "/v1/models/rose" },
    { operation: V1_MODEL, path: "/v1/models/iris:explain" },
    { operation: V1_MODEL, path: "/v1/models/iris", app: "starting" },
    ...inference(V1_PREDICT, "/v1/models/iris:predict", { instances: [ROW] }),
    { operation: V1_PREDICT, path: "/v1/models/iris:predict", body: { inputs: [ROW, ROW] } },
    { operation: V1_PREDICT, path: "/v1/models/iris:predict", body: { inputs: [ROW], instances: [ROW] } },
    { operation: V1_PREDICT, path: "/v1/models/rose:predict", body: { instances: [ROW] } },
    { operation: "GET /v2", path: "/v2" },
    { operation: "GET /v2", path: "/v2", app: "starting" },
    { operation: "GET /v2/", path: "/v2/" },
    { operation: "GET /v2/", path: "/v2/", app: "starting" },
  ];
  for (const prefix of V2_PREFIXES) {
    for (const suffix of ["", "/ready"]) {
      const operation = `GET ${prefix}${suffix}` as const;
      list.push(
        { operation, path: `${concrete(prefix)}${suffix}` },
        { operation, path: `${concrete(prefix, "rose")}${suffix}` },
        { operation, path: `${concrete(prefix)}${suffix}`, app: "starting" },
      );
    }
    const infer = `POST ${prefix}/infer` as const;
    const path = `${concrete(prefix)}/infer`;
    list.push(
      ...inference(infer, path, v2(ROW)),
      { operation: infer, path, body: v2(ROW, { id: "a", outputs: [{ name: "class_name" }] }) },
      // Binary tensor data: a JSON request may ask for binary outputs; the answer is octet-stream.
      {
        operation: infer,
        path,
        body: v2(ROW, { outputs: [{ name: "class_index", parameters: { binary_data: true } }] }),
      },
      { operation: infer, path: `${concrete(prefix, "rose")}/infer`, body: v2(ROW) },
      { operation: infer, path, body: v2([1, 2]) },
    );
  }
  list.push({
    operation: "POST /v2/models/{model_name}/versions/{model_version}/infer",
    path: `${concrete(V2_PREFIXES[1] ?? "", "iris", "0")}/infer`,
    body: v2(ROW),
  });
  return list;
}

/** 500 is declared on every operation; only those that run the model can be made to fail in a test. */
const UNREACHABLE = (operation: string, status: string) => status === "500" && !/^POST /.test(operation);

let classifier: Classifier;
let apps: Record<NonNullable<Probe["app"]>, TestServer["app"]>;
let document: OpenAPIV3.Document;

beforeAll(async () => {
  classifier = await loadCommittedModel();
  const engine = (infer: InferenceEngine["infer"]): InferenceEngine => ({
    featureCount: 4,
    classCount: 3,
    infer,
  });
  apps = {
    full: createTestServer(classifier).app,
    small: createTestServer(classifier, { config: { maxRowsPerRequest: 1, bodyLimitBytes: 65_536 } }).app,
    failing: createTestServer(classifier, { engine: engine(() => Promise.reject(new Error("boom"))) }).app,
    overloaded: createTestServer(classifier, {
      engine: engine(() => Promise.reject(new QueueFullError(10, 10))),
    }).app,
    starting: createStartingApp({
      metrics: new ServerMetrics(),
      logger: createLogger("silent"),
      lifecycle: new Lifecycle(),
    }),
  };
  document = (await (await apps.full.request("/openapi.json")).json()) as OpenAPIV3.Document;
});
afterAll(() => classifier.dispose());

describe("GET /openapi.json", () => {
  it("passes strict OpenAPI 3 validation", async () => {
    await expect(
      SwaggerParser.validate(structuredClone(document), { resolve: { external: false } }),
    ).resolves.toBeDefined();
  });

  it("fails validation when an operation carries a field OpenAPI does not define", async () => {
    const broken = structuredClone(document);
    Object.assign(broken.paths["/predict"]?.post ?? {}, { middleware: [{}] });
    await expect(SwaggerParser.validate(broken, { resolve: { external: false } })).rejects.toThrow(
      /must NOT have additional properties/,
    );
  });

  it("declares every answer the server gives, each matching its schema, and every declared status is reached", async () => {
    const resolved = (await SwaggerParser.dereference(structuredClone(document), {
      resolve: { external: false },
    })) as OpenAPIV3.Document;
    const ajv = new Ajv({ allErrors: true, strict: true });
    ajv.addKeyword("example");
    const validators = new Map<object, ValidateFunction>();

    const reached = new Set<string>();
    const problems: string[] = [];
    for (const probe of probes(classifier.metadata.version)) {
      const [verb, template] = probe.operation.split(" ") as [string, string];
      const method = verb.toLowerCase() as Method;
      const operation = resolved.paths[template]?.[method];
      expect(operation, `${probe.operation} is in the document`).toBeDefined();
      const headers: Record<string, string> =
        probe.body === undefined ? {} : { "content-type": "application/json", ...probe.headers };
      const res = await apps[probe.app ?? "full"].request(probe.path, {
        method: verb,
        headers,
        body: probe.body === undefined ? undefined : json(probe.body),
      });
      const status = String(res.status);
      const what = `${verb} ${probe.path} (${probe.app ?? "full"} app) answered ${status}`;
      reached.add(`${probe.operation} ${status}`);
      const declared = operation?.responses[status] as OpenAPIV3.ResponseObject | undefined;
      if (!declared) {
        problems.push(`${what}, not declared for ${probe.operation}`);
        continue;
      }
      const mediaType = (res.headers.get("content-type") ?? "").split(";")[0] ?? "";
      const content = declared.content?.[mediaType];
      if (!content?.schema) {
        problems.push(
          `${what} as ${mediaType}, declared as ${Object.keys(declared.content ?? {}).join(", ")}`,
        );
        continue;
      }
      if (mediaType === "application/octet-stream") {
        // Binary tensor data: no JSON schema to apply; the declared headers must come with a body.
        const missing = Object.keys(declared.headers ?? {}).filter((h) => !res.headers.has(h));
        if (missing.length > 0) problems.push(`${what} without declared headers ${missing.join(", ")}`);
        if ((await res.arrayBuffer()).byteLength === 0) problems.push(`${what} with an empty binary body`);
        continue;
      }
      const body: unknown = mediaType === "application/json" ? await res.json() : await res.text();
      let validate = validators.get(content.schema);
      if (!validate) {
        validate = ajv.compile(closed(content.schema) as object);
        validators.set(content.schema, validate);
      }
      if (!validate(body)) problems.push(`${what}: ${ajv.errorsText(validate.errors)}`);
    }
    expect(problems).toEqual([]);

    const unreached = Object.entries(resolved.paths).flatMap(([template, item]) =>
      (["get", "post"] as const).flatMap((method) =>
        Object.keys(item?.[method]?.responses ?? {})
          .map((status) => `${method.toUpperCase()} ${template} ${status}`)
          .filter(
            (key) => !reached.has(key) && !UNREACHABLE(key.slice(0, key.lastIndexOf(" ")), key.slice(-3)),
          ),
      ),
    );
    expect(unreached).toEqual([]);
  });
});

/**
 * The schema with every object closed (`additionalProperties: false` where it says nothing), so an
 * undocumented field in an answer is a failure. Error bodies, which allow extra fields, say so explicitly.
 * Also the one OpenAPI 3.0 spelling ajv refuses: `nullable` with no `type`, which OpenAPI 3.0.3 ignores.
 */
function closed(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(closed);
  if (schema === null || typeof schema !== "object") return schema;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(schema)) {
    out[key] = key === "example" || key === "enum" ? value : closed(value);
  }
  if (out.type === "object" && out.properties && !("additionalProperties" in out)) {
    out.additionalProperties = false;
  }
  // OpenAPI 3.0: `nullable` only qualifies a `type` (zod-openapi writes `{nullable: true}` for unknown values).
  if (out.nullable !== undefined && out.type === undefined) delete out.nullable;
  return out;
}
