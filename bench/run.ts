/**
 * `npm run bench [-- --duration 5 --connections 1,16,64 --json bench/results/latest.json]`
 *
 * Measures the production build (compiled JS under plain `node`) on loopback against a bare Hono server
 * on the same stack (bench/bare-server.ts), in the same run, scenario by scenario, so the ratio to the bare
 * server is comparable even on a noisy shared machine. Next to each line, each process's CPU time per
 * request (Linux /proc), which does not depend on how the two cores were shared with the load generator.
 * Also measures time from process start to `/ready` and `npm run synth` wall time. Prints figures; never
 * passes or fails on them.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { benchCommandLine } from "./command-line.js";
import { cpuSeconds, freePort, rssMiB, stopProcess, waitForStatus } from "./process-tools.js";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "../..");
const USAGE = `Usage: npm run bench [-- --duration S] [--warmup S] [--connections 1,16,64] [--scenarios NAMES]
                     [--json FILE] [--compare-batching]
Measures the production build against a bare Hono server on loopback, scenario by scenario.
  --duration S          seconds per measurement (default 5)
  --warmup S            seconds of warm-up before each (default 1)
  --connections LIST    concurrency levels, comma-separated (default 1,16,64)
  --scenarios NAMES     only scenarios whose name contains one of these, comma-separated (default all)
  --json FILE           also write the results as JSON
  --compare-batching    also measure the server with BATCHING=off
  -h, --help            this text`;
const { values } = benchCommandLine("bench", USAGE, () =>
  parseArgs({
    options: {
      duration: { type: "string", default: "5" },
      warmup: { type: "string", default: "1" },
      connections: { type: "string", default: "1,16,64" },
      scenarios: { type: "string", default: "" },
      json: { type: "string" },
      "compare-batching": { type: "boolean", default: false },
      help: { type: "boolean", short: "h" },
    },
    strict: true,
  }),
);
const duration = Number(values.duration);
const warmup = Number(values.warmup);
const connectionLevels = values.connections.split(",").map(Number);

const IRIS_ROW = [5.1, 3.5, 1.4, 0.2];
const FLOWERS = [IRIS_ROW, [6.4, 3.2, 4.5, 1.5], [6.3, 3.3, 6.0, 2.5], [5.8, 2.7, 5.1, 1.9]];

interface Scenario {
  name: string;
  method: "GET" | "POST";
  path: string;
  body?: string;
  /** Rows of input per request, for rows/s. */
  rows: number;
}

const ALL_SCENARIOS: Scenario[] = [
  {
    name: "predict 1 row",
    method: "POST",
    path: "/predict",
    body: JSON.stringify({ features: IRIS_ROW }),
    rows: 1,
  },
  {
    name: "predict 32 rows",
    method: "POST",
    path: "/predict",
    body: JSON.stringify({ instances: Array.from({ length: 32 }, (_, i) => FLOWERS[i % FLOWERS.length]) }),
    rows: 32,
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

/** `server`: the production build as configured; `unbatched`: the same with BATCHING=off; `bare`: the limit. */
type Target = "server" | "unbatched" | "bare";

interface Measurement {
  scenario: string;
  connections: number;
  target: Target;
  requestsPerSecond: number;
  rowsPerSecond: number;
  latencyMs: { p50: number; p90: number; p99: number };
  non2xx: number;
  errors: number;
  rssMb: number;
  /** Server CPU time (all threads) per answered request during the measured seconds. */
  cpuMicrosecondsPerRequest: number;
}

async function load(url: string, scenario: Scenario, connections: number, seconds: number) {
  // Loaded on first use, so --help answers without it.
  const { default: autocannon } = await import("autocannon");
  return autocannon({
    url: url + scenario.path,
    method: scenario.method,
    body: scenario.body,
    headers: scenario.body ? { "content-type": "application/json" } : {},
    connections,
    duration: seconds,
  });
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

const fmt = (x: number, digits = 0) =>
  Number.isFinite(x)
    ? x.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits })
    : "-";

async function main(): Promise<void> {
  const server = await start(["build/src/server/main.js"], { MODEL_DIR: join(ROOT, "model") }, "/ready");
  const bare = await start(["build/bench/bare-server.js"], {}, "/health");
  const unbatched = values["compare-batching"]
    ? await start(["build/src/server/main.js"], { MODEL_DIR: join(ROOT, "model"), BATCHING: "off" }, "/ready")
    : undefined;
  const targets: [Target, Awaited<ReturnType<typeof start>>][] = [
    ["bare", bare],
    ["server", server],
  ];
  if (unbatched) targets.push(["unbatched", unbatched]);
  const measurements: Measurement[] = [];
  try {
    // A fresh process runs its first seconds unoptimised; without this the first lines (and a run of one
    // scenario) measure the JIT, not the server. Every target gets every scenario once at full load.
    const peak = Math.max(...connectionLevels);
    for (const [, proc] of targets) {
      for (const scenario of SCENARIOS) if (warmup > 0) await load(proc.url, scenario, peak, warmup * 2);
    }
    for (const scenario of SCENARIOS) {
      for (const connections of connectionLevels) {
        for (const [target, proc] of targets) {
          if (warmup > 0) await load(proc.url, scenario, connections, warmup);
          const cpuBefore = cpuSeconds(proc.child.pid ?? 0);
          const r = await load(proc.url, scenario, connections, duration);
          const cpuUsed = cpuSeconds(proc.child.pid ?? 0) - cpuBefore;
          measurements.push({
            scenario: scenario.name,
            connections,
            target,
            requestsPerSecond: r.requests.average,
            rowsPerSecond: r.requests.average * scenario.rows,
            latencyMs: { p50: r.latency.p50, p90: r.latency.p90, p99: r.latency.p99 },
            non2xx: r.non2xx,
            errors: r.errors + r.timeouts,
            rssMb: Math.round(rssMiB(proc.child.pid ?? 0) * 10) / 10,
            cpuMicrosecondsPerRequest: (cpuUsed * 1e6) / Math.max(1, r.requests.total),
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
      "bare req/s",
      "bare µs/req",
      "vs bare",
    ],
  ];
  for (const m of measurements.filter((x) => x.target !== "bare")) {
    const base = measurements.find(
      (x) => x.target === "bare" && x.scenario === m.scenario && x.connections === m.connections,
    );
    rows.push([
      m.target === "unbatched" ? `${m.scenario} (BATCHING=off)` : m.scenario,
      String(m.connections),
      fmt(m.requestsPerSecond),
      m.rowsPerSecond > 0 ? fmt(m.rowsPerSecond) : "-",
      fmt(m.latencyMs.p50, 1),
      fmt(m.latencyMs.p90, 1),
      fmt(m.latencyMs.p99, 1),
      String(m.non2xx + m.errors),
      fmt(m.rssMb, 1),
      fmt(m.cpuMicrosecondsPerRequest, 1),
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
  console.log(`\nstart → /ready 200: ${readyTimes.map((t) => fmt(t)).join(", ")} ms (3 starts)`);
  console.log(`npm run synth: ${fmt(synthMs)} ms`);

  if (values.json) {
    mkdirSync(dirname(values.json), { recursive: true });
    writeFileSync(
      values.json,
      `${JSON.stringify({ node: process.version, duration, warmup, measurements, readyMs: readyTimes, synthMs }, null, 2)}\n`,
    );
    console.log(`wrote ${values.json}`);
  }
}

try {
  await main();
} finally {
  await Promise.all([...running].map((child) => stopProcess(child)));
}
