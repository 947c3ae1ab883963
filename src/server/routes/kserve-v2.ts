/** Open Inference Protocol (KServe V2) REST: server metadata, health, model metadata/readiness, infer. */
import { type OpenAPIHono, createRoute, z } from "@hono/zod-openapi";
import type { Context, MiddlewareHandler } from "hono";
import {
  BINARY_MEDIA_TYPE,
  BINARY_TENSOR_DATA_EXTENSION,
  INFERENCE_HEADER_CONTENT_LENGTH,
  decodeBinaryRequest,
  encodeBinaryResponse,
  isBinaryRequest,
} from "../api/binary-tensors.js";
import {
  type V2InferenceRequest,
  V2_OUTPUT_ALIASES,
  v2InputRows,
  v2ModelMetadata,
  v2Outputs,
  v2RequestedOutputs,
  v2Schemas,
} from "../api/kserve-v2.js";
import {
  BODY_ERROR_RESPONSES,
  INTERNAL_ERROR_RESPONSES,
  UNAVAILABLE_RESPONSES,
  jsonError,
  jsonResponse as json,
} from "../api/responses.js";
import { type ServedModel, assertScored } from "../api/rows.js";
import { invalidRequest, jsonRequestBody } from "../api/validation.js";
import type { InferenceEngine } from "../inference-engine.js";
import type { Lifecycle } from "../lifecycle.js";
import { type AppEnv, requestHeader } from "../middleware/app-env.js";
import { bytesWithRequestId, jsonWithRequestId } from "../middleware/request-id.js";
import { requireServedModel } from "../middleware/served-model.js";

/** A binary tensor data body: JSON inference header, then raw tensors. */
const binaryBody = z.string().openapi({
  format: "binary",
  description:
    "`Inference-Header-Content-Length` bytes of JSON inference request or response, then the binary tensors in order.",
});

/** Name this server gives itself in `GET /v2`. */
export const SERVER_NAME = "infer8s";

export interface KServeV2RouteOptions {
  readonly model: ServedModel;
  readonly engine: InferenceEngine;
  readonly lifecycle: Lifecycle;
  readonly maxRowsPerRequest: number;
  readonly serverVersion: string;
  /** Runs before validation of `infer`: body limit, in-flight tracking. */
  readonly middleware: MiddlewareHandler<AppEnv>[];
}

const TAGS = ["kserve-v2"];
const notFound = jsonError("No model by that name or version.");

const nameParam = z.string().openapi({ param: { name: "model_name", in: "path" }, example: "iris" });
const versionParam = z.string().openapi({ param: { name: "model_version", in: "path" } });
/** Every model route exists with and without `/versions/{model_version}`. */
const MODEL_PATHS = [
  { prefix: "/v2/models/{model_name}", params: z.object({ model_name: nameParam }) },
  {
    prefix: "/v2/models/{model_name}/versions/{model_version}",
    params: z.object({ model_name: nameParam, model_version: versionParam }),
  },
] as const;

/** Paths of the V2 health probes. */
export const V2_HEALTH_PATHS = { live: "/v2/health/live", ready: "/v2/health/ready" } as const;

/** `GET /v2/health/live` and `/v2/health/ready`: the routes that also exist while the model is loading. */
export function registerV2HealthRoutes(app: OpenAPIHono<AppEnv>, lifecycle: Lifecycle): void {
  const tags = TAGS;
  app.openapi(
    createRoute({
      method: "get",
      path: V2_HEALTH_PATHS.live,
      tags,
      summary: "Server live",
      responses: { 200: json(v2Schemas.live, "The server is live."), ...INTERNAL_ERROR_RESPONSES },
    }),
    (c) => c.json({ live: true }, 200),
  );
  app.openapi(
    createRoute({
      method: "get",
      path: V2_HEALTH_PATHS.ready,
      tags,
      summary: "Server ready: 503 while loading or draining",
      responses: {
        200: json(v2Schemas.ready, "Ready for inference."),
        503: json(v2Schemas.ready, "Loading the model, or shutting down."),
        ...INTERNAL_ERROR_RESPONSES,
      },
    }),
    (c) => (lifecycle.ready ? c.json({ ready: true }, 200) : c.json({ ready: false }, 503)),
  );
}

