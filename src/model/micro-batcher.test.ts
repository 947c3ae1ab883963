import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { MicroBatcher, QueueFullError } from "./micro-batcher.js";

/** A fake model: 2 inputs per row → 2 outputs per row (sum, difference); throws on NaN. Records batch sizes. */
function fakeModel() {
  const batches: number[] = [];
  const run = (features: Float32Array, rows: number) => {
    batches.push(rows);
    const out = new Float32Array(rows * 2);
    for (let r = 0; r < rows; r++) {
      const a = features[2 * r] as number;
      const b = features[2 * r + 1] as number;
      if (Number.isNaN(a) || Number.isNaN(b)) throw new Error("NaN row");
      out[2 * r] = a + b;
      out[2 * r + 1] = a - b;
    }
    return out;
  };
  return { run, batches };
}

const expected = (rows: number[][]) => Float32Array.from(rows.flatMap(([a = 0, b = 0]) => [a + b, a - b]));
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

describe("MicroBatcher", () => {
  it("gives every concurrent caller exactly its own rows back, whatever the interleaving", async () => {
    const request = fc.record({
      rows: fc.array(fc.tuple(fc.integer({ min: -1000, max: 1000 }), fc.integer({ min: -1000, max: 1000 })), {
        minLength: 1,
        maxLength: 12,
      }),
      waitTurns: fc.integer({ min: 0, max: 3 }),
    });
    await fc.assert(
      fc.asyncProperty(
        fc.array(request, { minLength: 1, maxLength: 40 }),
        fc.integer({ min: 1, max: 32 }),
        async (requests, maxRowsPerCall) => {
          const model = fakeModel();
          const batcher = new MicroBatcher(model.run, { inputWidth: 2, outputWidth: 2, maxRowsPerCall });
          const answers = await Promise.all(
            requests.map(async ({ rows, waitTurns }) => {
              for (let i = 0; i < waitTurns; i++) await nextTurn();
              return batcher.infer(Float32Array.from(rows.flat()), rows.length);
            }),
          );
          answers.forEach((answer, i) => expect(answer).toEqual(expected(requests[i]!.rows)));
          // A batch never exceeds the limit unless one caller alone brought more rows.
          const largestCaller = Math.max(...requests.map((r) => r.rows.length));
          for (const size of model.batches)
            expect(size).toBeLessThanOrEqual(Math.max(maxRowsPerCall, largestCaller));
          expect(batcher.queuedRows).toBe(0);
        },
      ),
      { numRuns: 200 },
    );
  });

  it("packs callers that arrive in the same event-loop turn into one model call", async () => {
    const model = fakeModel();
    const batcher = new MicroBatcher(model.run, { inputWidth: 2, outputWidth: 2, maxRowsPerCall: 64 });
    await Promise.all(Array.from({ length: 10 }, (_, i) => batcher.infer(Float32Array.of(i, 1), 1)));
    expect(model.batches).toEqual([10]);
  });

  it("splits a burst at maxRowsPerCall", async () => {
    const model = fakeModel();
    const batcher = new MicroBatcher(model.run, { inputWidth: 2, outputWidth: 2, maxRowsPerCall: 4 });
    await Promise.all(Array.from({ length: 10 }, (_, i) => batcher.infer(Float32Array.of(i, 1), 1)));
    expect(model.batches).toEqual([4, 4, 2]);
  });

  it("answers everything queued in the turn it runs, however many calls that takes", async () => {
    const model = fakeModel();
    const batcher = new MicroBatcher(model.run, { inputWidth: 2, outputWidth: 2, maxRowsPerCall: 4 });
    let answered = 0;
    const calls = Array.from({ length: 14 }, (_, i) =>
      batcher.infer(Float32Array.of(i, 1), 1).then((out) => {
        answered++;
        return out;
      }),
    );
    await nextTurn();
    expect(answered).toBe(14);
    expect(model.batches).toEqual([4, 4, 4, 2]);
    expect((await Promise.all(calls)).map((out) => out[0])).toEqual(
      Array.from({ length: 14 }, (_, i) => i + 1),
    );
    expect(batcher.queuedRows).toBe(0);
  });

  it("waits up to maxDelayMs for company", async () => {
    const model = fakeModel();
    const batcher = new MicroBatcher(model.run, { inputWidth: 2, outputWidth: 2, maxDelayMs: 30 });
    const first = batcher.infer(Float32Array.of(1, 1), 1);
    await new Promise((r) => setTimeout(r, 5));
    const second = batcher.infer(Float32Array.of(2, 2), 1);
    expect(await first).toEqual(Float32Array.of(2, 0));
    expect(await second).toEqual(Float32Array.of(4, 0));
    expect(model.batches).toEqual([2]);
  });

  it("fails only the caller whose rows break the model", async () => {
    const model = fakeModel();
    const batcher = new MicroBatcher(model.run, { inputWidth: 2, outputWidth: 2 });
    const results = await Promise.allSettled([
      batcher.infer(Float32Array.of(1, 2), 1),
      batcher.infer(Float32Array.of(Number.NaN, 0), 1),
      batcher.infer(Float32Array.of(3, 4, 5, 6), 2),
    ]);
    expect(results.map((r) => r.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    expect((results[0] as PromiseFulfilledResult<Float32Array>).value).toEqual(Float32Array.of(3, -1));
    expect((results[2] as PromiseFulfilledResult<Float32Array>).value).toEqual(
      Float32Array.of(7, -1, 11, -1),
    );
  });

  it("rejects at once with QueueFullError when the queue is full, and recovers after", async () => {
    const model = fakeModel();
    const batcher = new MicroBatcher(model.run, { inputWidth: 2, outputWidth: 2, maxQueueRows: 4 });
    const accepted = [1, 2, 3, 4].map((i) => batcher.infer(Float32Array.of(i, 0), 1));
    const refused = batcher.infer(Float32Array.of(5, 0), 1);
    await expect(refused).rejects.toBeInstanceOf(QueueFullError);
    await expect(refused).rejects.toThrow("inference queue is full (4 rows waiting, limit 4)");
    expect(await Promise.all(accepted)).toHaveLength(4);
    await expect(batcher.infer(Float32Array.of(6, 0), 1)).resolves.toEqual(Float32Array.of(6, 6));
  });

  it("accepts one oversized caller into an empty queue", async () => {
    const model = fakeModel();
    const batcher = new MicroBatcher(model.run, {
      inputWidth: 2,
      outputWidth: 2,
      maxRowsPerCall: 2,
      maxQueueRows: 2,
    });
    await expect(batcher.infer(new Float32Array(10), 5)).resolves.toHaveLength(10);
    expect(model.batches).toEqual([5]);
  });

  it("names the option it rejects", () => {
    expect(
      () => new MicroBatcher(fakeModel().run, { inputWidth: 2, outputWidth: 2, maxRowsPerCall: 0 }),
    ).toThrow("MicroBatcher: maxRowsPerCall must be an integer ≥ 1, got 0");
  });
});
