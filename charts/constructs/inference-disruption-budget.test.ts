import { JsonPatch, Testing } from "cdk8s";
import { describe, expect, it } from "vitest";
import { InferenceAutoscaler } from "./inference-autoscaler.js";
import { InferenceDisruptionBudget } from "./inference-disruption-budget.js";
import { chartWithService } from "../../test/support/inference-fixtures.js";

function pdb(minAvailable?: number, minReplicas = 2) {
  const { chart, service } = chartWithService();
  new InferenceAutoscaler(chart, "autoscaler", { service, minReplicas });
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

  it("fails the synth when minAvailable is not below the autoscaler's minReplicas", () => {
    expect(() => pdb(2, 3)).not.toThrow();
    expect(() => pdb(3, 3)).toThrow(
      "Validation failed with the following errors:\n" +
        "  [test/pdb] minAvailable (3) must be less than the HorizontalPodAutoscaler's minReplicas (3, test/autoscaler), " +
        "or no node drain can ever evict a pod",
    );
  });

  it("fails the synth for a single pod without autoscaler, and compares with fixed replicas otherwise", () => {
    const single = chartWithService();
    new InferenceDisruptionBudget(single.chart, "pdb", { service: single.service });
    expect(() => Testing.synth(single.chart)).toThrow(
      "  [test/pdb] minAvailable (1) must be less than the single pod of a Deployment without replicas or autoscaler, " +
        "or no node drain can ever evict a pod",
    );
    const withReplicas = (minAvailable: number) => {
      const { chart, service } = chartWithService();
      service.deployment.addJsonPatch(JsonPatch.add("/spec/replicas", 2));
      new InferenceDisruptionBudget(chart, "pdb", { service, minAvailable });
      return () => Testing.synth(chart);
    };
    expect(withReplicas(1)).not.toThrow();
    expect(withReplicas(2)).toThrow(
      "  [test/pdb] minAvailable (2) must be less than the Deployment's replicas (2), or no node drain can ever evict a pod",
    );
  });
});
