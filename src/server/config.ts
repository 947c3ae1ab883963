/**
 * The server's configuration from its process: the one module that reads `process.env`. The codec itself
 * (names, defaults, ranges, messages) is `src/contract/server-config.ts`, shared with the charts.
 */
import type { ServerOptions } from "node:http";
import { type ConfigResult, type HttpTimeouts, parseServerConfig } from "../contract/server-config.js";

/** {@link parseServerConfig} applied to this process's environment. */
export function configFromEnvironment(): ConfigResult {
  return parseServerConfig(process.env);
}

/** Node's HTTP server timeouts, in the whole milliseconds Node requires. */
export type HttpServerTimeouts = Required<
  Pick<
    ServerOptions,
    "keepAliveTimeout" | "headersTimeout" | "requestTimeout" | "connectionsCheckingInterval"
  >
>;

/**
 * Node's server options for the configured timeouts. `connectionsCheckingInterval` is how often Node looks
 * for requests past the header or request timeout, so a cut-off comes up to one interval late: Node's
 * default of 30 s let a trickling client hold a connection for up to 40 s (headers) or 60 s (body). It is
 * derived rather than configured: 1 s, or a quarter of the header timeout when that is shorter.
 *
 * @example
 * serve({ fetch, port, serverOptions: httpServerOptions(config.http) });
 */
export function httpServerOptions(
  http: Pick<HttpTimeouts, "keepAliveTimeoutSeconds" | "headersTimeoutSeconds" | "requestTimeoutSeconds">,
): HttpServerTimeouts {
  const headersTimeout = Math.round(http.headersTimeoutSeconds * 1000);
  return {
    keepAliveTimeout: Math.round(http.keepAliveTimeoutSeconds * 1000),
    headersTimeout,
    requestTimeout: Math.round(http.requestTimeoutSeconds * 1000),
    connectionsCheckingInterval: Math.min(1000, Math.ceil(headersTimeout / 4)),
  };
}
