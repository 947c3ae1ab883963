/**
 * The load generator is bounded twice (duration and request count), aims at loopback unless told
 * otherwise, and sends a valid prediction request. Exercised against a tiny local HTTP server.
 */
import { createServer, type IncomingMessage, type Server } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { PATHS } from "../src/contract/index.js";
import {
  generateLoad,
  isLoopbackUrl,
  LOAD_LIMITS,
  LOAD_REQUEST_BODY,
  loadTestOptions,
  type LoadOptions,
} from "../ops/load-generator.js";

const base: LoadOptions = {
  url: `http://127.0.0.1:8080${PATHS.predict}`,
  durationSeconds: 60,
  maxRequests: 1000,
  connections: 4,
  allowRemote: false,
};

interface Received {
  method: string | undefined;
  contentType: string | undefined;
  body: string;
}

let server: Server | undefined;

/** Starts a server answering 200 after `delayMs`; returns its predict URL and what it received. */
async function startServer(delayMs: number): Promise<{ url: string; received: Received[] }> {
  const received: Received[] = [];
  server = createServer((request: IncomingMessage, response) => {
    let body = "";
    request.on("data", (chunk: Buffer) => (body += chunk.toString()));
    request.on("end", () => {
      received.push({ method: request.method, contentType: request.headers["content-type"], body });
      setTimeout(() => response.writeHead(200, { "content-type": "application/json" }).end("{}"), delayMs);
    });
  });
  await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return { url: `http://127.0.0.1:${port}${PATHS.predict}`, received };
}

afterEach(async () => {
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

describe("loadTestOptions", () => {
  it("bounds autocannon by both duration and overall request count", () => {
    const options = loadTestOptions(base);
    expect(options).toMatchObject({
      url: base.url,
      method: "POST",
      duration: 60,
      maxOverallRequests: 1000,
      connections: 4,
      body: LOAD_REQUEST_BODY,
    });
    expect(options.amount).toBeUndefined(); // `amount` would make autocannon ignore the duration
  });

  it("sends an API key as a Bearer token only when given one", () => {
    expect(loadTestOptions(base).headers).toEqual({ "content-type": "application/json" });
    expect(loadTestOptions({ ...base, apiKey: "k-123" }).headers).toEqual({
      "content-type": "application/json",
      authorization: "Bearer k-123",
    });
  });

  it("refuses a non-loopback host unless allowRemote", () => {
    const remote = { ...base, url: "http://inference.example.com/predict" };
    expect(() => loadTestOptions(remote)).toThrow(
      "--url http://inference.example.com/predict is not a loopback address. The load generator is meant for a " +
        "port-forwarded service (npm run ops -- port-forward api); pass --allow-remote if you own that server.",
    );
    expect(loadTestOptions({ ...remote, allowRemote: true }).url).toBe(remote.url);
  });

  it.each([
    [{ durationSeconds: 0 }, `--duration must be an integer from 1 to ${LOAD_LIMITS.durationSeconds}, got 0`],
    [
      { durationSeconds: 601 },
      `--duration must be an integer from 1 to ${LOAD_LIMITS.durationSeconds}, got 601`,
    ],
    [{ maxRequests: 1.5 }, `--requests must be an integer from 1 to ${LOAD_LIMITS.maxRequests}, got 1.5`],
    [{ connections: 300 }, `--connections must be an integer from 1 to ${LOAD_LIMITS.connections}, got 300`],
    [{ maxRequests: 2, connections: 4 }, "--connections (4) must not exceed --requests (2)"],
    [{ url: "localhost:8080/predict" }, '--url must be an http or https URL, got "localhost:8080/predict"'],
    [{ url: "not a url" }, '--url must be an absolute http(s) URL, got "not a url"'],
  ])("rejects %j", (override, message) => {
    expect(() => loadTestOptions({ ...base, ...override })).toThrow(message);
  });
});

describe("isLoopbackUrl", () => {
  it.each([
    ["http://127.0.0.1:8080/predict", true],
    ["http://127.1.2.3/predict", true],
    ["http://localhost:8080/predict", true],
    ["http://[::1]:8080/predict", true],
    ["http://10.0.0.1/predict", false],
    ["http://127.0.0.1.nip.io/predict", false],
    ["https://example.com/predict", false],
  ])("%s -> %s", (url, expected) => {
    expect(isLoopbackUrl(new URL(url))).toBe(expected);
  });
});

describe("generateLoad", () => {
  it("stops at the request bound and sends valid prediction requests", async () => {
    const { url, received } = await startServer(0);
    const summary = await generateLoad({ ...base, url, maxRequests: 24, connections: 3 });
    expect(received).toHaveLength(24);
    expect(summary).toMatchObject({ requests: 24, status2xx: 24, non2xx: 0, errors: 0 });
    expect(new Set(received.map((r) => `${r.method} ${r.contentType} ${r.body}`))).toEqual(
      new Set([`POST application/json ${LOAD_REQUEST_BODY}`]),
    );
  });

  it("stops at the duration bound long before the request bound", async () => {
    // One connection to a server answering after 100 ms cannot come near 100000 requests in one second.
    const { url, received } = await startServer(100);
    const summary = await generateLoad({
      ...base,
      url,
      durationSeconds: 1,
      maxRequests: 100_000,
      connections: 1,
    });
    expect(summary.requests).toBeGreaterThan(0);
    expect(summary.requests).toBeLessThan(100);
    expect(received.length).toBeLessThan(100);
  });

  it("reports connection errors when nothing listens", async () => {
    const { url } = await startServer(0);
    await new Promise<void>((resolve) => server!.close(() => resolve()));
    server = undefined;
    const summary = await generateLoad({ ...base, url, durationSeconds: 1, maxRequests: 10, connections: 1 });
    expect(summary.requests).toBe(0);
    expect(summary.errors).toBeGreaterThan(0);
  });
});
