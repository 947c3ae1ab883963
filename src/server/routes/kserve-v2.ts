/** Open Inference Protocol (KServe V2) REST: server metadata, health, model metadata/readiness, infer. */
import { type OpenAPIHono, createRoute, z } from "@hono/zod-openapi";
import type { MiddlewareHandler } from "hono";
import { v2InputRows, v2ModelMetadata, v2Outputs, v2RequestedOutputs, v2Schemas } from "../api/kserve-v2.js";
import {
  BODY_ERROR_RESPONSES,
  INTERNAL_ERROR_RESPONSES,
  UNAVAILABLE_RESPONSES,
  jsonError,
  jsonResponse as json,
} from "../api/responses.js";
import { type ServedModel, assertScored } from "../api/rows.js";
import { jsonRequestBody } from "../api/validation.js";
import type { InferenceEngine } from "../inference-engine.js";
import type { Lifecycle } from "../lifecycle.js";
import type { AppEnv } from "../middleware/app-env.js";
import { jsonWithRequestId } from "../middleware/request-id.js";
import { requireServedModel } from "../middleware/served-model.js";

/** Name this server gives itself in `GET /v2`. */
export const SERVER_NAME = "infer8s";

export interface KServeV2RouteOptions {
  readonly model: ServedModel;
  readonly engine: InferenceEngine;
  readonly lifecycle: Lifecycle;
  readonly maxBatchRows: number;
  readonly serverVersion: string;
  /** Runs before validation of `infer`: body limit, in-flight tracking. */
  readonly middleware: MiddlewareHandler<AppEnv>[];
}

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

/** `GET /v2/health/live` and `/v2/health/ready`: the routes that also exist while the model is loading. */
export function registerV2HealthRoutes(app: OpenAPIHono<AppEnv>, lifecycle: Lifecycle): void {
  const tags = ["kserve-v2"];
  app.openapi(
    createRoute({
      method: "get",
      path: "/v2/health/live",
      tags,
      summary: "Server live",
      responses: { 200: json(v2Schemas.live, "The server is live."), ...INTERNAL_ERROR_RESPONSES },
    }),
    (c) => c.json({ live: true }, 200),
  );
  app.openapi(
    createRoute({
      method: "get",
      path: "/v2/health/ready",
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
  { model, engine, maxBatchRows, serverVersion, middleware }: KServeV2RouteOptions,
): void {
  const tags = ["kserve-v2"];
  const serverMetadata = { name: SERVER_NAME, version: serverVersion, extensions: [] as string[] };
  const modelMetadata = v2ModelMetadata(model);
  const modelReady = { name: model.name, ready: true };
  const notFound = jsonError("No model by that name or version.");

  app.openapi(
    createRoute({
      method: "get",
      path: "/v2",
      tags,
      summary: "Server metadata",
      responses: {
        200: json(v2Schemas.serverMetadata, "Server name, version and extensions."),
        ...UNAVAILABLE_RESPONSES,
      },
    }),
    (c) => c.json(serverMetadata, 200),
  );

  for (const { prefix, params } of MODEL_PATHS) {
    const servedOnly = requireServedModel(model);
    app.openapi(
      createRoute({
        method: "get",
        path: prefix,
        tags,
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
        tags,
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
    app.openapi(
      createRoute({
        method: "post",
        path: `${prefix}/infer`,
        tags,
        summary: "Inference",
        description:
          "One input of shape [N, 4] (FP32, FP64 or an integer type; data flat or nested). Outputs: " +
          "`class_index` INT64 [N], `class_name` BYTES [N], `probabilities` FP32 [N, 3]; all unless `outputs` names some.",
        middleware: [servedOnly, ...middleware],
        request: {
          params,
          body: jsonRequestBody(v2Schemas.inferenceRequest),
        },
        responses: {
          200: json(v2Schemas.inferenceResponse, "The requested output tensors."),
          ...BODY_ERROR_RESPONSES,
          404: notFound,
          ...UNAVAILABLE_RESPONSES,
        },
      }),
      async (c) => {
        const request = c.req.valid("json");
        const outputs = v2RequestedOutputs(request);
        const { features, rows } = v2InputRows(request, model.featureNames.length, maxBatchRows);
        const result = await engine.infer(features, rows);
        assertScored(result, (row) => `inputs[0] row ${row}`);
        return jsonWithRequestId(
          c,
          {
            model_name: model.name,
            model_version: model.version,
            id: request.id ?? c.get("requestId"),
            outputs: v2Outputs(result, outputs, model.classNames),
          },
          200,
        );
      },
    );
  }
}
