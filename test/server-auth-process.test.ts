/** API-key mode in the real process (`src/server/main.ts`): fails closed at start, two listeners, keys re-read live. */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { killStartedServers, startReady, startServer, waitUntil } from "./support/server-process.js";

const dirs: string[] = [];
afterAll(async () => {
  await killStartedServers();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function keysDir(keys: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "infer8s-process-keys-"));
  dirs.push(dir);
  for (const [id, key] of Object.entries(keys)) writeFileSync(join(dir, id), key);
  return dir;
}

const predict = (port: number, headers: Record<string, string> = {}) =>
  fetch(`http://127.0.0.1:${port}/predict`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify({ features: [5.1, 3.5, 1.4, 0.2] }),
  });

describe("the server process in api-key mode", () => {
  it("refuses to start when the keys cannot be read, before it listens", async () => {
    const server = startServer({ AUTH_MODE: "api-key", AUTH_KEYS_DIR: "/nonexistent/api-keys" });
    expect(await server.exited).toBe(1);
    expect(server.logs.find((l) => l.level === "fatal")).toMatchObject({
      msg: "API keys cannot be read; refusing to start in api-key mode",
      dir: "/nonexistent/api-keys",
    });
    expect(server.logs.some((l) => l.msg === "listening")).toBe(false);
  });

  it("serves /metrics on its own port only, and takes a new key without a restart", async () => {
    const dir = keysDir({ first: "first-key-0123456789" });
    const server = await startReady({ AUTH_MODE: "api-key", AUTH_KEYS_DIR: dir, METRICS_PORT: "0" });
    const metricsPort = Number((await server.waitForLog("metrics listening")).port);
    expect(metricsPort).toBeGreaterThan(0);
    expect(metricsPort).not.toBe(server.port);

    expect((await predict(server.port)).status).toBe(401);
    expect((await predict(server.port, { authorization: "Bearer first-key-0123456789" })).status).toBe(200);
    expect((await fetch(`http://127.0.0.1:${server.port}/health`)).status).toBe(200);
    const apiMetrics = await fetch(`http://127.0.0.1:${server.port}/metrics`);
    expect(apiMetrics.status).toBe(401);
    const scrape = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
    expect(scrape.status).toBe(200);
    expect(await scrape.text()).toContain('ml_authenticated_requests_total{key_id="first"} 1');

    writeFileSync(join(dir, "second"), "second-key-9876543210");
    await waitUntil(
      "the new key to be accepted",
      async () => (await predict(server.port, { "x-api-key": "second-key-9876543210" })).status === 200,
      12_000,
    );
    rmSync(join(dir, "first"));
    await waitUntil(
      "the removed key to be refused",
      async () => (await predict(server.port, { "x-api-key": "first-key-0123456789" })).status === 401,
      12_000,
    );
    expect(server.logs.filter((l) => l.msg === "listening")).toHaveLength(1);
    expect(server.stdout()).not.toContain("first-key-0123456789");
    expect(server.stdout()).not.toContain("second-key-9876543210");
  }, 60_000);
});
