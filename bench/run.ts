/**
 * `npm run bench [-- --duration 5 --connections 1,16,64 --rates 200,1000,5000 --json bench/results/latest.json]`
 *
 * Measures the production build (compiled JS under plain `node`) on loopback against a bare Hono server
 * on the same stack (bench/bare-server.ts) and the floor (bench/floor-server.ts: the bare server plus the
 * same batched model call), in the same run, scenario by scenario, so the ratios are comparable even on a
 * noisy shared machine. Next to each line, each process's CPU time per
 * request (Linux /proc), which does not depend on how the two cores were shared with the load generator.
 * Besides fixed connection counts (closed loop: each connection sends its next request when the last is
 * answered), fixed request rates (open loop, bench/paced-load.ts): the load a pod behind an autoscaler sees,
 * reported as CPU millicores and µs per request of both servers side by side.
 * Also measures time from process start to `/ready` and `npm run synth` wall time. Prints figures; never
 * passes or fails on them.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { benchCommandLine } from "./command-line.js";
import { pacedLoad } from "./paced-load.js";
import { printTable } from "./report.js";
import { cpuSeconds, freePort, rssMiB, stopProcess, waitForStatus } from "./process-tools.js";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "../..");
const USAGE = `Usage: npm run bench [-- --duration S] [--warmup S] [--connections 1,16,64] [--rates 200,1000,5000]
                     [--reconnect-every N] [--scenarios NAMES] [--json FILE] [--compare-batching] [--compare-auth]
Measures the production build against a bare Hono server and the floor (bare + the same batched model
call) on loopback, scenario by scenario, and prints the ratios issue 20 set targets for.
  --duration S          seconds per measurement (default 5)
  --warmup S            seconds of warm-up before each (default 1)
  --connections LIST    concurrency levels, comma-separated (default 1,16,64); empty: none
  --rates LIST          open-loop request rates (req/s) for the /predict scenarios (default 200,1000,5000);
                        empty: none
  --reconnect-every N   also measure /predict 1 row with each connection reconnecting after N requests
                        (the cost of a bounded connection life; default 0: not measured)
  --scenarios NAMES     only scenarios whose name contains one of these, comma-separated (default all)
  --json FILE           also write the results as JSON
  --compare-batching    also measure the server with BATCHING=off
  --compare-auth        also measure the server with AUTH_MODE=api-key (every request with a Bearer key)
  -h, --help            this text`;
const { values } = benchCommandLine("bench", USAGE, () =>
  parseArgs({
    options: {
      duration: { type: "string", default: "5" },
      warmup: { type: "string", default: "1" },
      connections: { type: "string", default: "1,16,64" },
      rates: { type: "string", default: "200,1000,5000" },
      "reconnect-every": { type: "string", default: "0" },
      scenarios: { type: "string", default: "" },
      json: { type: "string" },
      "compare-batching": { type: "boolean", default: false },
      "compare-auth": { type: "boolean", default: false },
      help: { type: "boolean", short: "h" },
    },
    strict: true,
  }),
);
const duration = Number(values.duration);
const warmup = Number(values.warmup);
const numberList = (text: string) =>
  text
    .split(",")
    .filter((x) => x.trim() !== "")
    .map(Number);
const connectionLevels = numberList(values.connections);
const rates = numberList(values.rates);
const reconnectEvery = Number(values["reconnect-every"]);

const IRIS_ROW = [5.1, 3.5, 1.4, 0.2];
const FLOWERS = [IRIS_ROW, [6.4, 3.2, 4.5, 1.5], [6.3, 3.3, 6.0, 2.5], [5.8, 2.7, 5.1, 1.9]];

interface Scenario {
  name: string;
  method: "GET" | "POST";
  path: string;
  body?: string;
  /** Rows of input per request, for rows/s. */
  rows: number;
  /** Also measured at the fixed request rates of `--rates`. */
  atRates?: boolean;
}

const ALL_SCENARIOS: Scenario[] = [
  {
    name: "predict 1 row",
    method: "POST",
    path: "/predict",
    body: JSON.stringify({ features: IRIS_ROW }),
    rows: 1,
    atRates: true,
  },
  {
    name: "predict 32 rows",
    method: "POST",
    path: "/predict",
    body: JSON.stringify({ instances: Array.from({ length: 32 }, (_, i) => FLOWERS[i % FLOWERS.length]) }),
    rows: 32,
    atRates: true,
  },
  {
    name: "v2 infer 1 row",
    method: "POST",
    path: "/v2/models/iris/infer",
    body: JSON.stringify({ inputs: [{ name: "input-0", shape: [1, 4], datatype: "FP32", data: IRIS_ROW }] }),
    rows: 1,
  },
  { name: "GET /health", method: "GET", path: "/health", rows: 0 },
];
const SCENARIOS = ALL_SCENARIOS.filter(
  (s) => values.scenarios === "" || values.scenarios.split(",").some((f) => s.name.includes(f)),
);

