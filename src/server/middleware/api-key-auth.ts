import type { MiddlewareHandler } from "hono";
import { ApiError } from "../api/errors.js";
import { ERROR_TYPES } from "../../contract/index.js";
import type { ApiKeys } from "../api-keys.js";
import type { ServerMetrics } from "../metrics.js";
import { type AppEnv, requestHeader } from "./app-env.js";

/** What a 401 says, whatever went wrong: no hint whether a key was missing, malformed or unknown. */
export const UNAUTHORIZED_MESSAGE = "missing or invalid API key";

/** The challenge on every 401 (RFC 6750 §3). */
export const WWW_AUTHENTICATE = 'Bearer realm="infer8s"';

export interface RequireApiKeyOptions {
  /** The current keys. */
  readonly keys: Pick<ApiKeys, "idOf">;
  readonly metrics: ServerMetrics;
  /** Exact paths served without a key: the probes, so Kubernetes needs no key. */
  readonly openPaths: readonly string[];
  /** Path prefixes served without a key (the docs' assets). @default none */
  readonly openPrefixes?: readonly string[];
}

/**
 * Refuses every request but those to `openPaths` without one of the API keys, sent as
 * `Authorization: Bearer <key>` or `X-API-Key: <key>` (header names in any case; the `Bearer` scheme in
 * any case, RFC 7235). Keys are read from those headers only, never from a cookie or the query string: a
 * browser attaches neither header to a cross-site request by itself, so a page on another site cannot
 * make a visitor's browser call the API with the visitor's key (no CSRF), whatever content types the
 * endpoints accept.
 *
 * A refused request gets 401, `{"error": "missing or invalid API key"}` and `WWW-Authenticate`, and counts
 * in `ml_auth_failures_total{reason}`; an accepted one counts in `ml_authenticated_requests_total{key_id}`.
 * The key itself goes nowhere: not into the context, a log line, an error or a label.
 *
 * @example
 * app.use(requireApiKey({ keys, metrics, openPaths: ["/health", "/ready"] }));
 */
export function requireApiKey({
  keys,
  metrics,
  openPaths,
  openPrefixes = [],
}: RequireApiKeyOptions): MiddlewareHandler<AppEnv> {
  const open = new Set(openPaths);
  const prefixes = [...openPrefixes];
  const refuse = () =>
    new ApiError(
      401,
      ERROR_TYPES.unauthorized,
      UNAUTHORIZED_MESSAGE,
      {},
      { "WWW-Authenticate": WWW_AUTHENTICATE },
    );
  return async function apiKey(c, next) {
    const path = c.req.path;
    if (open.has(path) || prefixes.some((prefix) => path.startsWith(prefix))) return next();
    const key = presentedKey(requestHeader(c, "authorization"), requestHeader(c, "x-api-key"));
    if (key === undefined) {
      metrics.countAuthFailure("missing");
      throw refuse();
    }
    const id = keys.idOf(key);
    if (id === undefined) {
      metrics.countAuthFailure("invalid");
      throw refuse();
    }
    metrics.countAuthenticated(id);
    return next();
  };
}

/**
 * The key a request presents: the token of an `Authorization: Bearer` header, else the `X-API-Key` header;
 * undefined when neither carries a non-empty value.
 */
export function presentedKey(
  authorization: string | undefined,
  apiKeyHeader: string | undefined,
): string | undefined {
  if (authorization !== undefined && authorization.length > 7 && /^bearer /i.test(authorization)) {
    const credentials = authorization.slice(7).trim();
    if (credentials !== "") return credentials;
  }
  return apiKeyHeader === undefined || apiKeyHeader === "" ? undefined : apiKeyHeader;
}
