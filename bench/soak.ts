/**
 * `npm run bench:soak [-- --minutes 3 --interval 15 --rate 400 --connections 8]`
 *
 * Soak: the production build (plain `node`, as in the image) under moderate, mixed load for several
 * minutes — every inference endpoint, answered and refused requests, a Prometheus-style scrape each
 * interval. Every interval it prints the server's RSS, V8 heap (in use, and after a full GC) and TF.js
 * live tensor count, read by bench/tensor-probe.ts from inside the process; then the drift over the run.
 * Flat lines mean no leak. Prints figures; never passes or fails on them.
 */
import { parseArgs } from "node:util";
import { benchCommandLine } from "./command-line.js";
import type autocannon from "autocannon";
import { runLoad } from "./load.js";
import { formatNumber as fmt, percentile, printTable } from "./report.js";
import { type BenchServer, startBuiltServer, stopProcess } from "./process-tools.js";
import type { ProbeSample } from "./tensor-probe.js";

const USAGE = `Usage: npm run bench:soak [-- --minutes M] [--interval S] [--rate R] [--connections N]
Runs the production build under moderate mixed load and samples RSS, heap and live tensors.
  --minutes M       length of the run (default 3)
  --interval S      seconds between samples (default 15)
  --rate R          requests per second overall (default 400)
  --connections N   concurrent connections (default 8)
  -h, --help        this text`;
const { values } = benchCommandLine("bench:soak", USAGE, () =>
  parseArgs({
    options: {
      minutes: { type: "string", default: "3" },
      interval: { type: "string", default: "15" },
      rate: { type: "string", default: "400" },
      connections: { type: "string", default: "8" },
      help: { type: "boolean", short: "h" },
    },
    strict: true,
  }),
);
const minutes = Number(values.minutes);
const intervalSeconds = Number(values.interval);
const rate = Number(values.rate);
const connections = Number(values.connections);

const FLOWERS = [
  [5.1, 3.5, 1.4, 0.2],
  [6.4, 3.2, 4.5, 1.5],
  [6.3, 3.3, 6.0, 2.5],
  [5.8, 2.7, 5.1, 1.9],
];
const rows = (n: number) => Array.from({ length: n }, (_, i) => FLOWERS[i % FLOWERS.length]);
const post = (path: string, body: unknown): autocannon.Request => ({
  method: "POST",
  path,
  headers: { "content-type": "application/json" },
  body: JSON.stringify(body),
});

/** Each connection cycles through these: every endpoint, batches, and the 400/404 paths. */
const MIX: autocannon.Request[] = [
  post("/predict", { features: FLOWERS[0] }),
  post("/predict", { instances: rows(8) }),
  post("/v1/models/iris:predict", { instances: rows(2) }),
  post("/v2/models/iris/infer", {
    inputs: [{ name: "input-0", shape: [4, 4], datatype: "FP32", data: rows(4).flat() }],
  }),
  post("/predict", { features: [1, 2, 3] }),
  post("/v1/models/rose:predict", { instances: rows(1) }),
];
const EXPECTED_STATUSES = new Set([200, 400, 404]);

function sample(server: BenchServer): Promise<ProbeSample> {
  return new Promise((resolve) => {
    server.child.once("message", (message) => resolve(message as ProbeSample));
    server.child.send("sample");
  });
}

interface Row extends ProbeSample {
  readonly seconds: number;
  readonly requests: number;
  readonly unexpected: number;
  readonly errors: number;
  readonly p99Ms: number;
}

const MiB = 2 ** 20;

/** Least-squares slope of `y` over `x`. */
function slope(points: readonly [number, number][]): number {
  const n = points.length;
  const mx = points.reduce((s, [x]) => s + x, 0) / n;
  const my = points.reduce((s, [, y]) => s + y, 0) / n;
  const sxy = points.reduce((s, [x, y]) => s + (x - mx) * (y - my), 0);
  const sxx = points.reduce((s, [x]) => s + (x - mx) ** 2, 0);
  return sxx === 0 ? Number.NaN : sxy / sxx;
}

