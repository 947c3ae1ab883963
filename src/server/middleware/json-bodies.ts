import type { Context, MiddlewareHandler } from "hono";
import { type AppEnv, requestHeader } from "./app-env.js";

/**
 * `Content-Type` values the inference routes take as JSON on their fast path: the check zod-openapi's
 * media-type gate makes (`application/json` or `application/<x>+json`, any parameters), so a body that
 * passes here passes there unchanged.
 */
const JSON_TYPE = /^application\/([a-z-.]+\+)?json(;\s*[a-zA-Z0-9-]+=([^;]+))*$/i;

/**
 * Media types (the part before `;`, lower-cased) whose bodies are read as JSON although they are not
 * labelled so: none at all (Python `tritonclient.http`, many scripts), `application/x-www-form-urlencoded`
 * (`curl -d`, as KServe's documentation sends requests) and `text/plain`. Why accepting them opens no
 * cross-site hole is in the README ("Content types").
 */
const READ_AS_JSON = new Set(["", "text/plain", "application/x-www-form-urlencoded"]);

/**
 * Lets JSON bodies through whatever they are labelled with, for the routes whose body is JSON: a body with
 * no Content-Type, `text/plain` or `application/x-www-form-urlencoded` (and `application/json` with
 * parameters the media-type gate would refuse, like `application/json ;charset=utf-8`) is relabelled
 * `application/json` and then parsed and validated exactly as a JSON request; it answers 400 if it is not
 * JSON. Every other type is left alone, so the route's own media-type check decides: 415 for types it does
 * not declare, a route-specific parser for those it does (e.g. `application/octet-stream`).
 *
 * Runs after the body limit (it reads the body) and before the route's validation. A request labelled
 * `application/json` costs one header read and one regex test.
 *
 * @example
 * createRoute({ method: "post", path: "/predict", middleware: [limitBody(max), jsonBodies()], ... });
 */
export function jsonBodies(): MiddlewareHandler<AppEnv> {
  // Not async: a JSON request passes on next()'s own promise, without one more of its own.
  return function readBodyAsJson(c, next) {
    const type = requestHeader(c, "content-type");
    if (type !== undefined && JSON_TYPE.test(type)) return next();
    // Binary tensor data (V2) announces its JSON part's length; its own middleware reads the body.
    if (requestHeader(c, "inference-header-content-length") !== undefined) return next();
    const essence = type === undefined ? "" : mediaTypeEssence(type);
    if (!READ_AS_JSON.has(essence) && !isJsonEssence(essence)) return next();
    return relabelAsJson(c).then(next);
  };
}

/** As hono/body-limit does after buffering a chunked body: the request the validators see is a new one. */
async function relabelAsJson(c: Context<AppEnv>): Promise<void> {
  const headers = new Headers(c.req.raw.headers);
  headers.set("content-type", "application/json");
  c.req.raw = new Request(c.req.raw, { headers, body: await c.req.raw.arrayBuffer() });
}

/** `Text/Plain; charset=UTF-8` → `text/plain`. */
function mediaTypeEssence(contentType: string): string {
  const semicolon = contentType.indexOf(";");
  return (semicolon < 0 ? contentType : contentType.slice(0, semicolon)).trim().toLowerCase();
}

function isJsonEssence(essence: string): boolean {
  return essence === "application/json" || /^application\/[a-z-.]+\+json$/.test(essence);
}
