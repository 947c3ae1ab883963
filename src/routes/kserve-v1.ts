/** KServe V1 data plane: list, model readiness, `:predict`. */
import { type OpenAPIHono, createRoute, z } from "@hono/zod-openapi";
import type { MiddlewareHandler } from "hono";
import { V1_PREDICT_SUFFIX, createV1Schemas } from "../api/kserve-v1.js";
import { BODY_ERROR_RESPONSES, jsonError } from "../api/responses.js";
import { type RowSchemas, type ServedModel, assertScored, packRows } from "../api/rows.js";
import type { InferenceEngine } from "../inference-engine.js";
import type { AppEnv } from "../middleware/app-env.js";
import { requireServedModel } from "../middleware/served-model.js";

export interface KServeV1RouteOptions {
  readonly model: ServedModel;
  readonly engine: InferenceEngine;
  readonly rows: RowSchemas;
  /** Runs before validation of `:predict`: body limit, in-flight tracking. */
  readonly middleware: MiddlewareHandler<AppEnv>[];
}

const modelParams = z.object({
  model_name: z.string().openapi({ param: { name: "model_name", in: "path" }, example: "iris" }),
});

// `/v1/models/iris:predict` glues the verb to the model name. OpenAPI can template that
// (`{model_name}:predict`), Hono's `:param` syntax cannot; so these routes are documented under their
// OpenAPI path and routed by Hono patterns whose regexes keep `iris` and `iris:predict` apart.
const HONO_MODEL_PATH = "/v1/models/:model_name{[^/:]+}";
const HONO_PREDICT_PATH = `/v1/models/:model_name{[^/]+${V1_PREDICT_SUFFIX}}`;

/** Metric/log route labels for the V1 patterns above, without their regexes. */
export const V1_ROUTE_LABELS: ReadonlyMap<string, string> = new Map([
  [HONO_MODEL_PATH, "/v1/models/:model_name"],
  [HONO_PREDICT_PATH, `/v1/models/:model_name${V1_PREDICT_SUFFIX}`],
]);

export function registerKServeV1Routes(
  app: OpenAPIHono<AppEnv>,
  { model, engine, rows, middleware }: KServeV1RouteOptions,
): void {
  const schemas = createV1Schemas(rows);
  const tags = ["kserve-v1"];
  const listBody = { models: [model.name] };
  const readyBody = { name: model.name, ready: true };

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/models",
      tags,
      summary: "List served models",
      responses: {
        200: {
          description: "Model names.",
          content: { "application/json": { schema: schemas.listResponse } },
        },
      },
    }),
    (c) => c.json(listBody, 200),
  );

  const readyRoute = createRoute({
    method: "get",
    path: "/v1/models/{model_name}",
    tags,
    summary: "Model readiness",
    middleware: [requireServedModel(model)],
    request: { params: modelParams },
    responses: {
      200: {
        description: "The model is loaded.",
        content: { "application/json": { schema: schemas.readyResponse } },
      },
      404: jsonError("No model by that name."),
    },
  });
  app.openAPIRegistry.registerPath(readyRoute);
  app.openapi({ ...readyRoute, path: HONO_MODEL_PATH, hide: true }, (c) => c.json(readyBody, 200));

  const predictRoute = createRoute({
    method: "post",
    path: `/v1/models/{model_name}${V1_PREDICT_SUFFIX}`,
    tags,
    summary: "Predict class indices for instances",
    description:
      '`{"instances": [[5.1, 3.5, 1.4, 0.2], …]}` (rows as lists or named objects) → `{"predictions": [0, …]}`, ' +
      "the class index per row, as KServe's scikit-learn runtime answers.",
    middleware: [requireServedModel(model, V1_PREDICT_SUFFIX), ...middleware],
    request: {
      params: modelParams,
      body: { content: { "application/json": { schema: schemas.predictRequest } }, required: true },
    },
    responses: {
      200: {
        description: "Class index per row.",
        content: { "application/json": { schema: schemas.predictResponse } },
      },
      ...BODY_ERROR_RESPONSES,
      404: jsonError("No model by that name."),
    },
  });
  app.openAPIRegistry.registerPath(predictRoute);
  app.openapi({ ...predictRoute, path: HONO_PREDICT_PATH, hide: true }, async (c) => {
    const { instances } = c.req.valid("json");
    const result = await engine.infer(packRows(instances, model.featureNames), instances.length);
    assertScored(result, (row) => `instances[${row}]`);
    return c.json({ predictions: Array.from(result.classIndices) }, 200);
  });
}