async function main(): Promise<void> {
  const server = await startBuiltServer({
    nodeArgs: ["--expose-gc", "--import", "./build/bench/tensor-probe.js"],
    ipc: true,
  });
  const table: Row[] = [];
  let requests = 0;
  let unexpected = 0;
  let errors = 0;
  const statuses = new Map<number, number>();
  let latencies: number[] = [];
  try {
    const startedAt = performance.now();
    const record = async () => {
      // What Prometheus does every interval: keeps the metrics path in the soak too.
      await (await fetch(`${server.url}/metrics`)).text();
      const probe = await sample(server);
      table.push({
        ...probe,
        seconds: (performance.now() - startedAt) / 1000,
        requests,
        unexpected,
        errors,
        p99Ms: percentile(latencies, 99),
      });
      latencies = [];
      const row = table.at(-1) as Row;
      console.log(
        `${fmt(row.seconds).padStart(4)} s  ${fmt(row.requests).padStart(9)} requests  ` +
          `unexpected ${row.unexpected}  errors ${row.errors}  p99 ${fmt(row.p99Ms, 1)} ms  ` +
          `RSS ${fmt(row.rssBytes / MiB, 1)} MiB  heap ${fmt(row.heapUsedBytes / MiB, 1)} MiB ` +
          `(after GC ${fmt(row.heapAfterGcBytes / MiB, 1)})  tensors ${row.tensors}`,
      );
    };
    console.log(
      `infer8s soak — ${minutes} min at ${rate} req/s over ${connections} connections, node ${process.version}`,
    );
    await record();
    const ticker = setInterval(() => void record(), intervalSeconds * 1000);
    const result = await runLoad(
      { url: server.url, connections, overallRate: rate, duration: minutes * 60, requests: MIX },
      (status, ms) => {
        requests += 1;
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
        if (!EXPECTED_STATUSES.has(status)) unexpected += 1;
        latencies.push(ms);
      },
      () => (errors += 1),
    );
    clearInterval(ticker);
    if (performance.now() - startedAt - (table.at(-1)?.seconds ?? 0) * 1000 > 1000) await record();

    const first = table[1] ?? (table[0] as Row); // after the first interval of load: warm
    const last = table.at(-1) as Row;
    const mb = (bytes: number) => fmt(bytes / MiB, 1);
    const warm = table.slice(1);
    const perMinute = (pick: (r: Row) => number) =>
      fmt(slope(warm.map((r) => [r.seconds / 60, pick(r) / MiB])), 2);
    console.log(
      `\n${fmt(result.requests.total)} requests in ${fmt(result.duration)} s ` +
        `(${fmt(result.requests.average)} req/s); statuses ${JSON.stringify(Object.fromEntries(statuses))}; ` +
        `unexpected ${unexpected}; errors ${errors + result.errors}; timeouts ${result.timeouts}; ` +
        `latency p50 ${fmt(result.latency.p50, 1)} ms, p99 ${fmt(result.latency.p99, 1)} ms`,
    );
    printTable([
      ["figure", "idle", `at ${fmt(first.seconds)} s`, `at ${fmt(last.seconds)} s`, "min", "max", "MiB/min"],
      ...(
        [
          ["RSS MiB", (r: Row) => r.rssBytes],
          ["heap used MiB", (r: Row) => r.heapUsedBytes],
          ["heap after GC MiB", (r: Row) => r.heapAfterGcBytes],
        ] as const
      ).map(([name, pick]) => [
        name,
        mb(pick(table[0] as Row)),
        mb(pick(first)),
        mb(pick(last)),
        mb(Math.min(...warm.map(pick))),
        mb(Math.max(...warm.map(pick))),
        perMinute(pick),
      ]),
      [
        "TF.js tensors",
        String(table[0]?.tensors),
        String(first.tensors),
        String(last.tensors),
        String(Math.min(...warm.map((r) => r.tensors))),
        String(Math.max(...warm.map((r) => r.tensors))),
        "-",
      ],
    ]);
  } finally {
    await stopProcess(server.child);
  }
}

await main();