/**
 * `server`: the production build as configured; `floor`: bare + the model call (bench/floor-server.ts);
 * `unbatched`: the same with BATCHING=off; `auth`: the same with
 * API keys on (`AUTH_MODE=api-key`, every request sends `Authorization: Bearer`); `bare`: the limit.
 */
type Target = "server" | "unbatched" | "auth" | "bare" | "floor";

/** The key the `auth` target is given, and sends. */
const BENCH_API_KEY = "bench-key-3q2+7Vx0d9mZk1LrA5pWcE8sYh4TnJgU6bRfQiOa=";

interface Measurement {
  scenario: string;
  /** Closed loop: the connections. Open loop (`offeredRate` set): the most connections the client opened. */
  connections: number;
  /** Open loop: the request rate sent, whatever the server's latency. */
  offeredRate?: number;
  /** Closed loop: each connection closed and reopened after this many requests. */
  reconnectEvery?: number;
  target: Target;
  requestsPerSecond: number;
  rowsPerSecond: number;
  latencyMs: { p50: number; p90: number; p99: number };
  non2xx: number;
  errors: number;
  rssMb: number;
  /** Server CPU time (all threads) per answered request during the measured seconds. */
  cpuMicrosecondsPerRequest: number;
  /** Server CPU time (all threads) per second of the measurement, in millicores (1000 = one core busy). */
  cpuMillicores: number;
}

async function load(
  url: string,
  scenario: Scenario,
  connections: number,
  seconds: number,
  reconnectRate?: number,
  extraHeaders: Record<string, string> = {},
) {
  // Loaded on first use, so --help answers without it.
  const { default: autocannon } = await import("autocannon");
  return autocannon({
    url: url + scenario.path,
    method: scenario.method,
    body: scenario.body,
    headers: { ...(scenario.body ? { "content-type": "application/json" } : {}), ...extraHeaders },
    connections,
    duration: seconds,
    ...(reconnectRate ? { reconnectRate } : {}),
  });
}

/** The server in api-key mode, with one key in a temporary directory and its metrics on a free port. */
async function startWithAuth() {
  const keysDir = mkdtempSync(join(tmpdir(), "infer8s-bench-keys-"));
  writeFileSync(join(keysDir, "bench"), BENCH_API_KEY);
  return start(
    ["build/src/server/main.js"],
    {
      MODEL_DIR: join(ROOT, "model"),
      AUTH_MODE: "api-key",
      AUTH_KEYS_DIR: keysDir,
      METRICS_PORT: String(await freePort()),
    },
    "/ready",
  );
}

/** Every process {@link start} spawned that has not exited: stopped when main() ends, however it ends. */
const running = new Set<ChildProcess>();

async function start(command: string[], env: Record<string, string>, readyPath: string) {
  const port = await freePort();
  const startedAt = performance.now();
  const child = spawn(process.execPath, command, {
    cwd: ROOT,
    env: { ...process.env, ...env, PORT: String(port), HOST: "127.0.0.1", NODE_ENV: "production" },
    stdio: ["ignore", "ignore", "inherit"],
  });
  running.add(child);
  child.once("exit", () => running.delete(child));
  const url = `http://127.0.0.1:${port}`;
  await waitForStatus(`${url}${readyPath}`, 200, 30_000);
  return { child, url, readyMs: performance.now() - startedAt };
}

/** The reference servers every measured target is compared with. */
const isReference = (target: Target) => target === "bare" || target === "floor";

/** One line of the targets table: `m` (the server) and the floor, each against the bare server. */
function vsReferences(m: Measurement, floorLine: Measurement, base: Measurement): string[] {
  const share = (x: Measurement) => `${fmt((100 * x.requestsPerSecond) / base.requestsPerSecond)} %`;
  const times = (x: Measurement) =>
    `${fmt(x.cpuMicrosecondsPerRequest / base.cpuMicrosecondsPerRequest, 2)}×`;
  return [
    m.scenario,
    String(m.connections),
    share(m),
    share(floorLine),
    times(m),
    times(floorLine),
    fmt(m.cpuMicrosecondsPerRequest - floorLine.cpuMicrosecondsPerRequest, 1),
  ];
}

