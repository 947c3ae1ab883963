/**
 * The real process: `src/server/main.ts` under Node (tsx loader) on a free loopback port, driven by signals.
 */
import { type ClientRequest, request } from "node:http";
import { connect } from "node:net";
import { afterAll, describe, expect, it } from "vitest";
import { ENV, METRICS, PATHS } from "../src/contract/index.js";
import { FLOWERS, parseExposition, sampleValue } from "./server-fixtures.js";
import {
  getFresh,
  httpRequest,
  killStartedServers,
  startReady,
  startServer,
  waitUntil,
  within,
} from "./support/server-process.js";

// The tests run concurrently, each with a server of its own, and each ends its server; whatever is still
// running at the end (a failed test's server) is killed here.
afterAll(killStartedServers);

/**
 * What main.ts may add to `drainSeconds + inflightTimeoutSeconds` before exiting (cut requests unwinding,
 * the last log lines reaching stdout: `EXIT_GRACE_MS`), plus room for a loaded machine.
 */
const EXIT_MARGIN_MS = 2_000 + 3_000;

/** Resolves once the server is handling `count` inference requests (`ml_inflight_requests`). */
function inferenceRequestsInFlight(port: number, count: number): Promise<void> {
  return waitUntil(
    `${count} inference request(s) in flight`,
    async () =>
      sampleValue(parseExposition((await getFresh(port, PATHS.metrics)).body), METRICS.inflightRequests) ===
      count,
    10_000,
  );
}

interface Answer {
  status: number;
  body: string;
}

/** Starts a POST /predict whose body is only half sent; `finish()` sends the rest and resolves the answer. */
function startSlowPredict(port: number): { answer: Promise<Answer>; finish: () => Promise<Answer> } {
  const body = JSON.stringify({ features: FLOWERS.setosa });
  let req: ClientRequest | undefined;
  const answer = new Promise<Answer>((resolve, reject) => {
    req = request(
      {
        host: "127.0.0.1",
        port,
        path: "/predict",
        method: "POST",
        agent: false,
        headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body) },
      },
      (res) => {
        let text = "";
        res.on("data", (chunk: Buffer) => (text += chunk.toString()));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text }));
      },
    );
    req.on("error", reject);
    req.write(body.slice(0, 10));
  });
  return {
    answer,
    finish: () => {
      req?.end(body.slice(10));
      return answer;
    },
  };
}

function httpPredict(port: number) {
  return httpRequest(port, {
    method: "POST",
    path: PATHS.predict,
    body: JSON.stringify({ features: FLOWERS.setosa }),
  });
}

function refusesConnections(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(false);
    });
    socket.once("error", () => resolve(true));
  });
}

