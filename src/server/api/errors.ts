import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { ERROR_TYPES } from "../../contract/index.js";
import type { ErrorType } from "../metrics.js";

/** Extra fields of an error body beside `error`, e.g. `issues` or `limit`. */
export type ErrorDetails = Readonly<Record<string, unknown>>;

/**
 * The one error type for what the client should see: status, a message that says what is wrong and where,
 * the `ml_errors_total` kind, and optional extra body fields. `app.onError` turns it into
 * `{"error": message, ...details}`; every other exception becomes a 500 without details.
 *
 * @example
 * throw new ApiError(404, ERROR_TYPES.modelNotFound, 'model "rose" is not served; try "iris"');
 */
export class ApiError extends HTTPException {
  constructor(
    status: ContentfulStatusCode,
    /** The `type` label counted in `ml_errors_total`. */
    readonly type: ErrorType,
    message: string,
    readonly details: ErrorDetails = {},
    /** Response headers, e.g. `Allow` or `Retry-After`. */
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(status, { message });
  }
}

/** A model name (or version) the server does not serve. */
export function modelNotFound(
  name: string,
  servedName: string,
  version?: string,
  servedVersion?: string,
): ApiError {
  const message =
    version === undefined
      ? `model "${name}" is not served here; the served model is "${servedName}"`
      : `model "${name}" has no version "${version}"; the served version is "${servedVersion}"`;
  return new ApiError(404, ERROR_TYPES.modelNotFound, message);
}

/** More rows than one request may carry. */
export function tooManyRows(field: string, rows: number, maxRowsPerRequest: number): ApiError {
  return new ApiError(
    413,
    ERROR_TYPES.tooManyRows,
    `${field}: ${rows} rows exceed the limit of ${maxRowsPerRequest} rows per request; split the batch`,
    { limit: maxRowsPerRequest },
  );
}
