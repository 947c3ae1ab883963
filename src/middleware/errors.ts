import type { ErrorHandler, Hono, MiddlewareHandler, NotFoundHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { HTTPException } from "hono/http-exception";
import { ApiError } from "../api/errors.js";
import { ERROR_TYPES } from "../contract.js";
import type { Logger } from "../logger.js";
import type { ServerMetrics } from "../metrics.js";
import type { AppEnv } from "./app-env.js";

export interface ErrorHandlingOptions {
  readonly logger: Logger;
  readonly metrics: ServerMetrics;
}

/**
 * The one place errors become responses. An {@link ApiError} answers its status with
 * `{"error": message, ...details}`; an `HTTPException` raised inside Hono (malformed JSON, media type) is
 * translated into one; anything else is a bug: logged with its stack, answered with a bare 500.
 * Every failure is counted in `ml_errors_total{type}`.
 */
export function createErrorHandler({ logger, metrics }: ErrorHandlingOptions): ErrorHandler<AppEnv> {
  return function handleError(error, c) {
    const apiError =
      error instanceof ApiError ? error : error instanceof HTTPException ? translate(error, c) : undefined;
    if (!apiError) {
      metrics.countError(ERROR_TYPES.internal);
      logger.error({ req_id: c.get("requestId"), err: error }, "unhandled error");
      return c.json({ error: "internal server error" }, 500);
    }
    metrics.countError(apiError.type);
    return c.json({ error: apiError.message, ...apiError.details }, apiError.status, apiError.headers);
  };
}

/** Hono's own exceptions, reworded to say what the client should change. */
function translate(error: HTTPException, c: Parameters<ErrorHandler<AppEnv>>[1]): ApiError {
  switch (error.status) {
    case 400:
      return /json/i.test(error.message)
        ? new ApiError(400, ERROR_TYPES.invalidJson, "request body is not valid JSON")
        : new ApiError(400, ERROR_TYPES.invalidInput, error.message);
    case 413:
      return new ApiError(413, ERROR_TYPES.payloadTooLarge, "request body is too large");
    case 415: {
      const got = c.req.header("content-type");
      return new ApiError(
        415,
        ERROR_TYPES.unsupportedMediaType,
        `Content-Type must be application/json, got ${got ? JSON.stringify(got) : "none"}`,
      );
    }
    default:
      return new ApiError(error.status, ERROR_TYPES.internal, error.message || "request failed");
  }
}

/** JSON 404 for paths no route knows, pointing at the endpoint index. */
export function createNotFoundHandler(metrics: ServerMetrics): NotFoundHandler<AppEnv> {
  return function notFound(c) {
    metrics.countError(ERROR_TYPES.notFound);
    const path = c.req.path.length > 200 ? `${c.req.path.slice(0, 200)}…` : c.req.path;
    return c.json({ error: `no endpoint ${c.req.method} ${path}; GET / lists the endpoints` }, 404);
  };
}

/**
 * Rejects bodies over `maxBytes` with 413. With a Content-Length (which Node's HTTP parser enforces) the
 * check is a header comparison before any byte is read; a chunked body is counted by hono/body-limit while
 * it streams and cut off as soon as it passes the limit.
 */
export function limitBody(maxBytes: number): MiddlewareHandler<AppEnv> {
  const tooLarge = () => {
    throw new ApiError(
      413,
      ERROR_TYPES.payloadTooLarge,
      `request body exceeds the limit of ${maxBytes} bytes; send fewer rows per request`,
      { limit: maxBytes },
    );
  };
  const streamingLimit = bodyLimit({ maxSize: maxBytes, onError: tooLarge });
  return async function limitBodySize(c, next) {
    // Reading the header instead of `c.req.raw.body` keeps @hono/node-server on its fast path: touching the
    // raw body turns the request into a full web-streams Request and cost ~40 % of /predict throughput.
    const length = c.req.header("content-length");
    if (length !== undefined && c.req.header("transfer-encoding") === undefined) {
      if (Number(length) > maxBytes) tooLarge();
      return next();
    }
    return streamingLimit(c, next);
  };
}

/**
 * Hono answers 404 for a known path with the wrong method. After all routes are registered, this adds a
 * last handler on every route path that answers 405 with an `Allow` header (and 204 to `OPTIONS`).
 * Paths with literal text are registered first, so `/v1/models/iris:predict` wins over a pattern.
 */
export function answerMethodNotAllowed(app: Hono<AppEnv>): void {
  const allowed = new Map<string, Set<string>>();
  for (const route of app.routes) {
    if (route.method === "ALL") continue;
    const methods = allowed.get(route.path) ?? new Set<string>();
    methods.add(route.method);
    if (route.method === "GET") methods.add("HEAD");
    allowed.set(route.path, methods);
  }
  const byLiteralFirst = [...allowed].sort(([a], [b]) => paramCount(a) - paramCount(b));
  for (const [path, methods] of byLiteralFirst) {
    const allow = [...methods, "OPTIONS"].join(", ");
    app.all(path, function methodNotAllowed(c) {
      if (c.req.method === "OPTIONS") return c.body(null, 204, { Allow: allow });
      throw new ApiError(
        405,
        ERROR_TYPES.methodNotAllowed,
        `method ${c.req.method} is not allowed on ${c.req.path}; allowed: ${allow}`,
        {},
        { Allow: allow },
      );
    });
  }
}

function paramCount(path: string): number {
  return path.split("/").filter((segment) => segment.startsWith(":")).length;
}
