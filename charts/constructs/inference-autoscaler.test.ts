/* eslint-disable @typescript-eslint/no-explicit-any -- tests navigate synthesized YAML freely; the schema checks type it */
import { JsonPatch, Testing } from "cdk8s";
import { describe, expect, it } from "vitest";
import {
  InferenceAutoscaler,
  type InferenceAutoscalerProps,
  type ScalingBehavior,
} from "./inference-autoscaler.js";
import { chartWithService } from "../../test/support/inference-fixtures.js";

const BEHAVIOR: ScalingBehavior = {
  scaleUp: {
    stabilizationWindowSeconds: 30,
    selectPolicy: "Min",
    policies: [{ type: "Pods", value: 4, periodSeconds: 30 }],
  },
  scaleDown: {
    policies: [
      { type: "Pods", value: 1, periodSeconds: 120 },
      { type: "Percent", value: 10, periodSeconds: 60 },
    ],
    selectPolicy: "Disabled",
    stabilizationWindowSeconds: 600,
  },
};

function hpaSpec(props: Omit<InferenceAutoscalerProps, "service"> = {}) {
  const { chart, service } = chartWithService();
  new InferenceAutoscaler(chart, "autoscaler", { service, ...props });
  const hpa = Testing.synth(chart).find((o) => o.kind === "HorizontalPodAutoscaler");
  return { hpa, spec: hpa.spec };
}

describe("InferenceAutoscaler", () => {
  it("is an autoscaling/v2 HPA named after the service, targeting its Deployment", () => {
    const { hpa, spec } = hpaSpec();
    expect(hpa.apiVersion).toBe("autoscaling/v2");
    expect(hpa.metadata).toMatchObject({ name: "iris-inference", namespace: "ml" });
    expect(spec.scaleTargetRef).toEqual({
      apiVersion: "apps/v1",
      kind: "Deployment",
      name: "iris-inference",
    });
  });

  it("scales between 2 and 10 replicas on 70 % CPU and 80 % memory by default", () => {
    const { spec } = hpaSpec();
    expect(spec.minReplicas).toBe(2);
    expect(spec.maxReplicas).toBe(10);
    expect(spec.metrics).toEqual([
      {
        type: "Resource",
        resource: { name: "cpu", target: { type: "Utilization", averageUtilization: 70 } },
      },
      {
        type: "Resource",
        resource: { name: "memory", target: { type: "Utilization", averageUtilization: 80 } },
      },
    ]);
  });

  it("leaves out behavior by default, so Kubernetes' own scaling rules apply", () => {
    expect(hpaSpec().spec).not.toHaveProperty("behavior");
  });

  it("writes the scale-up and scale-down rules it is given", () => {
    expect(hpaSpec({ behavior: BEHAVIOR }).spec.behavior).toEqual(BEHAVIOR);
  });

  it("takes bounds and targets from props", () => {
    const { spec } = hpaSpec({
      minReplicas: 3,
      maxReplicas: 5,
      cpuUtilizationPercent: 50,
      memoryUtilizationPercent: 60,
    });
    expect([spec.minReplicas, spec.maxReplicas]).toEqual([3, 5]);
    expect(spec.metrics.map((m: any) => m.resource.target.averageUtilization)).toEqual([50, 60]);
  });

  it("rejects invalid props with a message naming the prop", () => {
    expect(() => hpaSpec({ minReplicas: 0 })).toThrow(
      "InferenceAutoscaler: props.minReplicas must be an integer >= 1, got 0",
    );
    expect(() => hpaSpec({ minReplicas: 4, maxReplicas: 3 })).toThrow(
      "InferenceAutoscaler: props.maxReplicas must be an integer >= minReplicas (4), got 3",
    );
    expect(() => hpaSpec({ memoryUtilizationPercent: 120 })).toThrow(
      "InferenceAutoscaler: props.memoryUtilizationPercent must be an integer from 1 to 100, got 120",
    );
  });

  it("fails the synth when the scale target Deployment sets replicas", () => {
    const { chart, service } = chartWithService();
    new InferenceAutoscaler(chart, "autoscaler", { service });
    expect(() => Testing.synth(chart)).not.toThrow();
    service.deployment.addJsonPatch(JsonPatch.add("/spec/replicas", 3));
    expect(() => Testing.synth(chart)).toThrow(
      "Validation failed with the following errors:\n" +
        "  [test/autoscaler] the scale target Deployment iris-inference (test/inference/workload/deployment) " +
        "sets spec.replicas (3); leave it unset so the HorizontalPodAutoscaler alone owns the replica count",
    );
  });
});
