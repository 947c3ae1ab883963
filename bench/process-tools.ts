import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { createServer } from "node:net";
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** Below this lie the well-known and commonly configured ports. */
const LOWEST_PORT = 10_000;
/** Where the kernel's ephemeral range begins: freePort draws below it. */
const EPHEMERAL_START = ephemeralRangeStart();
/** Ports this process has handed out, so two calls never return the same one. */
const handedOut = new Set<number>();

/** Whether nothing listens on or is bound to `port` on 127.0.0.1 right now. */
function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once("error", () => resolve(false));
    probe.listen({ port, host: "127.0.0.1", exclusive: true }, () => probe.close(() => resolve(true)));
  });
}

/**
 * A TCP port on 127.0.0.1 that is free now and that the kernel will not hand out before the caller listens
 * on it: it is drawn at random from below the kernel's ephemeral range, so neither another process's
 * `listen(0)` nor the local end of an outgoing connection can take it in between. A port from the
 * ephemeral range (what `listen(0)` gives) was taken that way once in a full parallel test run, and the
 * server then failed with EADDRINUSE.
 */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt += 1) {
    const port = LOWEST_PORT + Math.floor(Math.random() * (EPHEMERAL_START - LOWEST_PORT));
    if (handedOut.has(port) || !(await isFree(port))) continue;
    handedOut.add(port);
    return port;
  }
  throw new Error(`no free port found between ${LOWEST_PORT} and ${EPHEMERAL_START - 1}`);
}

/** The first port of the kernel's ephemeral range (Linux's default where it cannot be read). */
function ephemeralRangeStart(): number {
  try {
    const [low] = readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/);
    const start = Number(low);
    return Number.isInteger(start) && start > LOWEST_PORT + 1_000 ? start : 32_768;
  } catch {
    return 32_768;
  }
}

/** Polls `url` until it answers `status`, or rejects after `timeoutMs`. */
export async function waitForStatus(url: string, status: number, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  let last = "no answer";
  while (performance.now() < deadline) {
    try {
      const response = await fetch(url);
      await response.arrayBuffer();
      if (response.status === status) return;
      last = `HTTP ${response.status}`;
    } catch (error) {
      last = (error as Error).message;
    }
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`${url} did not answer ${status} within ${timeoutMs} ms (last: ${last})`);
}

const HERE = dirname(fileURLToPath(import.meta.url));
/** The repository root, from build/bench/ (compiled) or bench/ (tsx). */
export const REPO_ROOT = basename(dirname(HERE)) === "build" ? join(HERE, "../..") : join(HERE, "..");

/** A production-build server started for a benchmark. */
export interface BenchServer {
  readonly child: ChildProcess;
  readonly url: string;
}

/**
 * Starts `build/src/server/main.js` under plain `node` on a free loopback port with the committed model and
 * `env` on top, and resolves once `/ready` answers 200. Logs are discarded; stderr is passed through.
 * `nodeArgs` go before the script (e.g. `--import` of an instrument), `ipc` opens a message channel.
 */
export async function startBuiltServer(
  options: { env?: Record<string, string>; nodeArgs?: string[]; ipc?: boolean } = {},
): Promise<BenchServer> {
  const port = await freePort();
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), "build/src/server/main.js"], {
    cwd: REPO_ROOT,
    env: {
      ...process.env,
      MODEL_DIR: join(REPO_ROOT, "model"),
      ...options.env,
      PORT: String(port),
      HOST: "127.0.0.1",
      NODE_ENV: "production",
    },
    stdio: options.ipc ? ["ignore", "ignore", "inherit", "ipc"] : ["ignore", "ignore", "inherit"],
  });
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitForStatus(`${url}/ready`, 200, 30_000);
  } catch (error) {
    await stopProcess(child); // never leave a server behind that the caller cannot stop
    throw error;
  }
  return { child, url };
}

/** SIGKILLs `child` and resolves once it is gone. */
export function stopProcess(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once("exit", () => resolve());
    child.kill("SIGKILL");
  });
}

/** Resident set size of process `pid` in MiB, from /proc (Linux). */
export function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? Number.NaN);
  return kb / 1024;
}

/** Linux's USER_HZ: the unit of the CPU times in `/proc/<pid>/stat` (100 on every mainstream kernel). */
const CLOCK_TICKS_PER_SECOND = 100;

/**
 * CPU time `pid` has used so far, user + system, all threads (GC, libuv pool) included, in seconds, from
 * `/proc/<pid>/stat`; NaN where there is no such file. Resolution 10 ms, so measure over seconds.
 */
export function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the command name, which is in parentheses and may itself contain spaces.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return Number.NaN;
  }
}
