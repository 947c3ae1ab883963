/** API-key mode, end to end through `app.request()`: who gets in, what a refusal looks like, what is counted. */
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { createMetricsApp, createStartingApp } from "../src/server/app.js";
import { keyDigest } from "../src/server/api-keys.js";
import { Lifecycle } from "../src/server/lifecycle.js";
import { createLogger } from "../src/server/logger.js";
import { ServerMetrics } from "../src/server/metrics.js";
import { presentedKey } from "../src/server/middleware/api-key-auth.js";
import type { Classifier } from "../src/model/load-model.js";
import { FLOWERS, createTestServer, loadCommittedModel, postJson } from "./server-fixtures.js";

let classifier: Classifier;
beforeAll(async () => {
  classifier = await loadCommittedModel();
});

/** A key set as `ApiKeys` holds it: digests to ids. */
function keySet(keys: Record<string, string>) {
  const table = new Map(Object.entries(keys).map(([id, key]) => [keyDigest(key), id]));
  return { idOf: (key: string) => table.get(keyDigest(key)) };
}

const KEY = "k3y-for-ci-0123456789abcdef";
const predict = (app: ReturnType<typeof createTestServer>["app"], headers: Record<string, string>) =>
  postJson(app, "/predict", { features: FLOWERS.setosa }, headers);

describe("api-key mode", () => {
  it("answers 401 with a JSON error and WWW-Authenticate when no key is sent", async () => {
    const server = createTestServer(classifier, { apiKeys: keySet({ ci: KEY }) });
    const res = await predict(server.app, {});
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toBe('Bearer realm="infer8s"');
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    expect(await res.json()).toEqual({ error: "missing or invalid API key" });
    const text = await server.metrics.exposition();
    expect(text).toContain('ml_auth_failures_total{reason="missing"} 1');
    expect(text).toContain('ml_errors_total{type="unauthorized"} 1');
  });

  it("answers the same 401 to a wrong key, counted as invalid", async () => {
    const server = createTestServer(classifier, { apiKeys: keySet({ ci: KEY }) });
    for (const headers of <Record<string, string>[]>[
      { authorization: `Bearer ${KEY}x` },
      { "x-api-key": KEY.slice(0, -1) },
      { authorization: `Basic ${KEY}` },
    ]) {
      const res = await predict(server.app, headers);
      expect(res.status).toBe(401);
      expect(res.headers.get("www-authenticate")).toBe('Bearer realm="infer8s"');
      expect(await res.json()).toEqual({ error: "missing or invalid API key" });
    }
    const text = await server.metrics.exposition();
    expect(text).toContain('ml_auth_failures_total{reason="invalid"} 2');
    expect(text).toContain('ml_auth_failures_total{reason="missing"} 1'); // Basic is not a key
  });

  it.each([
    ["Authorization: Bearer", { authorization: `Bearer ${KEY}` }],
    ["authorization: bearer (scheme and name in any case)", { AUTHORIZATION: `bearer ${KEY}` }],
    ["X-API-Key", { "X-API-Key": KEY }],
    ["x-api-key", { "x-api-key": KEY }],
    ["X-Api-KEY", { "X-Api-KEY": KEY }],
  ])("serves a request with the key in %s, counted by key id", async (_name, headers) => {
    const server = createTestServer(classifier, { apiKeys: keySet({ ci: KEY, other: "another-key-xyz" }) });
    const res = await predict(server.app, headers);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ class: "setosa" });
    const text = await server.metrics.exposition();
    expect(text).toContain('ml_authenticated_requests_total{key_id="ci"} 1');
    expect(text).not.toContain('key_id="other"');
    expect(text).not.toContain(KEY);
  });

  it.each(["/health", "/ready", "/v2/health/live", "/v2/health/ready", "/docs", "/openapi.json"])(
    "leaves %s open: probes need no key, and the API description is public",
    async (path) => {
      const server = createTestServer(classifier, { apiKeys: keySet({ ci: KEY }) });
      expect((await server.app.request(path)).status).toBe(200);
    },
  );

  it.each(["/info", "/", "/v2", "/v2/models/iris", "/v1/models/iris", "/nowhere", "/health/x"])(
    "requires a key for %s",
    async (path) => {
      const server = createTestServer(classifier, { apiKeys: keySet({ ci: KEY }) });
      expect((await server.app.request(path)).status).toBe(401);
      expect((await server.app.request(path, { headers: { "x-api-key": KEY } })).status).not.toBe(401);
    },
  );

  it("does not serve /metrics on the API port, even with a key: it has its own listener", async () => {
    const server = createTestServer(classifier, { apiKeys: keySet({ ci: KEY }) });
    expect((await server.app.request("/metrics")).status).toBe(401);
    expect((await server.app.request("/metrics", { headers: { "x-api-key": KEY } })).status).toBe(404);
    const metricsApp = createMetricsApp({ metrics: server.metrics, logger: createLogger("silent") });
    const res = await metricsApp.request("/metrics");
    expect(res.status).toBe(200);
    expect(await res.text()).toContain("ml_auth_failures_total");
    expect((await metricsApp.request("/predict")).status).toBe(404);
  });

  it("still serves /metrics on the API port without auth, as before", async () => {
    const server = createTestServer(classifier);
    expect((await server.app.request("/metrics")).status).toBe(200);
    expect((await predict(server.app, {})).status).toBe(200);
  });

  it("refuses every request but the probes when the key set is empty", async () => {
    const server = createTestServer(classifier, { apiKeys: keySet({}) });
    expect((await predict(server.app, { "x-api-key": KEY })).status).toBe(401);
    expect((await server.app.request("/health")).status).toBe(200);
  });

  it("guards the app served while the model loads, too", async () => {
    const deps = {
      metrics: new ServerMetrics(),
      logger: createLogger("silent"),
      lifecycle: new Lifecycle(),
      apiKeys: keySet({ ci: KEY }),
    };
    const app = createStartingApp(deps);
    expect((await app.request("/predict", { method: "POST" })).status).toBe(401);
    expect((await app.request("/predict", { method: "POST", headers: { "x-api-key": KEY } })).status).toBe(
      503,
    );
    expect((await app.request("/health")).status).toBe(200);
    expect((await app.request("/ready")).status).toBe(503);
  });
});