const fmt = (x: number, digits = 0) =>
  Number.isFinite(x)
    ? x.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits })
    : "-";

async function main(): Promise<void> {
  const server = await start(["build/src/server/main.js"], { MODEL_DIR: join(ROOT, "model") }, "/ready");
  const bare = await start(["build/bench/bare-server.js"], {}, "/health");
  const floor = await start(["build/bench/floor-server.js"], { MODEL_DIR: join(ROOT, "model") }, "/health");
  const unbatched = values["compare-batching"]
    ? await start(["build/src/server/main.js"], { MODEL_DIR: join(ROOT, "model"), BATCHING: "off" }, "/ready")
    : undefined;
  const withAuth = values["compare-auth"] ? await startWithAuth() : undefined;
  const targets: [Target, Awaited<ReturnType<typeof start>>][] = [
    ["bare", bare],
    ["floor", floor],
    ["server", server],
  ];
  if (unbatched) targets.push(["unbatched", unbatched]);
  if (withAuth) targets.push(["auth", withAuth]);
  const headersOf = (target: Target): Record<string, string> =>
    target === "auth" ? { authorization: `Bearer ${BENCH_API_KEY}` } : {};
  const measurements: Measurement[] = [];
  const idleMillicores: Partial<Record<Target, number>> = {};
  try {
    // A fresh process runs its first seconds unoptimised; without this the first lines (and a run of one
    // scenario) measure the JIT, not the server. Every target gets every scenario once at full load.
    const peak = Math.max(16, ...connectionLevels);
    for (const [target, proc] of targets) {
      for (const scenario of SCENARIOS)
        if (warmup > 0) await load(proc.url, scenario, peak, warmup * 2, undefined, headersOf(target));
    }
    const closedLoop = async (
      scenario: Scenario,
      connections: number,
      target: Target,
      proc: Awaited<ReturnType<typeof start>>,
      reconnect?: number,
    ) => {
      if (warmup > 0) await load(proc.url, scenario, connections, warmup, reconnect, headersOf(target));
      const pid = proc.child.pid ?? 0;
      const cpuBefore = cpuSeconds(pid);
      const r = await load(proc.url, scenario, connections, duration, reconnect, headersOf(target));
      const cpuUsed = cpuSeconds(pid) - cpuBefore;
      measurements.push({
        scenario: scenario.name,
        connections,
        ...(reconnect ? { reconnectEvery: reconnect } : {}),
        target,
        requestsPerSecond: r.requests.average,
        rowsPerSecond: r.requests.average * scenario.rows,
        latencyMs: { p50: r.latency.p50, p90: r.latency.p90, p99: r.latency.p99 },
        non2xx: r.non2xx,
        errors: r.errors + r.timeouts,
        rssMb: Math.round(rssMiB(pid) * 10) / 10,
        cpuMicrosecondsPerRequest: (cpuUsed * 1e6) / Math.max(1, r.requests.total),
        cpuMillicores: (cpuUsed * 1000) / duration,
      });
    };
    for (const scenario of SCENARIOS) {
      for (const connections of connectionLevels) {
        for (const [target, proc] of targets) await closedLoop(scenario, connections, target, proc);
      }
    }
    if (reconnectEvery > 0) {
      const scenario = SCENARIOS.find((s) => s.name === "predict 1 row");
      for (const connections of scenario ? connectionLevels : []) {
        for (const [target, proc] of targets)
          await closedLoop(scenario!, connections, target, proc, reconnectEvery);
      }
    }
    // What a process costs with no traffic at all (timers, metrics collectors, GC): at low rates it is a
    // large share of the CPU per request.
    for (const [target, proc] of targets) {
      const pid = proc.child.pid ?? 0;
      const cpuBefore = cpuSeconds(pid);
      await new Promise((r) => setTimeout(r, duration * 1000));
      idleMillicores[target] = ((cpuSeconds(pid) - cpuBefore) * 1000) / duration;
    }
    for (const scenario of SCENARIOS.filter((s) => s.atRates === true)) {
      for (const rate of rates) {
        for (const [target, proc] of targets) {
          // The auth comparison is a closed-loop one (the paced client sends no key).
          if (target === "auth") continue;
          const paced = (seconds: number) =>
            pacedLoad({
              url: proc.url + scenario.path,
              method: scenario.method,
              body: scenario.body,
              rate,
              seconds,
            });
          if (warmup > 0) await paced(warmup);
          const pid = proc.child.pid ?? 0;
          const cpuBefore = cpuSeconds(pid);
          const startedAt = performance.now();
          const r = await paced(duration);
          const seconds = (performance.now() - startedAt) / 1000;
          const cpuUsed = cpuSeconds(pid) - cpuBefore;
          measurements.push({
            scenario: scenario.name,
            connections: r.connectionsOpened,
            offeredRate: rate,
            target,
            requestsPerSecond: r.achievedRate,
            rowsPerSecond: r.achievedRate * scenario.rows,
            latencyMs: { p50: r.latencyMs.p50, p90: Number.NaN, p99: r.latencyMs.p99 },
            non2xx: r.failed,
            errors: 0,
            rssMb: Math.round(rssMiB(pid) * 10) / 10,
            cpuMicrosecondsPerRequest: (cpuUsed * 1e6) / Math.max(1, r.ok + r.failed),
            cpuMillicores: (cpuUsed * 1000) / seconds,
          });
        }
      }
    }
  } finally {
    await Promise.all(targets.map(([, proc]) => stopProcess(proc.child)));
  }

  const readyTimes: number[] = [];
  for (let i = 0; i < 3; i++) {
    const again = await start(["build/src/server/main.js"], { MODEL_DIR: join(ROOT, "model") }, "/ready");
    readyTimes.push(again.readyMs);
    await stopProcess(again.child);
  }
  const synthStart = performance.now();
  const synth = spawnSync("npm", ["run", "--silent", "synth"], { cwd: ROOT, stdio: "ignore" });
  const synthMs = synth.status === 0 ? performance.now() - synthStart : Number.NaN;

  const rows = [
    [
      "scenario",
      "conn",
      "req/s",
      "rows/s",
      "p50 ms",
      "p90 ms",
      "p99 ms",
      "non-2xx",
      "RSS MB",
      "CPU µs/req",
      "floor req/s",
      "floor µs/req",
      "bare req/s",
      "bare µs/req",
      "vs bare",
    ],
  ];
  const closedLoopLines = measurements.filter((x) => x.offeredRate === undefined);
  const closedLoopOf = (target: Target, m: Measurement) =>
    closedLoopLines.find(
      (x) =>
        x.target === target &&
        x.scenario === m.scenario &&
        x.connections === m.connections &&
        x.reconnectEvery === m.reconnectEvery,
    );
  const measured = closedLoopLines.filter((x) => !isReference(x.target));
  for (const m of measured) {
    const base = closedLoopOf("bare", m);
    const floorLine = closedLoopOf("floor", m);
    const label = m.reconnectEvery ? `${m.scenario}, reconnect every ${m.reconnectEvery}` : m.scenario;
    rows.push([
      m.target === "unbatched"
        ? `${label} (BATCHING=off)`
        : m.target === "auth"
          ? `${label} (AUTH_MODE=api-key)`
          : label,
      String(m.connections),
      fmt(m.requestsPerSecond),
      m.rowsPerSecond > 0 ? fmt(m.rowsPerSecond) : "-",
      fmt(m.latencyMs.p50, 1),
      fmt(m.latencyMs.p90, 1),
      fmt(m.latencyMs.p99, 1),
      String(m.non2xx + m.errors),
      fmt(m.rssMb, 1),
      fmt(m.cpuMicrosecondsPerRequest, 1),
      fmt(floorLine?.requestsPerSecond ?? Number.NaN),
      fmt(floorLine?.cpuMicrosecondsPerRequest ?? Number.NaN, 1),
      fmt(base?.requestsPerSecond ?? Number.NaN),
      fmt(base?.cpuMicrosecondsPerRequest ?? Number.NaN, 1),
      base ? `${fmt((100 * m.requestsPerSecond) / base.requestsPerSecond)} %` : "-",
    ]);
  }
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  console.log(
    `\ninfer8s benchmark — ${duration}s per line after ${warmup}s warm-up (and ${warmup * 2}s per scenario at start), node ${process.version}`,
  );
  for (const [i, r] of rows.entries()) {
    console.log(
      r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join("  "),
    );
    if (i === 0) console.log(widths.map((w) => "-".repeat(w)).join("  "));
  }
  const rateLines = measurements.filter((x) => x.offeredRate !== undefined);
  const rateRows = [
    [
      "scenario",
      "offered req/s",
      "req/s",
      "conn",
      "p50 ms",
      "p99 ms",
      "mcores",
      "CPU µs/req",
      "floor mcores",
      "floor µs/req",
      "bare req/s",
      "bare p50",
      "bare p99",
      "bare mcores",
      "bare µs/req",
      "CPU vs bare",
    ],
  ];
  const rateLineOf = (target: Target, m: Measurement) =>
    rateLines.find(
      (x) => x.target === target && x.scenario === m.scenario && x.offeredRate === m.offeredRate,
    );
  for (const m of rateLines.filter((x) => !isReference(x.target))) {
    const base = rateLineOf("bare", m);
    const floorLine = rateLineOf("floor", m);
    rateRows.push([
      m.target === "unbatched" ? `${m.scenario} (BATCHING=off)` : m.scenario,
      fmt(m.offeredRate ?? Number.NaN),
      fmt(m.requestsPerSecond),
      String(m.connections),
      fmt(m.latencyMs.p50, 2),
      fmt(m.latencyMs.p99, 2),
      fmt(m.cpuMillicores),
      fmt(m.cpuMicrosecondsPerRequest, 1),
      fmt(floorLine?.cpuMillicores ?? Number.NaN),
      fmt(floorLine?.cpuMicrosecondsPerRequest ?? Number.NaN, 1),
      fmt(base?.requestsPerSecond ?? Number.NaN),
      fmt(base?.latencyMs.p50 ?? Number.NaN, 2),
      fmt(base?.latencyMs.p99 ?? Number.NaN, 2),
      fmt(base?.cpuMillicores ?? Number.NaN),
      fmt(base?.cpuMicrosecondsPerRequest ?? Number.NaN, 1),
      base ? `${fmt(m.cpuMicrosecondsPerRequest / base.cpuMicrosecondsPerRequest, 2)}×` : "-",
    ]);
  }
  if (rateRows.length > 1) {
    console.log(`\nFixed request rates (open loop; latency from each request's scheduled send time):`);
    printTable(rateRows);
    console.log(
      `idle (no requests): ${Object.entries(idleMillicores)
        .map(([target, m]) => `${target} ${fmt(m)} mcores`)
        .join(", ")}`,
    );
  }
  const authCost = measurements
    .filter((m) => m.target === "auth")
    .flatMap((m) => {
      const off = measurements.find(
        (x) => x.target === "server" && x.scenario === m.scenario && x.connections === m.connections,
      );
      return off
        ? [
            `${m.scenario} @${m.connections}: ${fmt(m.cpuMicrosecondsPerRequest - off.cpuMicrosecondsPerRequest, 1)}`,
          ]
        : [];
    });
  if (authCost.length > 0) console.log(`\nauth on − off, CPU µs/req: ${authCost.join("; ")}`);
  const targetLines = measured.flatMap((m) => {
    const base = closedLoopOf("bare", m);
    const floorLine = closedLoopOf("floor", m);
    const scenario = SCENARIOS.find((s) => s.name === m.scenario);
    if (m.target !== "server" || m.reconnectEvery || !base || !floorLine || !scenario?.rows) return [];
    return [vsReferences(m, floorLine, base)];
  });
  if (targetLines.length > 0) {
    console.log(
      `\nServer and floor (bare + the same batched model call) against bare, closed loop. Issue 20's targets:` +
        `\nCPU µs/req ≤ 1.6× bare at 1 connection; req/s ≥ 85 % of bare at 16, ≥ 90 % at 64, 32 rows at 64 ≥ 80 %.`,
    );
    printTable([
      [
        "scenario",
        "conn",
        "req/s vs bare",
        "floor req/s vs bare",
        "CPU vs bare",
        "floor CPU vs bare",
        "server − floor µs/req",
      ],
      ...targetLines,
    ]);
  }
  console.log(`\nstart → /ready 200: ${readyTimes.map((t) => fmt(t)).join(", ")} ms (3 starts)`);
  console.log(`npm run synth: ${fmt(synthMs)} ms`);

  if (values.json) {
    mkdirSync(dirname(values.json), { recursive: true });
    writeFileSync(
      values.json,
      `${JSON.stringify({ node: process.version, duration, warmup, measurements, idleMillicores, readyMs: readyTimes, synthMs }, null, 2)}\n`,
    );
    console.log(`wrote ${values.json}`);
  }
}

try {
  await main();
} finally {
  await Promise.all([...running].map((child) => stopProcess(child)));
}
