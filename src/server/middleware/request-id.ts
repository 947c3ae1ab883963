import { randomUUID } from "node:crypto";
import type { Context, MiddlewareHandler, TypedResponse } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { JSONParsed, JSONValue } from "hono/utils/types";
import { type AppEnv, nodeBindings, requestHeader } from "./app-env.js";

/** The header that carries a request's id, both ways. */
export const REQUEST_ID_HEADER = "X-Request-Id";

/** Longest client-sent id that is kept; anything longer is replaced. */
const MAX_CLIENT_ID_LENGTH = 255;
/** Characters a client-sent id may use (as hono/request-id): nothing that could break a log line or header. */
const UNSAFE_ID_CHARACTER = /[^\w\-=]/;

/**
 * Gives every request an id: the client's `X-Request-Id` when it is short and safe, else a random UUID.
 * The id goes into the context (`requestId`, for log lines and V2 answers) and back in the response header.
 *
 * Same contract as `hono/request-id`; the header is written in the cheapest way the response allows:
 * - answers built by {@link jsonWithRequestId} (the inference and probe routes) already carry it;
 * - anything else, served by `@hono/node-server`, gets it on Node's response, after the handler.
 *   `c.header()` would make Hono build a WHATWG `Headers` object for the response, which takes
 *   @hono/node-server off its fast path (~2.5 µs per request);
 * - under `app.request()` (tests) there is no Node response and `c.header()` is used.
 *
 * @example
 * app.use(requestIds(), observeRequests({ metrics, logger, lifecycle }));
 */
export function requestIds(): MiddlewareHandler<AppEnv> {
  return async function requestId(c, next) {
    const sent = requestHeader(c, "x-request-id");
    const id =
      sent === undefined ||
      sent === "" ||
      sent.length > MAX_CLIENT_ID_LENGTH ||
      UNSAFE_ID_CHARACTER.test(sent)
        ? randomUUID()
        : sent;
    c.set("requestId", id);
    await next();
    if (c.get("requestIdInResponse") === true) return;
    const outgoing = nodeBindings(c)?.outgoing;
    if (!outgoing) c.header(REQUEST_ID_HEADER, id);
    else if (!outgoing.headersSent) outgoing.setHeader(REQUEST_ID_HEADER, id);
  };
}

/** What `c.json(body, status)` returns, for handlers whose route declares the response type. */
export type JsonResponse<T, S extends ContentfulStatusCode> = Response &
  TypedResponse<JSONParsed<T>, S, "json">;

/**
 * `c.json(body, status)` with the request's `X-Request-Id` among its headers, for the hot routes.
 *
 * Why not `c.json()` plus the header on Node's response: once a Node response has a header of its own,
 * `writeHead()` takes its "progressive API" path and re-validates and re-stores every header (~3.8 µs, 6 %
 * of `/predict` throughput at 64 connections). A `Response` whose headers are a plain object is written
 * by @hono/node-server in a single `writeHead()` on Node's fast path. Needs `requestIds()` in front.
 *
 * @example
 * app.openapi(route, (c) => jsonWithRequestId(c, { status: "ok" as const }, 200));
 */
export function jsonWithRequestId<T extends JSONValue | object, S extends ContentfulStatusCode>(
  c: Context<AppEnv>,
  body: T,
  status: S,
): JsonResponse<T, S> {
  c.set("requestIdInResponse", true);
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json", [REQUEST_ID_HEADER]: c.get("requestId") },
  }) as JsonResponse<T, S>;
}

/**
 * A non-JSON answer (bytes, with the headers given) carrying the request's `X-Request-Id`, built as
 * {@link jsonWithRequestId} builds JSON ones. Needs `requestIds()` in front.
 *
 * @example
 * return bytesWithRequestId(c, body, 200, { "content-type": "application/octet-stream" });
 */
export function bytesWithRequestId(
  c: Context<AppEnv>,
  body: Uint8Array,
  status: ContentfulStatusCode,
  headers: Readonly<Record<string, string>>,
): Response {
  c.set("requestIdInResponse", true);
  return new Response(body, { status, headers: { ...headers, [REQUEST_ID_HEADER]: c.get("requestId") } });
}
