/** `POST /predict`: the seeds' API, three request forms, one answer shape. */
import { type OpenAPIHono, createRoute } from "@hono/zod-openapi";
import type { MiddlewareHandler } from "hono";
import { createPredictSchemas, plainPredictRequest, predictRows, toPredictions } from "../api/predict.js";
import { BODY_ERROR_RESPONSES, UNAVAILABLE_RESPONSES } from "../api/responses.js";
import { jsonRequestBody } from "../api/validation.js";
import type { RowSchemas, ServedModel } from "../api/rows.js";
import { PATHS } from "../../contract/index.js";
import type { InferenceEngine } from "../inference-engine.js";
import type { AppEnv } from "../middleware/app-env.js";
import { jsonWithRequestId } from "../middleware/request-id.js";

export interface PredictRouteOptions {
  readonly model: ServedModel;
  readonly engine: InferenceEngine;
  readonly rows: RowSchemas;
  /** Runs before validation: body limit, in-flight tracking. */
  readonly middleware: MiddlewareHandler<AppEnv>[];
}

export function registerPredictRoute(
  app: OpenAPIHono<AppEnv>,
  { model, engine, rows, middleware }: PredictRouteOptions,
): void {
  const schemas = createPredictSchemas(model, rows);
  const route = createRoute({
    method: "post",
    path: PATHS.predict,
    tags: ["predict"],
    summary: "Classify one flower or a batch",
    description:
      'Send `{"features": [5.1, 3.5, 1.4, 0.2]}`, `{"sepal_length": 5.1, …}` or `{"instances": [rows]}`. ' +
      'One row answers one prediction object; `instances` answers `{"predictions": [...]}` in request order.',
    middleware,
    request: { body: jsonRequestBody(schemas.request, plainPredictRequest(rows.plain)) },
    responses: {
      200: {
        description: "The prediction(s).",
        content: { "application/json": { schema: schemas.response } },
      },
      ...BODY_ERROR_RESPONSES,
      ...UNAVAILABLE_RESPONSES,
    },
  });

  app.openapi(route, async (c) => {
    const { features, rows: count, batch, describeRow } = predictRows(c.req.valid("json"), model);
    const result = await engine.infer(features, count);
    const predictions = toPredictions(result, model, performance.now() - c.get("startedAt"), describeRow);
    return jsonWithRequestId(
      c,
      batch ? { predictions } : (predictions[0] as (typeof predictions)[number]),
      200,
    );
  });
}