export function registerKServeV2Routes(
  app: OpenAPIHono<AppEnv>,
  { model, engine, maxRowsPerRequest, serverVersion, middleware }: KServeV2RouteOptions,
): void {
  registerV2ServerMetadataRoutes(app, serverVersion);

  const featureCount = model.featureNames.length;
  /** The most values an input the model accepts can hold; larger binary tensors are refused unread. */
  const maxElements = maxRowsPerRequest * featureCount;
  /** The one inference path, for JSON and binary requests alike. */
  async function infer(c: Context<AppEnv>, request: V2InferenceRequest): Promise<Response> {
    const outputs = v2RequestedOutputs(request);
    const { features, rows } = v2InputRows(request, featureCount, maxRowsPerRequest);
    const result = await engine.infer(features, rows);
    assertScored(result, (row) => `inputs[0] row ${row}`);
    const response = {
      model_name: model.name,
      model_version: model.version,
      id: request.id ?? c.get("requestId"),
      outputs: v2Outputs(result, outputs, model.classNames),
    };
    if (!outputs.some((o) => o.binary)) return jsonWithRequestId(c, response, 200);
    const { body, headerLength } = encodeBinaryResponse(
      response,
      outputs.map((o) => o.binary),
    );
    return bytesWithRequestId(c, body, 200, {
      "content-type": BINARY_MEDIA_TYPE,
      [INFERENCE_HEADER_CONTENT_LENGTH]: String(headerLength),
    });
  }

  /**
   * Binary tensor data requests are answered here, before the JSON body validation (which would refuse
   * their media type): the body is read (through the body limit in front), turned into the JSON request
   * it stands for, validated by the same schema, and inferred by the same path.
   */
  const binaryTensors: MiddlewareHandler<AppEnv> = async function binaryTensorData(c, next) {
    const headerLength = requestHeader(c, "inference-header-content-length");
    if (!isBinaryRequest(headerLength, requestHeader(c, "content-type"))) return next();
    const body = new Uint8Array(await c.req.arrayBuffer());
    const decoded = decodeBinaryRequest(body, headerLength, { maxElements });
    const parsed = v2Schemas.inferenceRequest.safeParse(decoded);
    if (!parsed.success) throw invalidRequest(parsed.error.issues, decoded);
    return infer(c, parsed.data);
  };

  // JSON (validated by the route) or binary tensor data (answered by `binaryTensors` before validation).
  const jsonBody = jsonRequestBody(v2Schemas.inferenceRequest);
  const inferBody = {
    ...jsonBody,
    content: { ...jsonBody.content, [BINARY_MEDIA_TYPE]: { schema: binaryBody } },
  };

  for (const path of MODEL_PATHS) {
    const servedOnly = requireServedModel(model);
    registerV2ModelRoutes(app, model, path, servedOnly);
    registerV2InferRoute(app, path, {
      middleware: [servedOnly, ...middleware, binaryTensors],
      body: inferBody,
      handler: infer,
    });
  }
}

/** `GET /v2` (and `/v2/`, as the OIP REST OpenAPI file writes the path; answered the same, not redirected). */
function registerV2ServerMetadataRoutes(app: OpenAPIHono<AppEnv>, serverVersion: string): void {
  const serverMetadata = {
    name: SERVER_NAME,
    version: serverVersion,
    extensions: [BINARY_TENSOR_DATA_EXTENSION],
  };
  for (const path of ["/v2", "/v2/"]) {
    app.openapi(
      createRoute({
        method: "get",
        path,
        tags: TAGS,
        summary: "Server metadata",
        responses: {
          200: json(v2Schemas.serverMetadata, "Server name, version and extensions."),
          ...UNAVAILABLE_RESPONSES,
        },
      }),
      (c) => c.json(serverMetadata, 200),
    );
  }
}

