/** Probes, model information and metrics: what Kubernetes, Prometheus and operators call. */
import { type OpenAPIHono, createRoute, z } from "@hono/zod-openapi";
import { INTERNAL_ERROR_RESPONSES, UNAVAILABLE_RESPONSES } from "../api/responses.js";
import { jsonResponse as json } from "../api/responses.js";
import { PATHS } from "../../contract/index.js";
import type { Lifecycle } from "../lifecycle.js";
import type { ServerMetrics } from "../metrics.js";
import type { AppEnv } from "../middleware/app-env.js";
import { jsonWithRequestId } from "../middleware/request-id.js";
import type { Classifier } from "../../model/load-model.js";

/** What `/info` reports about the model and the runtime: everything about the classifier but running it. */
export type ModelRuntime = Pick<
  Classifier,
  "metadata" | "backend" | "skippedBackends" | "tfjsVersion" | "execution"
>;

const HealthResponse = z.object({ status: z.literal("ok") }).openapi("Health");
const ReadyResponse = z
  .object({ status: z.enum(["starting", "serving", "draining"]).openapi({ example: "serving" }) })
  .openapi("Readiness");

const InfoResponse = z
  .object({
    name: z.string().openapi({ example: "iris" }),
    version: z.string().openapi({ description: "Content hash of topology and weights." }),
    classes: z.array(z.string()),
    features: z.array(z.string()),
    holdout_accuracy: z.number(),
    holdout_size: z.number().int(),
    backend: z
      .string()
      .openapi({ description: "TF.js backend in use: tensorflow, wasm or cpu.", example: "wasm" }),
    skipped_backends: z
      .array(z.string())
      .openapi({ description: "Backends `auto` tried first (reasons in the log)." }),
    execution: z.string(),
    tfjs_version: z.string(),
    server_version: z.string(),
    max_rows_per_request: z.number().int(),
    body_limit_bytes: z.number().int(),
  })
  .openapi("Info");
export type Info = z.infer<typeof InfoResponse>;

/** Builds the `/info` body once: it only changes when the process does. */
export function describeRuntime(
  model: ModelRuntime,
  limits: { maxRowsPerRequest: number; bodyLimitBytes: number },
  serverVersion: string,
): Info {
  const { metadata } = model;
  return {
    name: metadata.name,
    version: metadata.version,
    classes: [...metadata.classNames],
    features: [...metadata.featureNames],
    holdout_accuracy: metadata.holdout.accuracy,
    holdout_size: metadata.holdout.size,
    backend: model.backend,
    skipped_backends: model.skippedBackends.map((attempt) => attempt.backend),
    execution: model.execution,
    tfjs_version: model.tfjsVersion,
    server_version: serverVersion,
    max_rows_per_request: limits.maxRowsPerRequest,
    body_limit_bytes: limits.bodyLimitBytes,
  };
}

/** Liveness, readiness and metrics: the routes that also exist while the model is still loading. */
export function registerProbeRoutes(
  app: OpenAPIHono<AppEnv>,
  {
    lifecycle,
    metrics,
    serveMetrics = true,
  }: {
    lifecycle: Lifecycle;
    metrics: ServerMetrics;
    /** Serve `/metrics` here; false when a separate listener serves it (api-key mode). @default true */
    serveMetrics?: boolean;
  },
): void {
  app.openapi(
    createRoute({
      method: "get",
      path: PATHS.health,
      tags: ["operations"],
      summary: "Liveness: 200 while the process serves",
      responses: { 200: json(HealthResponse, "The process is alive."), ...INTERNAL_ERROR_RESPONSES },
    }),
    (c) => jsonWithRequestId(c, { status: "ok" as const }, 200),
  );

  app.openapi(
    createRoute({
      method: "get",
      path: PATHS.ready,
      tags: ["operations"],
      summary: "Readiness: 200 once the model is loaded and warm, 503 while loading or draining",
      responses: {
        200: json(ReadyResponse, "Ready for traffic."),
        503: json(ReadyResponse, "Loading the model, or shutting down."),
        ...INTERNAL_ERROR_RESPONSES,
      },
    }),
    (c) =>
      lifecycle.ready
        ? jsonWithRequestId(c, { status: lifecycle.phase }, 200)
        : jsonWithRequestId(c, { status: lifecycle.phase }, 503),
  );

  if (!serveMetrics) return;
  app.openapi(
    createRoute({
      method: "get",
      path: PATHS.metrics,
      tags: ["operations"],
      summary: "Prometheus metrics",
      responses: {
        200: {
          description: "Prometheus text exposition.",
          content: { "text/plain": { schema: z.string() } },
        },
        ...INTERNAL_ERROR_RESPONSES,
      },
    }),
    async (c) => c.text(await metrics.exposition(), 200, { "Content-Type": metrics.contentType }),
  );
}

/** `/info`: the model, its evaluation and the runtime it runs on. */
export function registerInfoRoute(app: OpenAPIHono<AppEnv>, info: Info): void {
  app.openapi(
    createRoute({
      method: "get",
      path: PATHS.info,
      tags: ["operations"],
      summary: "Model and runtime information, including the TF.js backend in use",
      responses: {
        200: json(InfoResponse, "Model name, version, classes, features, accuracy, backend."),
        ...UNAVAILABLE_RESPONSES,
      },
    }),
    (c) => c.json(info, 200),
  );
}
