/**
 * `npm run bench:auth`: the CPU cost of the API-key check alone, in-process, on the compiled middleware:
 * the same Hono app with and without `requireApiKey` in front of a handler that answers at once, called
 * through `app.fetch` in a tight loop, alternating the two in rounds so that machine noise hits both alike.
 * The process-level figure (`npm run bench -- --compare-auth`) includes it but is noisier on a shared machine.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { Hono } from "hono";
import { ApiKeys } from "../src/server/api-keys.js";
import { createLogger } from "../src/server/logger.js";
import { ServerMetrics } from "../src/server/metrics.js";
import { requireApiKey } from "../src/server/middleware/api-key-auth.js";
import type { AppEnv } from "../src/server/middleware/app-env.js";
import { benchCommandLine } from "./command-line.js";

const USAGE = `Usage: npm run bench:auth
Times the API-key check alone: the same Hono app with and without it, through app.fetch, in alternating rounds.
  -h, --help     this text`;
benchCommandLine("bench:auth", USAGE, () =>
  parseArgs({ options: { help: { type: "boolean", short: "h" } }, strict: true }),
);

const KEY = "bench-key-3q2+7Vx0d9mZk1LrA5pWcE8sYh4TnJgU6bRfQiOa=";
const dir = mkdtempSync(join(tmpdir(), "infer8s-auth-cost-"));
for (let i = 0; i < 10; i++) writeFileSync(join(dir, `client-${i}`), `${KEY}-${i}`);
writeFileSync(join(dir, "bench"), KEY);
const keys = ApiKeys.load({ dir, logger: createLogger("silent") });

function appWith(auth: boolean) {
  const app = new Hono<AppEnv>();
  if (auth) app.use(requireApiKey({ keys, metrics: new ServerMetrics(), openPaths: ["/health"] }));
  app.post("/predict", (c) => c.json({ ok: true }));
  return app;
}
const request = () =>
  new Request("http://localhost/predict", { method: "POST", headers: { authorization: `Bearer ${KEY}` } });

async function perRequestMicros(app: Hono<AppEnv>, n: number): Promise<number> {
  const before = process.cpuUsage();
  for (let i = 0; i < n; i++) await app.fetch(request());
  const used = process.cpuUsage(before);
  return (used.user + used.system) / n;
}

const off = appWith(false);
const on = appWith(true);
await perRequestMicros(off, 20_000);
await perRequestMicros(on, 20_000);
const rounds: { off: number; on: number }[] = [];
for (let round = 0; round < 10; round++) {
  rounds.push({ off: await perRequestMicros(off, 20_000), on: await perRequestMicros(on, 20_000) });
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;
const deltas = rounds.map((r) => r.on - r.off);
console.log(
  `app.fetch CPU µs/request, median of ${rounds.length} rounds of 20,000: ` +
    `auth off ${median(rounds.map((r) => r.off)).toFixed(2)}, on ${median(rounds.map((r) => r.on)).toFixed(2)}, ` +
    `difference ${median(deltas).toFixed(2)} (rounds: ${deltas.map((d) => d.toFixed(2)).join(", ")}); 11 keys loaded`,
);
keys.close();
