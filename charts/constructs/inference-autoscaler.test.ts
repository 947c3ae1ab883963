/* eslint-disable @typescript-eslint/no-explicit-any -- tests navigate synthesized YAML freely; the schema checks type it */
import { Testing } from "cdk8s";
import { describe, expect, it } from "vitest";
import { InferenceAutoscaler, type InferenceAutoscalerProps } from "./inference-autoscaler.js";
import { chartWithService } from "../../test/support/inference-fixtures.js";

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

  it("scales up at once by 100 % or 2 pods per 15 s, whichever is more", () => {
    expect(hpaSpec().spec.behavior.scaleUp).toEqual({
      stabilizationWindowSeconds: 0,
      selectPolicy: "Max",
      policies: [
        { type: "Percent", value: 100, periodSeconds: 15 },
        { type: "Pods", value: 2, periodSeconds: 15 },
      ],
    });
  });

  it("scales down by at most 50 % per 15 s after a 5-minute stabilisation window", () => {
    expect(hpaSpec().spec.behavior.scaleDown).toEqual({
      stabilizationWindowSeconds: 300,
      selectPolicy: "Max",
      policies: [{ type: "Percent", value: 50, periodSeconds: 15 }],
    });
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
});
