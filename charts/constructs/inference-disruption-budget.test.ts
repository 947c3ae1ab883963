import { Testing } from "cdk8s";
import { describe, expect, it } from "vitest";
import { InferenceDisruptionBudget } from "./inference-disruption-budget.js";
import { chartWithService } from "../../test/support/inference-fixtures.js";

function pdb(minAvailable?: number) {
  const { chart, service } = chartWithService();
  new InferenceDisruptionBudget(chart, "pdb", {
    service,
    ...(minAvailable === undefined ? {} : { minAvailable }),
  });
  return { service, pdb: Testing.synth(chart).find((o) => o.kind === "PodDisruptionBudget") };
}

describe("InferenceDisruptionBudget", () => {
  it("keeps at least one server pod and lets unhealthy pods be evicted", () => {
    const { pdb: budget, service } = pdb();
    expect(budget.apiVersion).toBe("policy/v1");
    expect(budget.metadata).toMatchObject({ name: "iris-inference", namespace: "ml" });
    expect(budget.spec).toEqual({
      minAvailable: 1,
      selector: { matchLabels: service.selectorLabels },
      unhealthyPodEvictionPolicy: "AlwaysAllow",
    });
  });

  it("rejects a budget that protects nothing", () => {
    expect(() => pdb(0)).toThrow(
      "InferenceDisruptionBudget: props.minAvailable must be an integer >= 1, got 0",
    );
  });
});
