import { JsonPatch, Testing } from "cdk8s";
import { KubeHorizontalPodAutoscalerV2 } from "cdk8s-plus-28/lib/imports/k8s.js";
import { describe, expect, it } from "vitest";
import { DEFAULT_SETTINGS } from "../settings.js";
import { InferenceAutoscaler } from "./inference-autoscaler.js";
import { InferenceDisruptionBudget } from "./inference-disruption-budget.js";
import { InferenceScaledObject, type InferenceScaledObjectProps } from "./inference-scaled-object.js";
import { chartWithService } from "../../test/support/inference-fixtures.js";
import { manifestProblems } from "../../test/support/k8s-checks.js";

const DEPLOYMENT = { apiVersion: "apps/v1", kind: "Deployment", name: "iris-inference" } as const;
const QUERY = 'sum(rate(http_requests_total{job="iris-inference"}[1m]))';

function scaled(props: Partial<Omit<InferenceScaledObjectProps, "service">> = {}) {
  const { chart, service } = chartWithService();
  const scaler = new InferenceScaledObject(chart, "scaled-object", {
    service,
    scaleTarget: DEPLOYMENT,
    prometheusUrl: "http://prometheus.monitoring.svc:9090",
    query: QUERY,
    targetRequestsPerSecondPerPod: 311,
    ...props,
  });
  return { chart, service, scaler };
}
const scaledObjectOf = (chart: ReturnType<typeof scaled>["chart"]) =>
  Testing.synth(chart).find((o) => o.kind === "ScaledObject");

