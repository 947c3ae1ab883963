import { createServer } from "node:http";
import { describe, expect, it } from "vitest";
import { DEFAULT_CONFIG } from "../contract/server-config.js";
import { httpServerOptions } from "./config.js";

describe("httpServerOptions", () => {
  it("keeps Node's timeouts at the documented defaults: keep-alive 65 s, headers 10 s, request 30 s, checked every 1 s", () => {
    expect(httpServerOptions(DEFAULT_CONFIG.http)).toEqual({
      keepAliveTimeout: 65_000,
      headersTimeout: 10_000,
      requestTimeout: 30_000,
      connectionsCheckingInterval: 1_000,
    });
  });

  it("checks four times per header timeout when that is shorter than 4 s, so short timeouts cut off on time", () => {
    expect(
      httpServerOptions({ keepAliveTimeoutSeconds: 1.5, headersTimeoutSeconds: 1, requestTimeoutSeconds: 2 }),
    ).toEqual({
      keepAliveTimeout: 1500,
      headersTimeout: 1000,
      requestTimeout: 2000,
      connectionsCheckingInterval: 250,
    });
  });

  it("gives Node whole milliseconds it accepts", () => {
    const options = httpServerOptions({
      keepAliveTimeoutSeconds: 60.001,
      headersTimeoutSeconds: 1.003,
      requestTimeoutSeconds: 1.003,
    });
    expect(options).toEqual({
      keepAliveTimeout: 60_001,
      headersTimeout: 1003,
      requestTimeout: 1003,
      connectionsCheckingInterval: 251,
    });
    const server = createServer(options);
    expect(server.headersTimeout).toBe(1003);
    server.close();
  });
});