async function eventuallyRefusesConnections(port: number, withinMs: number): Promise<boolean> {
  const deadline = performance.now() + withinMs;
  while (performance.now() < deadline) {
    if (await refusesConnections(port)) return true;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return false;
}

describe.concurrent("the server process", () => {
  it("on SIGTERM: readiness 503 at once, keeps serving through the drain, finishes in-flight work, exits 0", async () => {
    // The drain must outlast the two probe requests below even on a loaded machine: with 1 s this test
    // failed once while four other process-level suites ran alongside it.
    const server = await startReady({ SHUTDOWN_DRAIN_SECONDS: "3", SHUTDOWN_INFLIGHT_TIMEOUT_SECONDS: "10" });
    const { port } = server;
    expect((await getFresh(port, "/ready")).status).toBe(200);

    const inflight = startSlowPredict(port);
    inflight.answer.catch(() => {}); // awaited below; don't let a failed run leave an unhandled rejection
    await inferenceRequestsInFlight(port, 1); // the server is reading its body
    server.child.kill("SIGTERM");
    await server.waitForLog("shutdown: readiness now 503");

    expect((await getFresh(port, "/ready")).status).toBe(503);
    const healthDuringDrain = await getFresh(port, "/health");
    expect(healthDuringDrain.status).toBe(200);
    expect(healthDuringDrain.headers.connection).toBe("close");

    await server.waitForLog("shutdown: listener closed");
    // The kernel may still complete a handshake or two while the listening socket is being closed.
    expect(await eventuallyRefusesConnections(port, 1000)).toBe(true);

    const answer = await inflight.finish();
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body)).toMatchObject({ class: "setosa" });

    expect(await server.exited).toBe(0);
    expect(server.logs.at(-1)).toMatchObject({
      msg: "shutdown complete",
      signal: "SIGTERM",
      backend: "wasm",
    });
  });

  it("logs the backend at start-up and answers predictions", async () => {
    const server = await startReady({ SHUTDOWN_DRAIN_SECONDS: "0" });
    const ready = await server.waitForLog("ready");
    expect(ready).toMatchObject({ backend: "wasm", model: "iris", tfjs_version: expect.any(String) });
    expect(ready.msg).toMatch(/on TF\.js backend wasm$/);
    const info = await fetch(`http://127.0.0.1:${server.port}/info`);
    expect(((await info.json()) as { backend: string }).backend).toBe("wasm");
    server.child.kill("SIGINT");
    expect(await server.exited).toBe(0);
  });

  it("cuts in-flight requests that outlast the in-flight timeout and still exits 0", async () => {
    const server = await startReady({
      SHUTDOWN_DRAIN_SECONDS: "0.2",
      SHUTDOWN_INFLIGHT_TIMEOUT_SECONDS: "0.5",
    });
    const stuck = startSlowPredict(server.port);
    stuck.answer.catch(() => {}); // its connection gets cut; asserted below
    await inferenceRequestsInFlight(server.port, 1);
    server.child.kill("SIGTERM");
    expect(await server.exited).toBe(0);
    await expect(stuck.answer).rejects.toThrow(/socket hang up|ECONNRESET/);
    const messages = server.logs.map((l) => l.msg);
    expect(messages).toContain(
      "shutdown: in-flight requests did not finish in time; closing their connections",
    );
    // The cut request still gets its line, before the last one.
    const cut = server.logs.findIndex((l) => l.msg === "request" && l.path === PATHS.predict);
    expect(cut).toBeGreaterThan(
      messages.indexOf("shutdown: listener closed; waiting for in-flight requests"),
    );
    expect(messages.at(-1)).toBe("shutdown complete");
  });

  it("logs a request whose client hung up mid-handling before 'shutdown complete', and nothing after it", async () => {
    // The prediction waits a second in the micro-batcher for company; its connection is gone long before.
    const server = await startReady({
      SHUTDOWN_DRAIN_SECONDS: "0",
      SHUTDOWN_INFLIGHT_TIMEOUT_SECONDS: "10",
      [ENV["batching.maxDelayMs"]]: "1000",
    });
    const body = JSON.stringify({ features: FLOWERS.setosa });
    const abandoned = request({
      host: "127.0.0.1",
      port: server.port,
      path: PATHS.predict,
      method: "POST",
      agent: false,
      headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body) },
    });
    abandoned.on("error", () => {}); // destroyed below on purpose
    abandoned.end(body);
    await inferenceRequestsInFlight(server.port, 1);
    abandoned.destroy();
    server.child.kill("SIGTERM");
    expect(await server.exited).toBe(0);

    const messages = server.logs.map((l) => l.msg);
    const line = server.logs.findIndex((l) => l.msg === "request" && l.path === PATHS.predict);
    expect(line, messages.join("\n")).toBeGreaterThan(0);
    expect(server.logs[line]).toMatchObject({ status: 200, duration_ms: expect.any(Number) });
    expect(line).toBeLessThan(messages.indexOf("shutdown complete"));
    expect(messages.at(-1)).toBe("shutdown complete");
  });

  it("keeps answering when nobody reads its log any more, and still exits 0 on SIGTERM", async () => {
    const server = await startReady({
      SHUTDOWN_DRAIN_SECONDS: "0.2",
      SHUTDOWN_INFLIGHT_TIMEOUT_SECONDS: "1",
    });
    server.child.stdout?.destroy(); // the reading end of its stdout pipe: every log write now fails (EPIPE)
    for (let i = 0; i < 20; i++) expect((await getFresh(server.port, PATHS.health)).status).toBe(200);
    const answer = await httpPredict(server.port);
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body)).toMatchObject({ class: "setosa" });

    server.child.kill("SIGTERM");
    expect(await within(server.exited, 200 + 1_000 + EXIT_MARGIN_MS, "exit after SIGTERM")).toBe(0);
  });

  it("exits 0 on SIGTERM when its log pipe breaks during the drain", async () => {
    // What left production-install's servers running: the reader went away while they drained, and the
    // final log flush retried its write to the broken pipe forever.
    const server = await startReady({
      SHUTDOWN_DRAIN_SECONDS: "0.5",
      SHUTDOWN_INFLIGHT_TIMEOUT_SECONDS: "1",
    });
    server.child.kill("SIGTERM");
    await server.waitForLog("shutdown: readiness now 503");
    server.child.stdout?.destroy();
    expect(await within(server.exited, 500 + 1_000 + EXIT_MARGIN_MS, "exit after SIGTERM")).toBe(0);
  });

  it("refuses to start on bad configuration, printing every problem, with a non-zero exit", async () => {
    const server = startServer({ PORT: "http", TFJS_BACKEND: "gpu" });
    expect(await server.exited).toBe(1);
    expect(server.stderr()).toContain(
      'infer8s: invalid configuration: PORT must be an integer from 0 to 65535, got "http"',
    );
    expect(server.stderr()).toContain(
      'infer8s: invalid configuration: TFJS_BACKEND must be one of auto, tensorflow, wasm, cpu, got "gpu"',
    );
  });

  it("exits non-zero with a fatal log line when the model cannot be loaded", async () => {
    const server = startServer({ MODEL_DIR: "/nonexistent/model" });
    expect(await server.exited).toBe(1);
    expect(server.logs.find((l) => l.level === "fatal")).toMatchObject({
      msg: "model failed to load; exiting",
      model_dir: "/nonexistent/model",
    });
  });
});
