/**
 * `npm run bench:model [-- --rows 1,8,32,256 --seconds 1]`
 *
 * The model call alone, per TF.js backend and batch size: `Classifier.predict` (what the micro-batcher
 * calls) in a tight loop on the committed model, each backend loaded in turn in this one process. A
 * backend that cannot load here (tensorflow needs tfjs-node's native library) is reported, not measured.
 * Prints figures; never passes or fails on them.
 */
import { join } from "node:path";
import { parseArgs } from "node:util";
import { benchCommandLine } from "./command-line.js";
import { REPO_ROOT } from "./process-tools.js";
import { formatNumber, percentile, printTable } from "./report.js";
import { BACKENDS } from "../src/model/backend.js";
import { loadModel } from "../src/model/load-model.js";

const USAGE = `Usage: npm run bench:model [-- --rows 1,8,32,256] [--seconds S]
Times one model call (Classifier.predict) per TF.js backend and batch size, in a tight loop.
  --rows LIST    batch sizes, comma-separated (default 1,8,32,256)
  --seconds S    seconds per backend and batch size (default 1)
  -h, --help     this text`;
const { values } = benchCommandLine("bench:model", USAGE, () =>
  parseArgs({
    options: {
      rows: { type: "string", default: "1,8,32,256" },
      seconds: { type: "string", default: "1" },
      help: { type: "boolean", short: "h" },
    },
    strict: true,
  }),
);
const batchSizes = values.rows.split(",").map(Number);
const seconds = Number(values.seconds);
const IRIS_ROWS = [
  [5.1, 3.5, 1.4, 0.2],
  [6.4, 3.2, 4.5, 1.5],
  [6.3, 3.3, 6.0, 2.5],
  [5.8, 2.7, 5.1, 1.9],
];

const rows: string[][] = [
  ["backend", ...batchSizes.map((n) => `${n} row${n === 1 ? "" : "s"} µs`), "µs/row at max"],
];
for (const backend of BACKENDS) {
  let model;
  try {
    model = await loadModel(join(REPO_ROOT, "model"), { backend });
  } catch (error) {
    rows.push([
      backend,
      ...batchSizes.map(() => "-"),
      `unavailable: ${(error as Error).message.slice(0, 60)}`,
    ]);
    continue;
  }
  const medians: number[] = [];
  for (const n of batchSizes) {
    const features = Float32Array.from(
      { length: n * 4 },
      (_, i) => IRIS_ROWS[Math.floor(i / 4) % 4]![i % 4]!,
    );
    // Warm-up: the JIT, and TF.js' first-call kernel setup.
    for (let i = 0; i < 200; i++) model.predict(features, n);
    // Median of 1 ms windows: robust to the other processes sharing the machine.
    const windows: number[] = [];
    const end = performance.now() + seconds * 1000;
    while (performance.now() < end) {
      const start = performance.now();
      let calls = 0;
      while (performance.now() - start < 1) {
        model.predict(features, n);
        calls++;
      }
      windows.push(((performance.now() - start) * 1000) / calls);
    }
    medians.push(percentile(windows, 50));
  }
  rows.push([
    backend,
    ...medians.map((m) => formatNumber(m, 1)),
    formatNumber((medians.at(-1) ?? Number.NaN) / (batchSizes.at(-1) ?? 1), 2),
  ]);
  model.dispose();
}
console.log(
  `\nOne model call (Classifier.predict), median of 1 ms windows, ${seconds} s each, node ${process.version}`,
);
printTable(rows);
