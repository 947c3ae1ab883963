/**
 * The HTTP application, without a listener: `createApp(deps)` for a loaded model, `createStartingApp(deps)`
 * for the seconds before it is loaded. Tests call `app.request(...)`; `main.ts` serves them.
 */
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { OpenAPIHono } from "@hono/zod-openapi";
import { ApiError } from "./api/errors.js";
import { type ServedModel, createRowSchemas } from "./api/rows.js";
import { validationHook } from "./api/validation.js";
import type { ServerConfig } from "../contract/server-config.js";
import { ERROR_TYPES, PATHS } from "../contract/index.js";
import type { ApiKeys } from "./api-keys.js";
import type { InferenceEngine } from "./inference-engine.js";
import type { Lifecycle } from "./lifecycle.js";
import type { Logger } from "./logger.js";
import type { ServerMetrics } from "./metrics.js";
import type { AppEnv } from "./middleware/app-env.js";
import { limitBody } from "./middleware/body-limit.js";
import { jsonBodies } from "./middleware/json-bodies.js";
import { createErrorHandler, createNotFoundHandler } from "./middleware/error-handler.js";
import { answerMethodNotAllowed } from "./middleware/method-not-allowed.js";
import { requireApiKey } from "./middleware/api-key-auth.js";
import { observeRequests, trackInflight } from "./middleware/observe-requests.js";
import { requestIds } from "./middleware/request-id.js";
import { registerApiDocs } from "./routes/api-docs.js";
import { registerKServeV1Routes } from "./routes/kserve-v1.js";
import {
  SERVER_NAME,
  V2_HEALTH_PATHS,
  registerKServeV2Routes,
  registerV2HealthRoutes,
} from "./routes/kserve-v2.js";
import {
  type ModelRuntime,
  describeRuntime,
  registerInfoRoute,
  registerProbeRoutes,
} from "./routes/operations.js";
import { registerPredictRoute } from "./routes/predict.js";

/** Paths of the API description, served by every full app. */
export const DOC_PATHS = { openapi: "/openapi.json", docs: "/docs", index: "/" } as const;

/** What every app needs, loaded model or not. */
export interface BaseAppDeps {
  readonly metrics: ServerMetrics;
  readonly logger: Logger;
  readonly lifecycle: Lifecycle;
  /**
   * API keys (api-key mode): every route but the probes and the API description then needs one, and
   * `/metrics` is not served here (see {@link createMetricsApp}). @default undefined: no authentication
   */
  readonly apiKeys?: Pick<ApiKeys, "idOf">;
}

/** What the full app needs: a loaded, warmed-up model behind an inference engine. */
export interface AppDeps extends BaseAppDeps {
  readonly config: Pick<ServerConfig, "bodyLimitBytes" | "maxRowsPerRequest">;
  /** The model's metadata and runtime, for `/info` and the schemas. Routes never call the model directly. */
  readonly model: ModelRuntime;
  /** The only way routes run the model. */
  readonly engine: InferenceEngine;
  /** Reported by `GET /v2`, `/info` and the OpenAPI document. @default the version in package.json */
  readonly serverVersion?: string;
}

/**
 * Builds the inference app: `/predict`, KServe V1 and V2, probes, `/info`, `/metrics`, `/openapi.json`,
 * `/docs` and `/`. Schemas, label values and fixed answers are built here, once.
 *
 * @example
 * const app = createApp({ config, model: classifier, engine, metrics, logger, lifecycle });
 * const res = await app.request("/predict", {
 *   method: "POST",
 *   headers: { "content-type": "application/json" },
 *   body: JSON.stringify({ features: [5.1, 3.5, 1.4, 0.2] }),
 * });
 */
export function createApp(deps: AppDeps): OpenAPIHono<AppEnv> {
  const { config, model, engine, metrics, lifecycle } = deps;
  const serverVersion = deps.serverVersion ?? packageVersion();
  const app = createBaseApp(deps);
  registerProbeRoutes(app, { ...deps, serveMetrics: !deps.apiKeys });
  registerV2HealthRoutes(app, lifecycle);

  const served: ServedModel = {
    name: model.metadata.name,
    version: model.metadata.version,
    featureNames: model.metadata.featureNames,
    classNames: model.metadata.classNames,
  };
  const rows = createRowSchemas(served, config.maxRowsPerRequest);
  const middleware = [trackInflight(metrics), limitBody(config.bodyLimitBytes), jsonBodies()];
  registerPredictRoute(app, { model: served, engine, rows, middleware });
  registerKServeV1Routes(app, { model: served, engine, rows, middleware });
  registerKServeV2Routes(app, {
    model: served,
    engine,
    lifecycle,
    maxRowsPerRequest: config.maxRowsPerRequest,
    serverVersion,
    middleware,
  });
  registerInfoRoute(app, describeRuntime(model, config, serverVersion));
  registerDocs(app, serverVersion, deps.apiKeys !== undefined);
  answerMethodNotAllowed(app);
  return app;
}

