import { randomUUID } from "node:crypto";
import type { HttpBindings } from "@hono/node-server";
import type { MiddlewareHandler } from "hono";
import { type AppEnv, requestHeader } from "./app-env.js";

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
 * Same contract as `hono/request-id`, with one difference in how the header is written: served by
 * `@hono/node-server`, it is set on Node's response directly. Setting it through `c.header()` makes Hono
 * build a WHATWG `Headers` object for every response, which took @hono/node-server off its fast path and
 * cost ~2.5 µs per request (~3 % of `/predict` throughput). Under `app.request()` (tests) there is no
 * Node response and `c.header()` is used.
 *
 * @example
 * app.use(requestIds(), observeRequests({ metrics, logger, lifecycle }));
 */
export function requestIds(): MiddlewareHandler<AppEnv> {
  return function requestId(c, next) {
    const sent = requestHeader(c, "x-request-id");
    const id =
      sent === undefined ||
      sent === "" ||
      sent.length > MAX_CLIENT_ID_LENGTH ||
      UNSAFE_ID_CHARACTER.test(sent)
        ? randomUUID()
        : sent;
    c.set("requestId", id);
    const outgoing = (c.env as Partial<HttpBindings> | undefined)?.outgoing;
    if (outgoing) outgoing.setHeader(REQUEST_ID_HEADER, id);
    else c.header(REQUEST_ID_HEADER, id);
    return next();
  };
}
