/**
 * The real process: `src/main.ts` under Node (tsx loader) on a free loopback port, driven by signals.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { type ClientRequest, request } from "node:http";
import { connect } from "node:net";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { FLOWERS, MODEL_DIR } from "./server-fixtures.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

interface RunningServer {
  readonly child: ChildProcess;
  readonly port: number;
  readonly logs: Record<string, unknown>[];
  readonly stderr: () => string;
  /** Resolves with the first log line whose `msg` starts with `prefix`. */
  waitForLog(prefix: string): Promise<Record<string, unknown>>;
  readonly exited: Promise<number | null>;
}

const started: ChildProcess[] = [];
afterEach(() => {
  for (const child of started.splice(0))
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
});

function startServer(env: Record<string, string>): RunningServer {
  const child = spawn(process.execPath, ["--import", "tsx", "src/main.ts"], {
    cwd: ROOT,
    env: {
      ...process.env,
      PORT: "0",
      HOST: "127.0.0.1",
      MODEL_DIR,
      TFJS_BACKEND: "wasm",
      LOG_LEVEL: "info",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  started.push(child);
  const logs: Record<string, unknown>[] = [];
  const waiters: { prefix: string; resolve: (line: Record<string, unknown>) => void }[] = [];
  let buffered = "";
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdout?.on("data", (chunk: Buffer) => {
    buffered += chunk.toString();
    let newline: number;
    while ((newline = buffered.indexOf("\n")) >= 0) {
      const line = JSON.parse(buffered.slice(0, newline)) as Record<string, unknown>;
      buffered = buffered.slice(newline + 1);
      logs.push(line);
      for (const waiter of [...waiters]) {
        if (String(line.msg).startsWith(waiter.prefix)) {
          waiters.splice(waiters.indexOf(waiter), 1);
          waiter.resolve(line);
        }
      }
    }
  });
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const waitForLog = (prefix: string) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      const seen = logs.find((l) => String(l.msg).startsWith(prefix));
      if (seen) return resolve(seen);
      waiters.push({ prefix, resolve });
      void exited.then((code) => reject(new Error(`exited (${code}) before logging "${prefix}": ${stderr}`)));
    });
  return {
    child,
    logs,
    stderr: () => stderr,
    waitForLog,
    exited,
    get port() {
      const listening = logs.find((l) => l.msg === "listening");
      return Number(listening?.port);
    },
  };
}

async function startReady(env: Record<string, string> = {}): Promise<RunningServer> {
  const server = startServer(env);
  await server.waitForLog("listening");
  await server.waitForLog("ready");
  return server;
}

/** A fresh connection per call, so no keep-alive socket hides whether the listener still accepts. */
function get(port: number, path: string): Promise<{ status: number; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path, agent: false }, (res) => {
      res.resume();
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers }));
    });
    req.on("error", reject);
    req.end();
  });
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

describe("the server process", () => {
  it("on SIGTERM: readiness 503 at once, keeps serving through the drain, finishes in-flight work, exits 0", async () => {
    const server = await startReady({ SHUTDOWN_DRAIN_SECONDS: "1", SHUTDOWN_INFLIGHT_TIMEOUT_SECONDS: "10" });
    const { port } = server;
    expect((await get(port, "/ready")).status).toBe(200);

    const inflight = startSlowPredict(port);
    inflight.answer.catch(() => {}); // awaited below; don't let a failed run leave an unhandled rejection
    await new Promise((resolve) => setTimeout(resolve, 100)); // let the server start reading the body
    server.child.kill("SIGTERM");
    await server.waitForLog("shutdown: readiness now 503");

    expect((await get(port, "/ready")).status).toBe(503);
    const healthDuringDrain = await get(port, "/health");
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
    await new Promise((resolve) => setTimeout(resolve, 100));
    server.child.kill("SIGTERM");
    expect(await server.exited).toBe(0);
    await expect(stuck.answer).rejects.toThrow(/socket hang up|ECONNRESET/);
    expect(server.logs.map((l) => l.msg)).toContain(
      "shutdown: in-flight requests did not finish in time; closing their connections",
    );
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
