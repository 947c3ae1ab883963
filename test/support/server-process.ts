/**
 * The real server process for tests: `src/server/main.ts` under Node (tsx loader) on a free loopback port, its
 * JSON log lines collected as they arrive. Call {@link killStartedServers} in `afterEach`/`afterAll`, so a
 * failing test leaves no server behind.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { type Agent, type IncomingHttpHeaders, request } from "node:http";
import { fileURLToPath } from "node:url";
import { MODEL_DIR } from "../server-fixtures.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

export type ServerLogLine = Record<string, unknown>;

export interface RunningServer {
  readonly child: ChildProcess;
  /** The port from the `listening` log line. */
  readonly port: number;
  /** Every JSON log line written to stdout so far. */
  readonly logs: ServerLogLine[];
  /** Everything written to stdout so far, raw. */
  readonly stdout: () => string;
  readonly stderr: () => string;
  /** Resolves with the first log line whose `msg` starts with `prefix`. */
  waitForLog(prefix: string): Promise<ServerLogLine>;
  /** The exit code, once the process has exited and its output has been read. */
  readonly exited: Promise<number | null>;
}

const started: ChildProcess[] = [];

/** SIGKILLs every server this module started that is still running, and resolves once all have exited. */
export async function killStartedServers(): Promise<void> {
  await Promise.all(started.splice(0).map((child) => killAndWait(child)));
}

/** Whether `child` has not exited yet. */
export function isRunning(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

/**
 * Sends `signal` to `child` and resolves with its exit code (null when a signal ended it) once it has
 * exited; if it is still running after `graceMs`, SIGKILLs it. For any process a test starts.
 */
export function killAndWait(
  child: ChildProcess,
  signal: NodeJS.Signals = "SIGKILL",
  graceMs = 5_000,
): Promise<number | null> {
  if (!isRunning(child)) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => {
    const escalate = setTimeout(() => child.kill("SIGKILL"), graceMs);
    child.once("exit", (code) => {
      clearTimeout(escalate);
      resolve(code);
    });
    child.kill(signal);
  });
}

/** `promise`, or a rejection naming `what` once `timeoutMs` have passed. */
export async function within<T>(promise: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Resolves once `check()` holds, asking every `intervalMs`; rejects after `timeoutMs`. */
export async function waitUntil(
  what: string,
  check: () => Promise<boolean> | boolean,
  timeoutMs: number,
  intervalMs = 20,
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    if (await Promise.resolve(check()).catch(() => false)) return;
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** Spawns the server on the wasm backend, on a free loopback port, with `env` on top of the defaults. */
export function startServer(env: Record<string, string>): RunningServer {
  const child = spawn(process.execPath, ["--import", "tsx", "src/server/main.ts"], {
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
  const logs: ServerLogLine[] = [];
  const waiters: { prefix: string; resolve: (line: ServerLogLine) => void }[] = [];
  let buffered = "";
  let stdout = "";
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdout?.on("data", (chunk: Buffer) => {
    const text = chunk.toString();
    stdout += text;
    buffered += text;
    let newline: number;
    while ((newline = buffered.indexOf("\n")) >= 0) {
      const line = JSON.parse(buffered.slice(0, newline)) as ServerLogLine;
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
  // "close", not "exit": by then stdout has been read to the end, so `logs` holds the last line too.
  const exited = new Promise<number | null>((resolve) => child.once("close", (code) => resolve(code)));
  const waitForLog = (prefix: string) =>
    new Promise<ServerLogLine>((resolve, reject) => {
      const seen = logs.find((l) => String(l.msg).startsWith(prefix));
      if (seen) return resolve(seen);
      waiters.push({ prefix, resolve });
      void exited.then((code) => reject(new Error(`exited (${code}) before logging "${prefix}": ${stderr}`)));
    });
  return {
    child,
    logs,
    stdout: () => stdout,
    stderr: () => stderr,
    waitForLog,
    exited,
    get port() {
      const listening = logs.find((l) => l.msg === "listening");
      return Number(listening?.port);
    },
  };
}

/** {@link startServer}, resolved once the model is loaded and readiness answers 200. */
export async function startReady(env: Record<string, string> = {}): Promise<RunningServer> {
  const server = startServer(env);
  await server.waitForLog("listening");
  await server.waitForLog("ready");
  return server;
}

/** What came back over the wire. */
export interface HttpAnswer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

export interface HttpRequestOptions {
  readonly path: string;
  /** @default "GET" */
  readonly method?: string;
  /** Added to (or, with `undefined`, removed from) the defaults: JSON Content-Type and Content-Length. */
  readonly headers?: Record<string, string | number | undefined>;
  /** Sent with its Content-Length (unless `headers` says otherwise). */
  readonly body?: string;
  /** @default false: a fresh connection, closed after the answer */
  readonly agent?: Agent | false;
}

/**
 * One HTTP request to the server on `port`; rejects only when the connection fails.
 *
 * @example
 * const { status, body } = await httpRequest(port, { method: "POST", path: "/predict", body: "{}" });
 */
export function httpRequest(port: number, options: HttpRequestOptions): Promise<HttpAnswer> {
  const { path, method = "GET", body, agent = false } = options;
  const merged = {
    ...(body === undefined
      ? {}
      : { "content-type": "application/json", "content-length": Buffer.byteLength(body) }),
    ...options.headers,
  };
  const headers = Object.fromEntries(Object.entries(merged).filter(([, value]) => value !== undefined));
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path, method, headers, agent }, (res) => {
      let text = "";
      res.on("data", (chunk: Buffer) => (text += chunk.toString()));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

/** A GET on a fresh connection, so no keep-alive socket hides whether the listener still accepts. */
export function getFresh(port: number, path: string): Promise<HttpAnswer> {
  return httpRequest(port, { path });
}
