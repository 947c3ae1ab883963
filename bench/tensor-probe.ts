/**
 * An instrument preloaded into the server under test (`node --expose-gc --import ./build/bench/tensor-probe.js
 * build/src/server/main.js`, with an IPC channel): on each `"sample"` message it answers with the process's
 * memory and TF.js' live tensor count. The server exposes no tensor count itself, and the soak must
 * measure the production build unchanged, so the probe reads the TF.js engine from inside the process:
 * TF.js keeps one engine per process, which this import shares with the server's.
 */
import * as tf from "@tensorflow/tfjs";

/** What the probe answers. */
export interface ProbeSample {
  readonly rssBytes: number;
  /** V8 heap in use when the sample was asked for. */
  readonly heapUsedBytes: number;
  /** V8 heap in use after a full garbage collection: what a leak makes grow. */
  readonly heapAfterGcBytes: number;
  readonly tensors: number;
  readonly tensorBytes: number;
}

const collectGarbage = (globalThis as { gc?: () => void }).gc;

process.on("message", (message) => {
  if (message !== "sample") return;
  const before = process.memoryUsage();
  collectGarbage?.();
  const after = process.memoryUsage();
  // Only asked once the server is ready, so the backend it chose is the one measured.
  const memory = tf.memory();
  const sample: ProbeSample = {
    rssBytes: after.rss,
    heapUsedBytes: before.heapUsed,
    heapAfterGcBytes: collectGarbage ? after.heapUsed : Number.NaN,
    tensors: memory.numTensors,
    tensorBytes: memory.numBytes,
  };
  process.send?.(sample);
});
// The IPC channel must not keep a finished server alive.
process.channel?.unref();
