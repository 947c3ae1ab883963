/** KServe V1 data plane: list, model readiness, `:predict`. */
import { type OpenAPIHono, type RouteConfig, createRoute, z } from "@hono/zod-openapi";
import type { MiddlewareHandler } from "hono";
import { V1_PREDICT_SUFFIX, createV1Schemas, plainV1PredictRequest, v1Rows } from "../api/kserve-v1.js";
import { ApiError } from "../api/errors.js";
import { BODY_ERROR_RESPONSES, UNAVAILABLE_RESPONSES, jsonError } from "../api/responses.js";
import { type RowSchemas, type ServedModel, assertScored, packRows } from "../api/rows.js";
import { jsonRequestBody } from "../api/validation.js";
import type { InferenceEngine } from "../inference-engine.js";
import { ERROR_TYPES } from "../../contract/index.js";
import type { AppEnv } from "../middleware/app-env.js";
import { jsonWithRequestId } from "../middleware/request-id.js";
import { answerOtherMethod } from "../middleware/method-not-allowed.js";
import { UNMATCHED_ROUTE } from "../middleware/observe-requests.js";
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
// (`{model_name}:predict`), Hono's `:param` syntax cannot. Both resources are routed by one Hono pattern and
// told apart by `v1Resource` below: two patterns with different regexes at one position (`{[^/:]+}` and
// `{[^/]+:predict}`) make Hono's SmartRouter give up its RegExpRouter for the TrieRouter, which cost every
// request to every endpoint ~2.8 µs of routing (~4 % of /predict throughput at 64 connections).
const HONO_MODEL_PATH = "/v1/models/:model_name";

interface V1Resource {
  /** The route's name in metrics and logs. */
  readonly label: string;
  /** Methods the resource takes (HEAD with GET), for the router's check. */
  readonly methods: ReadonlySet<string>;
  /** The `Allow` header of a 405. */
  readonly allow: string;
}

const V1_RESOURCES: Readonly<Record<"model" | "predict", V1Resource>> = {
  model: {
    label: "/v1/models/:model_name",
    methods: new Set(["GET", "HEAD"]),
    allow: "GET, HEAD, OPTIONS",
  },
  predict: {
    label: `/v1/models/:model_name${V1_PREDICT_SUFFIX}`,
    methods: new Set(["POST"]),
    allow: "POST, OPTIONS",
  },
};

/**
 * Runs before both V1 model routes: finds which resource the path names (`iris` or `iris:predict`), labels
 * the route for metrics, answers 405 (or 204 to `OPTIONS`) for a method that resource does not take and
 * 404 for a verb this server does not implement (`iris:explain`), so each route sees only its own requests.
 */
function v1Resource(): MiddlewareHandler<AppEnv> {
  return async function v1ResourceGate(c, next) {
    const ref = c.req.param("model_name") ?? "";
    const verbAt = ref.indexOf(":");
    const verb = verbAt < 0 ? "" : ref.slice(verbAt);
    const resource =
      verb === "" ? V1_RESOURCES.model : verb === V1_PREDICT_SUFFIX ? V1_RESOURCES.predict : undefined;
    if (resource === undefined) {
      c.set("routeLabel", UNMATCHED_ROUTE);
      throw new ApiError(
        404,
        ERROR_TYPES.notFound,
        `the KServe V1 verb "${verb}" is not implemented; this server answers POST /v1/models/<name>${V1_PREDICT_SUFFIX}`,
      );
    }
    c.set("routeLabel", resource.label);
    if (!resource.methods.has(c.req.method)) return answerOtherMethod(c, resource.allow);
    await next();
  };
}

/**
 * A route as the OpenAPI document shows it. `app.openapi()` takes `middleware` (and `hide`) off a route
 * before registering it; `registerPath` does not, and would publish `middleware` as a field of the
 * operation, which no OpenAPI validator accepts.
 */
function documented<R extends RouteConfig>({
  middleware,
  hide,
  ...operation
}: R): Omit<R, "middleware" | "hide"> {
  void middleware;
  void hide;
  return operation;
}

export function registerKServeV1Routes(
  app: OpenAPIHono<AppEnv>,
  { model, engine, rows, middleware }: KServeV1RouteOptions,
): void {
  const schemas = createV1Schemas(rows);
  const tags = ["kserve-v1"];
  const listBody = { models: [model.name] };
  const readyBody = { name: model.name, ready: true };
  app.use(HONO_MODEL_PATH, v1Resource());

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
        ...UNAVAILABLE_RESPONSES,
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
      ...UNAVAILABLE_RESPONSES,
    },
  });
  app.openAPIRegistry.registerPath(documented(readyRoute));
  app.openapi({ ...readyRoute, path: HONO_MODEL_PATH, hide: true }, (c) => c.json(readyBody, 200));

  const predictRoute = createRoute({
    method: "post",
    path: `/v1/models/{model_name}${V1_PREDICT_SUFFIX}`,
    tags,
    summary: "Predict class indices for instances",
    description:
      '`{"instances": [[5.1, 3.5, 1.4, 0.2], …]}` (rows as lists or named objects; `inputs` in place of ' +
      '`instances` works too, as in KServe) → `{"predictions": [0, …]}`, ' +
      "the class index per row, as KServe's scikit-learn runtime answers.",
    middleware: [requireServedModel(model, V1_PREDICT_SUFFIX), ...middleware],
    request: {
      params: modelParams,
      body: jsonRequestBody(schemas.predictRequest, plainV1PredictRequest(rows.plain)),
    },
    responses: {
      200: {
        description: "Class index per row.",
        content: { "application/json": { schema: schemas.predictResponse } },
      },
      ...BODY_ERROR_RESPONSES,
      404: jsonError("No model by that name."),
      ...UNAVAILABLE_RESPONSES,
    },
  });
  app.openAPIRegistry.registerPath(documented(predictRoute));
  app.openapi({ ...predictRoute, path: HONO_MODEL_PATH, hide: true }, async (c) => {
    const body = c.req.valid("json");
    const instances = v1Rows(body);
    const field = body.instances === undefined ? "inputs" : "instances";
    const result = await engine.infer(packRows(instances, model.featureNames), instances.length);
    assertScored(result, (row) => `${field}[${row}]`);
    return jsonWithRequestId(c, { predictions: Array.from(result.classIndices) }, 200);
  });
}