/**
 * The app served while the model loads: liveness 200, readiness 503, metrics, and 503 with `Retry-After`
 * for everything else, so the listener can be up (and probes answered) from the first second.
 */
export function createStartingApp(deps: BaseAppDeps): OpenAPIHono<AppEnv> {
  const app = createBaseApp(deps);
  registerProbeRoutes(app, { ...deps, serveMetrics: !deps.apiKeys });
  registerV2HealthRoutes(app, deps.lifecycle);
  app.all("*", function modelLoading() {
    throw new ApiError(
      503,
      ERROR_TYPES.notReady,
      "the model is still loading; retry in a moment",
      {},
      { "Retry-After": "1" },
    );
  });
  return app;
}

function createBaseApp({ metrics, logger, lifecycle, apiKeys }: BaseAppDeps): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  app.use(requestIds(), observeRequests({ metrics, logger, lifecycle }));
  if (apiKeys) {
    app.use(
      requireApiKey({
        keys: apiKeys,
        metrics,
        openPaths: [...PROBE_PATHS, DOC_PATHS.docs, DOC_PATHS.openapi],
        openPrefixes: [`${DOC_PATHS.docs}/`],
      }),
    );
  }
  app.onError(createErrorHandler({ logger, metrics }));
  app.notFound(createNotFoundHandler(metrics));
  return app;
}

/** Paths Kubernetes probes: served without a key. */
export const PROBE_PATHS = [PATHS.health, PATHS.ready, V2_HEALTH_PATHS.live, V2_HEALTH_PATHS.ready] as const;

/**
 * The separate metrics listener of api-key mode: `GET /metrics` and nothing else, no key needed (the
 * NetworkPolicy admits only the monitoring namespace to its port).
 *
 * @example
 * serve({ fetch: createMetricsApp({ metrics, logger }).fetch, port: config.metricsPort });
 */
export function createMetricsApp({
  metrics,
  logger,
}: Pick<BaseAppDeps, "metrics" | "logger">): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>();
  app.get(PATHS.metrics, async function exposition(c) {
    return c.text(await metrics.exposition(), 200, { "Content-Type": metrics.contentType });
  });
  app.onError(createErrorHandler({ logger, metrics }));
  app.notFound(createNotFoundHandler(metrics));
  return app;
}

/**
 * `/openapi.json` (generated once, from the same schemas that validate), `/docs` (Swagger UI, served offline) and
 * `/`. In api-key mode the document declares both ways of sending a key, so Swagger UI offers "Authorize".
 */
function registerDocs(app: OpenAPIHono<AppEnv>, serverVersion: string, keysRequired: boolean): void {
  if (keysRequired) {
    app.openAPIRegistry.registerComponent("securitySchemes", "bearerKey", { type: "http", scheme: "bearer" });
    app.openAPIRegistry.registerComponent("securitySchemes", "headerKey", {
      type: "apiKey",
      in: "header",
      name: "X-API-Key",
    });
  }
  const document = app.getOpenAPIDocument({
    ...(keysRequired ? { security: [{ bearerKey: [] }, { headerKey: [] }] } : {}),
    openapi: "3.0.3",
    info: {
      title: SERVER_NAME,
      version: serverVersion,
      description:
        "Iris classifier (TensorFlow.js) served with Hono: `/predict` in three forms, KServe V1 and the Open " +
        'Inference Protocol (KServe V2). Errors are `{"error": "..."}` with 4xx for client mistakes.',
    },
  });
  const endpoints = Object.entries(document.paths ?? {}).flatMap(([path, item]) =>
    Object.entries(item as Record<string, { summary?: string }>).map(([method, operation]) => ({
      method: method.toUpperCase(),
      path,
      summary: operation.summary ?? "",
    })),
  );
  const index = {
    name: SERVER_NAME,
    version: serverVersion,
    docs: DOC_PATHS.docs,
    openapi: DOC_PATHS.openapi,
    endpoints: [
      { method: "GET", path: DOC_PATHS.index, summary: "This index" },
      { method: "GET", path: DOC_PATHS.openapi, summary: "OpenAPI 3 document" },
      { method: "GET", path: DOC_PATHS.docs, summary: "Interactive API docs (Swagger UI)" },
      ...endpoints,
    ],
  };
  app.get(DOC_PATHS.openapi, (c) => c.json(document));
  registerApiDocs(app, { path: DOC_PATHS.docs, openapiPath: DOC_PATHS.openapi, title: `${SERVER_NAME} API` });
  app.get(DOC_PATHS.index, (c) => c.json(index));
}

/** The `version` of this package, found by walking up from this file (src/ under tsx, build/src/ built). */
function packageVersion(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let depth = 0; depth < 4; depth++) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as {
        name?: string;
        version?: string;
      };
      if (pkg.name === SERVER_NAME && pkg.version) return pkg.version;
    } catch {
      // not here; keep walking up
    }
    dir = dirname(dir);
  }
  return "unknown";
}
