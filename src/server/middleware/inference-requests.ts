import type { MiddlewareHandler } from "hono";
import type { ServerMetrics } from "../metrics.js";
import type { AppEnv } from "./app-env.js";
import { limitBody } from "./body-limit.js";
import { jsonBodies } from "./json-bodies.js";

/** What {@link inferenceRequests} needs. */
export interface InferenceRequestsOptions {
  readonly metrics: ServerMetrics;
  /** Largest request body accepted, in bytes; larger ones are answered 413 before they are read. */
  readonly bodyLimitBytes: number;
}

/**
 * What every inference route runs before validating its body, in this order: count the request in
 * `ml_inflight_requests` until it is answered, refuse a body over the limit (413, {@link limitBody}), and
 * read bodies sent without a JSON content type as JSON ({@link jsonBodies}).
 *
 * One middleware rather than three: Hono dispatches each middleware through an async frame of its own (a
 * promise, a try/catch and a closure per request), and these three always run together in front of every
 * inference request.
 *
 * @example
 * createRoute({ method: "post", path: "/predict", middleware: [inferenceRequests({ metrics, bodyLimitBytes })], ... });
 */
export function inferenceRequests({
  metrics,
  bodyLimitBytes,
}: InferenceRequestsOptions): MiddlewareHandler<AppEnv> {
  const gauge = metrics.inflightRequests;
  const limit = limitBody(bodyLimitBytes);
  const asJson = jsonBodies();
  return async function inferenceRequest(c, next) {
    gauge.inc();
    try {
      await limit(c, () => asJson(c, next));
    } finally {
      gauge.dec();
    }
  };
}
