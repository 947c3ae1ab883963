import type { MiddlewareHandler } from "hono";
import { routePath } from "hono/route";
import type { Lifecycle } from "../lifecycle.js";
import { type Logger, createRequestLogger } from "../logger.js";
import type { ServerMetrics } from "../metrics.js";
import type { AppEnv } from "./app-env.js";

/** Route label for requests that matched no route, so scanners cannot mint one series per URL. */
export const UNMATCHED_ROUTE = "unmatched";

export interface ObserveRequestsOptions {
  readonly metrics: ServerMetrics;
  readonly logger: Logger;
  readonly lifecycle: Lifecycle;
}

/**
 * Times every request and, once its response is ready, counts it in `http_requests_total` and
 * `http_request_duration_seconds` (labelled with the route pattern, or the `routeLabel` a middleware set
 * for routes that share a pattern) and writes one JSON log line: request id, method, route, path, status,
 * duration. Never the body. While draining it also asks the client to close its keep-alive connection, so
 * its next request opens a new one to a pod that is still in service. The request counts as in flight in
 * `lifecycle` until its line is written, so shutdown waits for it.
 *
 * Must run after `requestIds()` so the log line carries the id.
 *
 * @example
 * app.use(requestIds(), observeRequests({ metrics, logger, lifecycle }));
 */
export function observeRequests({
  metrics,
  logger,
  lifecycle,
}: ObserveRequestsOptions): MiddlewareHandler<AppEnv> {
  // When nothing matched, routeIndex still points at this middleware, whose pattern is the catch-all.
  const labels = new Map([
    ["/*", UNMATCHED_ROUTE],
    ["*", UNMATCHED_ROUTE],
  ]);
  const logRequest = createRequestLogger(logger);
  return async function observe(c, next) {
    const startedAt = performance.now();
    c.set("startedAt", startedAt);
    lifecycle.requestBegun();
    try {
      await next();
      if (lifecycle.draining) c.header("Connection", "close");
      const seconds = (performance.now() - startedAt) / 1000;
      // After next(), routeIndex points at the handler that answered.
      const pattern = routePath(c);
      const route = c.get("routeLabel") ?? labels.get(pattern) ?? pattern;
      const status = c.res.status;
      metrics.observeRequest(c.req.method, route, status, seconds);
      logRequest({
        req_id: c.get("requestId"),
        method: c.req.method,
        route,
        path: c.req.path,
        status,
        duration_ms: Math.round(seconds * 1e6) / 1e3,
      });
    } finally {
      lifecycle.requestDone();
    }
  };
}

/** Keeps `ml_inflight_requests` at the number of inference requests being handled. */
export function trackInflight(metrics: ServerMetrics): MiddlewareHandler<AppEnv> {
  const gauge = metrics.inflightRequests;
  return async function inflight(_c, next) {
    gauge.inc();
    try {
      await next();
    } finally {
      gauge.dec();
    }
  };
}
