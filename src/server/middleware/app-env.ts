import type { HttpBindings } from "@hono/node-server";
import type { Context } from "hono";

/** Hono environment of the server's apps: what middleware leaves in the context for handlers. */
export interface AppEnv {
  Variables: {
    /** This request's id (`X-Request-Id`), set by `requestIds()`. */
    requestId: string;
    /** Set by `jsonWithRequestId()`: the response already carries `X-Request-Id`. */
    requestIdInResponse?: boolean;
    /** `performance.now()` when the request reached the server's first middleware. */
    startedAt: number;
    /**
     * The route's name in metrics and logs when its Hono pattern does not say it, e.g. the two KServe V1
     * resources behind one pattern. Unset: the pattern is the name.
     */
    routeLabel?: string;
  };
}

/**
 * Node's request and response behind this request when @hono/node-server serves it; undefined under
 * `app.request()` (tests), where only the Fetch API objects exist.
 */
export function nodeBindings(c: Context<AppEnv>): Partial<HttpBindings> | undefined {
  return c.env as Partial<HttpBindings> | undefined;
}

/**
 * A request header, by lower-case name. Served by @hono/node-server it is read from Node's parsed
 * `IncomingMessage.headers`: `c.req.header()` goes through a WHATWG `Headers` facade that validates and
 * lower-cases the name and normalises the value on every call, and the middleware in front of every
 * inference request reads three headers. Node has already checked names and values while parsing.
 * Under `app.request()` (tests) there is no Node request and `c.req.header()` answers.
 */
export function requestHeader(c: Context<AppEnv>, lowerName: string): string | undefined {
  const incoming = nodeBindings(c)?.incoming;
  if (!incoming) return c.req.header(lowerName);
  const value = incoming.headers[lowerName];
  return typeof value === "string" ? value : value?.join(", ");
}