/** `GET <prefix>` (model metadata) and `GET <prefix>/ready` for one of the `MODEL_PATHS`. */
function registerV2ModelRoutes(
  app: OpenAPIHono<AppEnv>,
  model: ServedModel,
  { prefix, params }: (typeof MODEL_PATHS)[number],
  servedOnly: MiddlewareHandler<AppEnv>,
): void {
  const modelMetadata = v2ModelMetadata(model);
  const modelReady = { name: model.name, ready: true };
  app.openapi(
    createRoute({
      method: "get",
      path: prefix,
      tags: TAGS,
      summary: "Model metadata",
      middleware: [servedOnly],
      request: { params },
      responses: {
        200: json(v2Schemas.modelMetadata, "Inputs, outputs, versions, platform."),
        404: notFound,
        ...UNAVAILABLE_RESPONSES,
      },
    }),
    (c) => c.json(modelMetadata, 200),
  );
  app.openapi(
    createRoute({
      method: "get",
      path: `${prefix}/ready`,
      tags: TAGS,
      summary: "Model ready",
      middleware: [servedOnly],
      request: { params },
      responses: {
        200: json(v2Schemas.modelReady, "The model is loaded."),
        404: notFound,
        ...UNAVAILABLE_RESPONSES,
      },
    }),
    (c) => c.json(modelReady, 200),
  );
}

/** What the infer route runs: middleware in front, the request body it documents, the inference path. */
interface V2InferRoute {
  readonly middleware: MiddlewareHandler<AppEnv>[];
  readonly body: ReturnType<typeof jsonRequestBody>;
  readonly handler: (c: Context<AppEnv>, request: V2InferenceRequest) => Promise<Response>;
}

/** `POST <prefix>/infer` for one of the `MODEL_PATHS`. */
function registerV2InferRoute(
  app: OpenAPIHono<AppEnv>,
  { prefix, params }: (typeof MODEL_PATHS)[number],
  route: V2InferRoute,
): void {
  app.openapi(
    createRoute({
      method: "post",
      path: `${prefix}/infer`,
      tags: TAGS,
      summary: "Inference",
      description:
        "One input of shape [N, 4] (FP32, FP64 or an integer type; data flat or nested). Outputs: " +
        "`class_index` INT64 [N], `class_name` BYTES [N], `probabilities` FP32 [N, 3]; all unless `outputs` " +
        `names some (${Object.entries(V2_OUTPUT_ALIASES)
          .map(([alias, name]) => `\`${alias}\` is another name for \`${name}\``)
          .join(", ")}). ` +
        "Binary tensor data extension: send `application/octet-stream` (or any body with an " +
        "`Inference-Header-Content-Length` header): that many bytes of JSON request, then each input that " +
        "has `parameters.binary_data_size` as raw little-endian values. `binary_data_output` (request) or " +
        "`binary_data` (output) parameters ask for outputs the same way; BYTES elements are length-prefixed.",
      middleware: route.middleware,
      request: {
        params,
        body: route.body,
      },
      responses: {
        200: {
          description: "The requested output tensors; binary ones after the JSON when any were asked for.",
          content: {
            "application/json": { schema: v2Schemas.inferenceResponse },
            [BINARY_MEDIA_TYPE]: { schema: binaryBody },
          },
          headers: z.object({
            [INFERENCE_HEADER_CONTENT_LENGTH]: z.string().optional().openapi({
              description: "With a binary answer: the length in bytes of its JSON part.",
            }),
          }),
        },
        ...BODY_ERROR_RESPONSES,
        404: notFound,
        ...UNAVAILABLE_RESPONSES,
      },
    }),
    // Only JSON bodies reach the validator (binary ones were answered above), so this is the JSON schema's.
    async (c) => route.handler(c, c.req.valid("json") as V2InferenceRequest),
  );
}
