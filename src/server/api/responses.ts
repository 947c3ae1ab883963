/** Response entries for createRoute, shared by every route module. */
import { z } from "@hono/zod-openapi";

/** An OpenAPI response entry with a JSON body described by `schema`. */
export function jsonResponse<T extends z.ZodType>(schema: T, description: string) {
  return { description, content: { "application/json": { schema } } };
}

/** `{"error": "..."}`, the body of every 4xx and 5xx answer. */
export const ErrorResponse = z
  .object({
    error: z.string().openapi({ description: "What went wrong and where.", example: "invalid request: …" }),
  })
  .catchall(z.unknown())
  .openapi("Error", { description: "Error body; some errors add fields such as `issues` or `limit`." });

/** An OpenAPI response entry with an {@link ErrorResponse} body. */
export function jsonError(description: string) {
  return jsonResponse(ErrorResponse, description);
}

/** OpenAPI responses of every route that takes a JSON body. */
export const BODY_ERROR_RESPONSES = {
  400: jsonError("Not JSON, or invalid rows; the message names the row and field."),
  413: jsonError("Body larger than BODY_LIMIT_BYTES, or more rows than MAX_ROWS_PER_REQUEST."),
  415: jsonError(
    "Content-Type is neither JSON nor one read as JSON (none, text/plain, application/x-www-form-urlencoded).",
  ),
} as const;

/** What any operation may answer: a bug, reported without details (they are in the server log). */
export const INTERNAL_ERROR_RESPONSES = {
  500: jsonError("A bug in the server; the details are only in its log."),
} as const;

/**
 * What every operation but the probes and `/metrics` may answer: 503 while the model is still loading (the
 * listener is up from the first second) and, on inference, when the queue is full.
 */
export const UNAVAILABLE_RESPONSES = {
  ...INTERNAL_ERROR_RESPONSES,
  503: {
    ...jsonError(
      "The model is still loading, or (inference) the queue is full and `retry_after_seconds` says when to retry.",
    ),
    headers: {
      "Retry-After": {
        description: "Seconds to wait before retrying.",
        schema: { type: "integer" as const },
      },
    },
  },
} as const;