describe("presentedKey", () => {
  it("takes a Bearer token first, else X-API-Key, and nothing from an empty or other scheme", () => {
    expect(presentedKey("Bearer abc", "def")).toBe("abc");
    expect(presentedKey("Basic abc", "def")).toBe("def");
    expect(presentedKey("Bearer ", undefined)).toBeUndefined();
    expect(presentedKey("Bearer    ", "")).toBeUndefined();
    expect(presentedKey(undefined, "")).toBeUndefined();
    expect(presentedKey("BEARER  abc ", undefined)).toBe("abc");
  });
});

/** What a key could be: every length up to 4096, in the charsets clients use. Header values cannot hold
 * control characters, and Node reads header bytes as Latin-1, so a Unicode key travels as its UTF-8
 * bytes in Latin-1 text (what the server sees). */
const HEX = "0123456789abcdef".split("");
const BASE64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=".split("");
const keyArbitrary = fc
  .oneof(
    fc.string({ unit: fc.constantFrom(...HEX), minLength: 1, maxLength: 4096 }),
    fc.string({ unit: fc.constantFrom(...BASE64), minLength: 1, maxLength: 4096 }),
    fc.string({ unit: "grapheme-ascii", minLength: 1, maxLength: 4096 }),
    fc
      .string({ unit: "grapheme", minLength: 1, maxLength: 1024 })
      .map((s) => Buffer.from(s, "utf8").toString("latin1").slice(0, 4096)),
  )
  // Header values cannot carry control characters: replace them.
  .map((key) =>
    [...key]
      .map((ch) => (ch < " " || ch === "\u007f" ? "x" : ch))
      .join("")
      .trim(),
  )
  .filter((key) => key.length > 0);

