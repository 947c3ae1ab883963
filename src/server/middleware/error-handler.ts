import type { ErrorHandler, NotFoundHandler } from "hono";
import { HTTPException } from "hono/http-exception";
import { ApiError } from "../api/errors.js";
import { ERROR_TYPES } from "../../contract/index.js";
import type { Logger } from "../logger.js";
import type { ServerMetrics } from "../metrics.js";
import { QueueFullError } from "../../model/micro-batcher.js";
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
      error instanceof ApiError
        ? error
        : error instanceof HTTPException
          ? translate(error, c)
          : error instanceof QueueFullError
            ? overloaded(error)
            : undefined;
    if (!apiError) {
      metrics.countError(ERROR_TYPES.internal);
      logger.error({ req_id: c.get("requestId"), err: error }, "unhandled error");
      return c.json({ error: "internal server error" }, 500);
    }
    metrics.countError(apiError.type);
    return c.json({ error: apiError.message, ...apiError.details }, apiError.status, apiError.headers);
  };
}

/** The inference queue is full: shed the request now rather than let it wait without bound. */
function overloaded(error: QueueFullError): ApiError {
  return new ApiError(
    503,
    ERROR_TYPES.overloaded,
    `server is overloaded (${error.queuedRows} rows queued for inference); retry after ${error.retryAfterSeconds} s`,
    { retry_after_seconds: error.retryAfterSeconds },
    { "Retry-After": String(error.retryAfterSeconds) },
  );
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
        `Content-Type ${got ? JSON.stringify(got) : "(none)"} is not supported here; ` +
          "send the JSON body with Content-Type: application/json",
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