describe("InferenceScaledObject", () => {
  it("is a keda.sh/v1alpha1 ScaledObject named after the service, targeting the given workload", () => {
    const { chart, scaler } = scaled();
    const object = scaledObjectOf(chart);
    expect(object.apiVersion).toBe("keda.sh/v1alpha1");
    expect(object.metadata).toMatchObject({ name: "iris-inference", namespace: "ml" });
    expect(object.spec.scaleTargetRef).toEqual(DEPLOYMENT);
    expect(scaler.hpaName).toBe("keda-hpa-iris-inference");
  });

  it("scales 2-10 pods on one Prometheus trigger whose threshold is the per-pod rate (AverageValue)", () => {
    const { chart } = scaled();
    const { spec } = scaledObjectOf(chart);
    expect(spec).toMatchObject({ minReplicaCount: 2, maxReplicaCount: 10, pollingInterval: 15 });
    expect(spec.triggers).toEqual([
      {
        type: "prometheus",
        name: "request-rate",
        metricType: "AverageValue",
        metadata: {
          serverAddress: "http://prometheus.monitoring.svc:9090",
          query: QUERY,
          threshold: "311",
          ignoreNullValues: "true",
        },
      },
    ]);
    expect(spec.fallback).toBeUndefined();
    expect(spec.advanced).toBeUndefined();
  });

  it("carries bounds, behavior and fallback over into the spec", () => {
    // Not the default behavior, so the spec can only hold it if it was carried over.
    const behavior = {
      ...DEFAULT_SETTINGS.autoscalingBehavior,
      scaleDown: {
        stabilizationWindowSeconds: 120,
        selectPolicy: "Min",
        policies: [{ type: "Pods", value: 1, periodSeconds: 60 }],
      },
    } as const;
    const { chart } = scaled({
      minReplicas: 3,
      maxReplicas: 7,
      pollingIntervalSeconds: 30,
      behavior,
      fallbackReplicas: 5,
    });
    const { spec } = scaledObjectOf(chart);
    expect(spec).toMatchObject({ minReplicaCount: 3, maxReplicaCount: 7, pollingInterval: 30 });
    expect(spec.fallback).toEqual({ failureThreshold: 3, replicas: 5 });
    expect(spec.advanced.horizontalPodAutoscalerConfig).toEqual({ behavior });
  });

  it("passes the strict ScaledObject schema, and a misspelt field fails it", async () => {
    const { chart } = scaled({ behavior: DEFAULT_SETTINGS.autoscalingBehavior, fallbackReplicas: 4 });
    const objects = Testing.synth(chart);
    const options = { externalNamespaces: ["ml"] };
    expect(await manifestProblems(objects, options)).toEqual([]);
    const misspelt = objects.map((o) =>
      o.kind === "ScaledObject" ? { ...o, spec: { ...o.spec, pollingIntervall: 15 } } : o,
    );
    expect(await manifestProblems(misspelt, options)).toEqual([
      "ScaledObject ml/iris-inference: spec.pollingIntervall: unknown field (not in IScaledObject of @kubernetes-models/keda 0.4.2)",
    ]);
  });

  it.each([
    [{ minReplicas: 0 }, "props.minReplicas must be an integer >= 1, got 0"],
    [{ minReplicas: 4, maxReplicas: 3 }, "props.maxReplicas must be an integer >= minReplicas (4), got 3"],
    [
      { targetRequestsPerSecondPerPod: 0 },
      "props.targetRequestsPerSecondPerPod must be a positive number, got 0",
    ],
    [{ pollingIntervalSeconds: 0.5 }, "props.pollingIntervalSeconds must be an integer >= 1, got 0.5"],
    [
      { prometheusUrl: "prometheus:9090" },
      'props.prometheusUrl must be an http(s) URL, got "prometheus:9090"',
    ],
    [{ query: " " }, 'props.query must not be empty, got " "'],
    [
      { fallbackReplicas: 11 },
      "props.fallbackReplicas must be an integer from minReplicas (2) to maxReplicas (10), got 11",
    ],
  ])("rejects %j", (props, message) => {
    expect(() => scaled(props)).toThrow(`InferenceScaledObject: ${message}`);
  });

  it("fails the synth when our HPA also scales the same workload", () => {
    const { chart, service } = scaled();
    new InferenceAutoscaler(chart, "autoscaler", { service });
    expect(() => Testing.synth(chart)).toThrow(
      /ScaledObject iris-inference \(.*scaled-object\): HorizontalPodAutoscaler iris-inference \(.*autoscaler\/hpa\) also scales Deployment iris-inference; use one autoscaler per workload/,
    );
  });

  it("fails the synth when any other HPA scales the same workload, but not one for another workload", () => {
    const { chart } = scaled();
    const hpa = (name: string, target: string) =>
      new KubeHorizontalPodAutoscalerV2(chart, name, {
        metadata: { name, namespace: "ml" },
        spec: { scaleTargetRef: { ...DEPLOYMENT, name: target }, maxReplicas: 3 },
      });
    hpa("other-workload", "something-else");
    expect(() => Testing.synth(chart)).not.toThrow();
    hpa("hand-written", "iris-inference");
    expect(() => Testing.synth(chart)).toThrow(/HorizontalPodAutoscaler hand-written .* also scales/);
  });

  it("fails the synth when the scale target does not exist or sets replicas", () => {
    const missing = scaled({
      scaleTarget: { ...DEPLOYMENT, kind: "Rollout", apiVersion: "argoproj.io/v1alpha1" },
    });
    expect(() => Testing.synth(missing.chart)).toThrow(
      "scale target Rollout iris-inference (argoproj.io/v1alpha1) does not exist in namespace ml",
    );
    const { chart, service } = scaled();
    service.deployment.addJsonPatch(JsonPatch.add("/spec/replicas", 3));
    expect(() => Testing.synth(chart)).toThrow(
      "sets spec.replicas (3); leave it unset so KEDA's HorizontalPodAutoscaler alone owns the replica count",
    );
  });

  it("is the floor the disruption budget checks against", () => {
    const { chart, service } = scaled({ minReplicas: 2 });
    new InferenceDisruptionBudget(chart, "pdb", { service, minAvailable: 2 });
    expect(() => Testing.synth(chart)).toThrow(
      /minAvailable \(2\) must be less than the ScaledObject's minReplicaCount \(2, .*scaled-object\)/,
    );
  });
});
