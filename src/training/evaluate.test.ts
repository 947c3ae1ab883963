import { describe, expect, it } from "vitest";
import { argmax, evaluate } from "./evaluate.js";

describe("evaluate", () => {
  it("computes accuracy, precision, recall and the confusion matrix", () => {
    // actual: a a b b ; predicted: a b b b
    const probabilities = [0.9, 0.1, 0.2, 0.8, 0.3, 0.7, 0.4, 0.6];
    const result = evaluate(probabilities, [0, 0, 1, 1], ["a", "b"]);
    expect(result.confusionMatrix).toEqual([
      [1, 1],
      [0, 2],
    ]);
    expect(result.accuracy).toBe(0.75);
    expect(result.perClass.a).toEqual({ precision: 1, recall: 0.5, support: 2 });
    expect(result.perClass.b).toEqual({ precision: 0.6667, recall: 1, support: 2 });
  });

  it("argmax takes the first of equal maxima", () => {
    expect(argmax([0.2, 0.4, 0.4], 0, 3)).toBe(1);
    expect(argmax([9, 9, 0.1, 0.2, 0.7], 2, 3)).toBe(2);
  });
});
