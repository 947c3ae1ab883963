/**
 * `npm run bench:overload [-- --connections 512 --duration 10 --rows 1,64 --recovery 5 --queue-rows 4096]`
 *
 * Overload: the production build (server defaults, as the chart deploys it, unless `--queue-rows` is
 * given) under concurrency far above what it can serve. For each request size it runs an overload phase
 * (`--connections` connections, every one sending again as soon as it is answered) and, right after, a
 * light phase (4 connections, one row) to show recovery. Prints, per phase: requests, 2xx, 503 (shed
 * with Retry-After), other answers and connection errors; latency of accepted and of shed requests; and
 * for the light phase its first answer's latency. Prints figures; never passes or fails on them.
 *
 * The inference queue is counted in rows (BATCH_QUEUE_ROWS, default 4096), so one-row requests cannot fill
 * it below 4096 concurrent requests: there the cost of overload is latency. Batches of 64 rows fill it at
 * 64 connections, and the excess is shed.
 */
import { parseArgs } from "node:util";
import { benchCommandLine } from "./command-line.js";
import { ENV } from "../src/contract/index.js";
import { runLoad } from "./load.js";
import { rssMiB, startBuiltServer, stopProcess } from "./process-tools.js";
import { formatNumber as fmt, percentile, printTable } from "./report.js";

const USAGE = `Usage: npm run bench:overload [-- --connections N] [--duration S] [--rows 1,64] [--recovery S] [--queue-rows N]
Drives the production build far past its capacity, then lightly, and reports shedding and recovery.
  --connections N   concurrent connections in the overload phase (default 512)
  --duration S      seconds of overload per request size (default 10)
  --rows LIST       rows per request, comma-separated (default 1,64)
  --recovery S      seconds of light load after each overload phase (default 5)
  --queue-rows N    the server's BATCH_QUEUE_ROWS (default: the server's default)
  -h, --help        this text`;
const { values } = benchCommandLine("bench:overload", USAGE, () =>
  parseArgs({
    options: {
      connections: { type: "string", default: "512" },
      duration: { type: "string", default: "10" },
      rows: { type: "string", default: "1,64" },
      recovery: { type: "string", default: "5" },
      "queue-rows": { type: "string" },
      help: { type: "boolean", short: "h" },
    },
    strict: true,
  }),
);
const connections = Number(values.connections);
const duration = Number(values.duration);
const recoverySeconds = Number(values.recovery);
const rowCounts = values.rows.split(",").map(Number);

const FLOWERS = [
  [5.1, 3.5, 1.4, 0.2],
  [6.4, 3.2, 4.5, 1.5],
  [6.3, 3.3, 6.0, 2.5],
];
const predictBody = (rows: number) =>
  JSON.stringify(
    rows === 1
      ? { features: FLOWERS[0] }
      : { instances: Array.from({ length: rows }, (_, i) => FLOWERS[i % FLOWERS.length]) },
  );

interface Phase {
  readonly name: string;
  readonly connections: number;
  readonly rows: number;
  readonly requests: number;
  readonly ok: number;
  readonly shed: number;
  readonly other: number;
  readonly errors: number;
  readonly acceptedMs: readonly number[];
  readonly shedMs: readonly number[];
  readonly firstMs: number;
  readonly rowsPerSecond: number;
  readonly rssMiB: number;
}

async function phase(
  url: string,
  pid: number,
  name: string,
  load: { connections: number; rows: number; seconds: number },
): Promise<Phase> {
  const acceptedMs: number[] = [];
  const shedMs: number[] = [];
  let other = 0;
  let errors = 0;
  let firstMs = Number.NaN;
  const result = await runLoad(
    {
      url: `${url}/predict`,
      method: "POST",
      headers: { "content-type": "application/json" },
      body: predictBody(load.rows),
      connections: load.connections,
      duration: load.seconds,
      timeout: 30,
    },
    (status, ms) => {
      if (Number.isNaN(firstMs)) firstMs = ms;
      if (status === 200) acceptedMs.push(ms);
      else if (status === 503) shedMs.push(ms);
      else other += 1;
    },
    () => (errors += 1),
  );
  return {
    name,
    connections: load.connections,
    rows: load.rows,
    requests: acceptedMs.length + shedMs.length + other,
    ok: acceptedMs.length,
    shed: shedMs.length,
    other,
    errors: errors + result.timeouts,
    acceptedMs,
    shedMs,
    firstMs,
    rowsPerSecond: (acceptedMs.length * load.rows) / result.duration,
    rssMiB: rssMiB(pid),
  };
}

async function main(): Promise<void> {
  const queueRows = values["queue-rows"];
  const env: Record<string, string> = queueRows ? { [ENV["batching.queueRows"]]: queueRows } : {};
  const server = await startBuiltServer({ env });
  const pid = server.child.pid as number;
  const phases: Phase[] = [];
  try {
    for (const rows of rowCounts) {
      // Warm the connection paths first, so the overload phase measures overload, not JIT.
      await phase(server.url, pid, "warm-up", { connections: 8, rows, seconds: 1 });
      phases.push(await phase(server.url, pid, "overload", { connections, rows, seconds: duration }));
      phases.push(
        await phase(server.url, pid, "right after", { connections: 4, rows: 1, seconds: recoverySeconds }),
      );
    }
  } finally {
    await stopProcess(server.child);
  }

  console.log(
    `\ninfer8s overload — POST /predict, ${connections} connections for ${duration} s, then 4 connections ` +
      `for ${recoverySeconds} s; BATCH_QUEUE_ROWS ${values["queue-rows"] ?? "default"}; node ${process.version}`,
  );
  printTable([
    [
      "phase",
      "conn",
      "rows/req",
      "requests",
      "200",
      "503",
      "other",
      "errors",
      "200 p50 ms",
      "200 p99 ms",
      "200 max ms",
      "503 p50 ms",
      "503 p99 ms",
      "first ms",
      "rows/s",
      "RSS MiB",
    ],
    ...phases.map((p) => [
      p.name,
      String(p.connections),
      String(p.rows),
      fmt(p.requests),
      fmt(p.ok),
      fmt(p.shed),
      fmt(p.other),
      fmt(p.errors),
      fmt(percentile(p.acceptedMs, 50), 1),
      fmt(percentile(p.acceptedMs, 99), 1),
      fmt(Math.max(...p.acceptedMs), 1),
      fmt(percentile(p.shedMs, 50), 1),
      fmt(percentile(p.shedMs, 99), 1),
      fmt(p.firstMs, 1),
      fmt(p.rowsPerSecond),
      fmt(p.rssMiB, 1),
    ]),
  ]);
}

await main();
