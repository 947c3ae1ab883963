import type { Context, Hono } from "hono";
import { ApiError } from "../api/errors.js";
import { ERROR_TYPES } from "../../contract/index.js";
import type { AppEnv } from "./app-env.js";

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
      return answerOtherMethod(c, allow);
    });
  }
}

/**
 * The answer to a method a resource does not take: 204 with `Allow` to `OPTIONS`, else a 405 `ApiError`
 * that names the method, the path and `allow` (e.g. `"GET, HEAD, OPTIONS"`).
 */
export function answerOtherMethod(c: Context<AppEnv>, allow: string): Response {
  if (c.req.method === "OPTIONS") return c.body(null, 204, { Allow: allow });
  throw new ApiError(
    405,
    ERROR_TYPES.methodNotAllowed,
    `method ${c.req.method} is not allowed on ${c.req.path}; allowed: ${allow}`,
    {},
    { Allow: allow },
  );
}

function paramCount(path: string): number {
  return path.split("/").filter((segment) => segment.startsWith(":")).length;
}
