/* eslint-disable @typescript-eslint/no-explicit-any -- tests navigate synthesized YAML freely; the schema checks type it */
import { Testing } from "cdk8s";
import { describe, expect, it } from "vitest";
import { chartWithService } from "../../test/support/inference-fixtures.js";
import { InferenceAnalysisTemplate } from "./inference-analysis-template.js";
import { InferenceAutoscaler } from "./inference-autoscaler.js";
import { InferenceRollout, type InferenceRolloutProps } from "./inference-rollout.js";

const THRESHOLDS = { maxErrorRatio: 0.02, maxP95LatencySeconds: 0.5, maxClassShareDifference: 0.3 };

function synth(props: Omit<InferenceRolloutProps, "service"> = { strategy: "canary" }) {
  const { chart, service } = chartWithService();
  const rollout = new InferenceRollout(chart, "rollout", { service, ...props });
  return { rollout, objects: Testing.synth(chart) as any[] };
}

describe("InferenceRollout", () => {
  it("replaces the Deployment: the chart holds a Rollout of the same name and no Deployment", () => {
    const { rollout, objects } = synth();
    expect(objects.map((o) => o.kind)).not.toContain("Deployment");
    expect(objects.filter((o) => o.kind === "Rollout").map((o) => o.metadata)).toEqual([
      expect.objectContaining({ name: "iris-inference", namespace: "ml" }),
    ]);
    expect(rollout.scaleTarget).toEqual({
      apiVersion: "argoproj.io/v1alpha1",
      kind: "Rollout",
      name: "iris-inference",
    });
  });

  it("defaults to 10 % and 50 % for two minutes each, and to automatic blue-green promotion", () => {
    const { rollout, objects } = synth();
    expect(rollout.canarySteps).toEqual([
      { weight: 10, pauseSeconds: 120 },
      { weight: 50, pauseSeconds: 120 },
    ]);
    expect(objects.find((o) => o.kind === "Rollout").spec.strategy.canary.steps).toEqual([
      { setWeight: 10 },
      { pause: { duration: "120s" } },
      { setWeight: 50 },
      { pause: { duration: "120s" } },
    ]);
    expect(synth({ strategy: "blueGreen" }).rollout.autoPromotion).toBe(true);
  });

  it("rejects canary steps whose weights do not increase within 1..100, naming the prop", () => {
    expect(() =>
      synth({
        strategy: "canary",
        canarySteps: [
          { weight: 30, pauseSeconds: 10 },
          { weight: 30, pauseSeconds: 10 },
        ],
      }),
    ).toThrow(
      "InferenceRollout: props.canarySteps weights must be increasing integers from 1 to 100, got 30, 30",
    );
    expect(() => synth({ strategy: "canary", canarySteps: [] })).toThrow(
      "InferenceRollout: props.canarySteps must not be empty",
    );
  });

  it("lets the HPA target the Rollout through scaleTarget", () => {
    const { chart, service } = chartWithService();
    const rollout = new InferenceRollout(chart, "rollout", { service, strategy: "blueGreen" });
    new InferenceAutoscaler(chart, "autoscaler", { service, scaleTarget: rollout.scaleTarget });
    const hpa = (Testing.synth(chart) as any[]).find((o) => o.kind === "HorizontalPodAutoscaler");
    expect(hpa.spec.scaleTargetRef).toEqual(rollout.scaleTarget);
  });
});

describe("InferenceAnalysisTemplate", () => {
  const template = (props: Partial<ConstructorParameters<typeof InferenceAnalysisTemplate>[2]> = {}) => {
    const { chart } = chartWithService();
    new InferenceAnalysisTemplate(chart, "analysis", {
      name: "iris-inference",
      namespace: "ml",
      labels: {},
      prometheusUrl: "http://prometheus.monitoring.svc:9090",
      scope: { namespace: "ml", jobs: ["iris-inference", "iris-inference-preview"] },
      thresholds: THRESHOLDS,
      ...props,
    });
    return (Testing.synth(chart) as any[]).find((o) => o.kind === "AnalysisTemplate");
  };

  it("measures every interval from the given Prometheus, with the thresholds in the conditions", () => {
    const spec = template({ interval: "30s", failureLimit: 2 }).spec;
    expect(spec.metrics.map((m: any) => [m.name, m.interval, m.failureLimit, m.failureCondition])).toEqual([
      ["error-ratio", "30s", 2, "len(result) > 0 && result[0] > 0.02"],
      ["p95-latency", "30s", 2, "len(result) > 0 && result[0] > 0.5"],
      ["class-share-difference", "30s", 2, "len(result) > 0 && result[0] > 0.3"],
    ]);
    // Pods behind the preview Service are scraped under its name as the job in operator mode.
    expect(spec.metrics[0].provider.prometheus.query).toContain(
      'job=~"iris-inference|iris-inference-preview"',
    );
  });

  it("rejects a Prometheus address that is not an http(s) URL", () => {
    expect(() => template({ prometheusUrl: "prometheus:9090" })).toThrow(
      'InferenceAnalysisTemplate: props.prometheusUrl must be an http(s) URL, got "prometheus:9090"',
    );
  });
});
