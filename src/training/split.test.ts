import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { seededRandom, stratifiedSplit } from "./split.js";

const labels = [...Array(50).fill(0), ...Array(50).fill(1), ...Array(50).fill(2)] as number[];

describe("stratifiedSplit", () => {
  it("holds out the same share of every class", () => {
    const { train, holdout } = stratifiedSplit(labels, 0.2, 42);
    expect(holdout).toHaveLength(30);
    expect(train).toHaveLength(120);
    for (const c of [0, 1, 2]) expect(holdout.filter((i) => labels[i] === c)).toHaveLength(10);
  });

  it("is a partition of the samples for any seed and fraction", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 ** 31 }),
        fc.double({ min: 0.05, max: 0.95, noNaN: true }),
        (seed, f) => {
          const { train, holdout } = stratifiedSplit(labels, f, seed);
          expect([...train, ...holdout].sort((a, b) => a - b)).toEqual(labels.map((_, i) => i));
        },
      ),
      { numRuns: 200 },
    );
  });

  it("is deterministic for a seed and differs between seeds", () => {
    expect(stratifiedSplit(labels, 0.2, 7)).toEqual(stratifiedSplit(labels, 0.2, 7));
    expect(stratifiedSplit(labels, 0.2, 7).holdout).not.toEqual(stratifiedSplit(labels, 0.2, 8).holdout);
  });

  it("rejects a fraction outside (0, 1)", () => {
    expect(() => stratifiedSplit(labels, 1, 1)).toThrow("holdoutFraction must be between 0 and 1, got 1");
  });
});

describe("seededRandom", () => {
  it("repeats its sequence for a seed and stays in [0, 1)", () => {
    const a = seededRandom(123);
    const b = seededRandom(123);
    const values = Array.from({ length: 1000 }, () => a());
    expect(Array.from({ length: 1000 }, () => b())).toEqual(values);
    expect(values.every((v) => v >= 0 && v < 1)).toBe(true);
    expect(new Set(values).size).toBeGreaterThan(990);
  });
});