/** Every form in which a string could be written out: as is, JSON-escaped, percent-encoded. */
function forms(key: string): string[] {
  return [key, JSON.stringify(key).slice(1, -1), encodeURIComponent(key)];
}

/** What a request leaves behind, with what differs by request (ids, times, durations) blanked out. */
async function traces(
  server: ReturnType<typeof createTestServer>,
  headers: Record<string, string>,
): Promise<{ status: number; text: string; normalized: string }> {
  const res = await predict(server.app, headers);
  const body = await res.text();
  const responseHeaders = JSON.stringify([...res.headers]);
  const logs = JSON.stringify(server.logs);
  const metrics = await server.metrics.exposition();
  const text = [body, responseHeaders, logs, metrics].join("\n");
  const normalized = [
    body.replace(/"processing_time_ms":[-+.e0-9]+/, ""),
    responseHeaders.replace(/"x-request-id","[^"]*"/, ""),
    JSON.stringify(server.logs.map(({ time: _t, req_id: _r, duration_ms: _d, ...rest }) => rest)),
  ].join("\n");
  return { status: res.status, text, normalized };
}

describe("the key never appears in a log line, a response or a metric (fuzzed keys)", () => {
  it("for keys that are refused, sent either way; the traces do not depend on the key at all", async () => {
    await fc.assert(
      fc.asyncProperty(keyArbitrary, fc.boolean(), async (key, asBearer) => {
        const headers: Record<string, string> = asBearer
          ? { authorization: `Bearer ${key}` }
          : { "x-api-key": key };
        const configured = keySet({ ci: "the-one-real-key-" + "z".repeat(20) });
        const server = createTestServer(classifier, { apiKeys: configured });
        const got = await traces(server, headers);
        expect(got.status).toBe(401);
        // Short keys occur in any text ("a" in "info"): for them, independence from the key is the proof.
        if (key.length >= 8) for (const form of forms(key)) expect(got.text).not.toContain(form);
        const baseline = await traces(createTestServer(classifier, { apiKeys: configured }), {
          [asBearer ? "authorization" : "x-api-key"]: asBearer ? "Bearer other-key" : "other-key",
        });
        expect(got.normalized).toBe(baseline.normalized);
      }),
      { numRuns: 60 },
    );
  });

  it("for keys that are accepted, sent either way; only the key id shows", async () => {
    await fc.assert(
      fc.asyncProperty(keyArbitrary, fc.boolean(), async (key, asBearer) => {
        const headers: Record<string, string> = asBearer
          ? { authorization: `Bearer ${key}` }
          : { "x-api-key": key };
        const server = createTestServer(classifier, { apiKeys: keySet({ "fuzz-id": key }) });
        const got = await traces(server, headers);
        expect(got.status).toBe(200);
        expect(got.text).toContain('ml_authenticated_requests_total{key_id="fuzz-id"} 1');
        if (key.length >= 8) for (const form of forms(key)) expect(got.text).not.toContain(form);
        const other = "another-valid-key";
        const baseline = await traces(
          createTestServer(classifier, { apiKeys: keySet({ "fuzz-id": other }) }),
          {
            "x-api-key": other,
          },
        );
        expect(got.normalized).toBe(baseline.normalized);
      }),
      { numRuns: 60 },
    );
  });
});

describe("the API description in api-key mode", () => {
  it("declares the two ways of sending a key, so Swagger UI offers to authorize", async () => {
    const server = createTestServer(classifier, { apiKeys: keySet({ ci: KEY }) });
    const document = (await (await server.app.request("/openapi.json")).json()) as {
      security?: unknown;
      components?: { securitySchemes?: unknown };
    };
    expect(document.security).toEqual([{ bearerKey: [] }, { headerKey: [] }]);
    expect(document.components?.securitySchemes).toEqual({
      bearerKey: { type: "http", scheme: "bearer" },
      headerKey: { type: "apiKey", in: "header", name: "X-API-Key" },
    });
    const open = (await (await createTestServer(classifier).app.request("/openapi.json")).json()) as object;
    expect(open).not.toHaveProperty("security");
  });
});
