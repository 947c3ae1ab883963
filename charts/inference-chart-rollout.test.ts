/* eslint-disable @typescript-eslint/no-explicit-any -- tests navigate synthesized YAML freely; the schema checks type it */
import { JsonPatch, Testing } from "cdk8s";
import { describe, expect, it } from "vitest";
import { METRICS } from "../src/contract/index.js";
import { manifestProblems, selectorMatches, synthObjects } from "../test/support/k8s-checks.js";
import { schemaProblems } from "../test/support/k8s-schema.js";
import { parsePromql } from "../test/monitoring/promql-syntax.js";
import { expandGrafanaVariables } from "../test/monitoring/query-inventory.js";
import { buildApp } from "./app.js";
import {
  ANALYSIS_ARGS,
  POD_TEMPLATE_HASH_LABEL,
  ROLLOUT_ROLE_LABEL,
} from "./constructs/argo-rollouts-names.js";
import { withArgs } from "./monitoring/rollout-analysis.js";
import { resolveSettings, type SettingsOverrides } from "./settings.js";

function build(overrides: SettingsOverrides = {}) {
  const built = buildApp(resolveSettings(overrides), "unused-outdir");
  const objects = [
    built.namespaces,
    built.inference,
    ...(built.monitoring ? [built.monitoring] : []),
  ].flatMap((chart) => synthObjects(chart));
  const find = (kind: string, name = "iris-inference") =>
    objects.find((o) => o.kind === kind && o.metadata.name === name) as any;
  return { ...built, objects, find };
}

const canary = () => build({ rollout: { strategy: "canary" } });
const blueGreen = () => build({ rollout: { strategy: "blueGreen", blueGreenAutoPromotion: false } });

describe("rollout.strategy", () => {
  it('"rolling" (the default) keeps the Deployment, scaled by the HPA, and no Argo Rollouts object', () => {
    const { inference, objects, find } = build();
    expect(inference.rollout).toBeUndefined();
    expect(inference.scaleTarget).toEqual({
      apiVersion: "apps/v1",
      kind: "Deployment",
      name: "iris-inference",
    });
    expect(find("HorizontalPodAutoscaler").spec.scaleTargetRef).toEqual(inference.scaleTarget);
    expect(objects.filter((o) => o.apiVersion.startsWith("argoproj.io"))).toEqual([]);
  });

  it.each([
    ["canary", canary],
    ["blueGreen", blueGreen],
  ])(
    "%s: every object passes the strict schemas (CRDs included) and every semantic check",
    async (_, make) => {
      expect(await manifestProblems(make().objects)).toEqual([]);
    },
  );

  it("canary: a Rollout replaces the Deployment with the same pod template, and the HPA scales the Rollout", () => {
    const { inference, objects, find } = canary();
    const rolling = build().find("Deployment");
    expect(find("Deployment")).toBeUndefined();
    const rollout = find("Rollout");
    expect(rollout.apiVersion).toBe("argoproj.io/v1alpha1");
    expect(rollout.spec).not.toHaveProperty("replicas");
    expect(rollout.spec.selector).toEqual(rolling.spec.selector);
    // Same pod, except that the spread counts each ReplicaSet by the hash label a Rollout's pods carry.
    const spread = (t: any) => t.spec.topologySpreadConstraints[0].matchLabelKeys;
    expect(spread(rolling.spec.template)).toEqual(["pod-template-hash"]);
    expect(spread(rollout.spec.template)).toEqual([POD_TEMPLATE_HASH_LABEL]);
    const withoutSpread = (t: any) => ({ ...t, spec: { ...t.spec, topologySpreadConstraints: undefined } });
    expect(withoutSpread(rollout.spec.template)).toEqual(withoutSpread(rolling.spec.template));

    expect(inference.scaleTarget).toEqual({
      apiVersion: "argoproj.io/v1alpha1",
      kind: "Rollout",
      name: "iris-inference",
    });
    expect(find("HorizontalPodAutoscaler").spec.scaleTargetRef).toEqual(inference.scaleTarget);
    expect(objects.filter((o) => o.kind === "HorizontalPodAutoscaler")).toHaveLength(1);
  });

  it("canary with KEDA (autoscaling.mode requests): the ScaledObject scales the Rollout, no HPA of our own", async () => {
    const { inference, objects, find } = build({
      rollout: { strategy: "canary" },
      autoscaling: { mode: "requests" },
    });
    expect(find("ScaledObject").spec.scaleTargetRef).toEqual(inference.scaleTarget);
    expect(inference.scaleTarget.kind).toBe("Rollout");
    expect(objects.filter((o) => o.kind === "HorizontalPodAutoscaler")).toEqual([]);
    expect(await manifestProblems(objects)).toEqual([]);
  });

  it("canary: steps from settings, stable and canary Services, background analysis on the latest vs stable hash", () => {
    const { find } = build({
      rollout: {
        strategy: "canary",
        canarySteps: [
          { weight: 20, pauseSeconds: 60 },
          { weight: 60, pauseSeconds: "promote" },
        ],
      },
    });
    const strategy = find("Rollout").spec.strategy;
    expect(Object.keys(strategy)).toEqual(["canary"]);
    expect(strategy.canary).toMatchObject({
      stableService: "iris-inference-stable",
      canaryService: "iris-inference-canary",
      stableMetadata: { labels: { [ROLLOUT_ROLE_LABEL]: "stable" } },
      canaryMetadata: { labels: { [ROLLOUT_ROLE_LABEL]: "canary" } },
      maxSurge: "25%",
      maxUnavailable: 0,
      steps: [{ setWeight: 20 }, { pause: { duration: "60s" } }, { setWeight: 60 }, { pause: {} }],
      analysis: {
        templates: [{ templateName: "iris-inference" }],
        args: [
          { name: ANALYSIS_ARGS.newHash, valueFrom: { podTemplateHashValue: "Latest" } },
          { name: ANALYSIS_ARGS.oldHash, valueFrom: { podTemplateHashValue: "Stable" } },
        ],
      },
    });
    expect(find("AnalysisTemplate").spec.args).toEqual([
      { name: ANALYSIS_ARGS.newHash },
      { name: ANALYSIS_ARGS.oldHash },
    ]);
  });

  it.each([
    ["canary", canary, ["iris-inference", "iris-inference-stable", "iris-inference-canary"]],
    ["blueGreen", blueGreen, ["iris-inference", "iris-inference-preview"]],
  ])(
    "%s: every Service, the PodDisruptionBudget and the NetworkPolicy select the Rollout's pods",
    (_, make, services) => {
      const { objects, find } = make();
      const podLabels = find("Rollout").spec.template.metadata.labels;
      const serviceNames = objects.filter((o) => o.kind === "Service" && o.metadata.namespace === "infer8s");
      expect(serviceNames.map((s) => s.metadata.name).sort()).toEqual([...services].sort());
      for (const name of services) {
        const selector = find("Service", name).spec.selector;
        expect(selectorMatches({ matchLabels: selector }, podLabels), name).toBe(true);
        expect(find("Service", name).spec.ports).toEqual(find("Service").spec.ports);
      }
      expect(selectorMatches(find("PodDisruptionBudget").spec.selector, podLabels)).toBe(true);
      expect(selectorMatches(find("NetworkPolicy").spec.podSelector, podLabels)).toBe(true);
    },
  );

  it("blueGreen: the main Service is the active one, the analysis runs before promotion, promotion as configured", () => {
    const { find } = blueGreen();
    expect(find("Rollout").spec.strategy).toEqual({
      blueGreen: {
        activeService: "iris-inference",
        previewService: "iris-inference-preview",
        autoPromotionEnabled: false,
        activeMetadata: { labels: { [ROLLOUT_ROLE_LABEL]: "active" } },
        previewMetadata: { labels: { [ROLLOUT_ROLE_LABEL]: "preview" } },
        prePromotionAnalysis: find("Rollout").spec.strategy.blueGreen.prePromotionAnalysis,
      },
    });
    expect(find("Rollout").spec.strategy.blueGreen.prePromotionAnalysis.templates).toEqual([
      { templateName: "iris-inference" },
    ]);
  });

  it("the analysis reads our own Prometheus, and three parsable queries over this service's metrics", () => {
    const { find, monitoring } = canary();
    const template = find("AnalysisTemplate");
    expect(template.metadata.namespace).toBe("infer8s");
    const metrics = template.spec.metrics;
    expect(metrics.map((m: any) => m.name)).toEqual(["error-ratio", "p95-latency", "class-share-difference"]);
    for (const m of metrics) {
      expect(m.provider.prometheus.address).toBe((monitoring as any).prometheus.url);
      expect(m).toMatchObject({ interval: "1m", failureLimit: 1 });
      const query = withArgs(m.provider.prometheus.query, {
        [ANALYSIS_ARGS.newHash]: "6d4cf56db6",
        [ANALYSIS_ARGS.oldHash]: "7f8b9c0d1e",
      });
      expect(parsePromql(query).errorsAt, query).toEqual([]);
      expect(query).toContain('rollouts_pod_template_hash="6d4cf56db6"');
    }
    expect(parsePromql(metrics[0].provider.prometheus.query).metricNames).toEqual([METRICS.httpRequests]);
    expect(metrics.map((m: any) => m.successCondition)).toEqual([
      "len(result) > 0 && result[0] <= 0.01",
      "len(result) > 0 && result[0] <= 0.25",
      "len(result) > 0 && result[0] <= 0.2",
    ]);
    expect(metrics[0].failureCondition).toBe("len(result) > 0 && result[0] > 0.01");
  });

  it("standalone Prometheus copies the pod-template hash onto the series; blue-green also scrapes the preview Service", () => {
    const config = (make: typeof canary) => (make().monitoring as any).prometheus.config;
    const job = (make: typeof canary) =>
      config(make).scrape_configs.find((j: any) => j.job_name === "iris-inference");
    expect(job(canary).relabel_configs).toContainEqual({
      action: "replace",
      source_labels: ["__meta_kubernetes_pod_label_rollouts_pod_template_hash"],
      target_label: "rollouts_pod_template_hash",
    });
    expect(job(canary).relabel_configs).toContainEqual({
      action: "replace",
      source_labels: ["__meta_kubernetes_pod_label_rollout_role"],
      target_label: "rollout_role",
    });
    expect(job(canary).relabel_configs[0].regex).toBe("iris-inference");
    expect(job(blueGreen).relabel_configs[0].regex).toBe("iris-inference|iris-inference-preview");
    expect(job(build as typeof canary).relabel_configs).not.toContainEqual(
      expect.objectContaining({ target_label: "rollouts_pod_template_hash" }),
    );
  });

  it("operator mode needs rollout.analysis.prometheusUrl, and its ServiceMonitor carries the hash label", async () => {
    expect(() =>
      resolveSettings({ rollout: { strategy: "canary" }, monitoring: { mode: "operator" } }),
    ).toThrow(
      'rollout.analysis.prometheusUrl: must be set when rollout.strategy is "canary" and monitoring is in "operator" mode',
    );
    const { find, objects } = build({
      rollout: {
        strategy: "canary",
        analysis: { prometheusUrl: "http://kube-prometheus-stack-prometheus.monitoring.svc:9090" },
      },
      monitoring: { mode: "operator" },
    });
    expect(find("AnalysisTemplate").spec.metrics[0].provider.prometheus.address).toBe(
      "http://kube-prometheus-stack-prometheus.monitoring.svc:9090",
    );
    expect(find("ServiceMonitor").spec.podTargetLabels).toEqual([
      POD_TEMPLATE_HASH_LABEL,
      ROLLOUT_ROLE_LABEL,
    ]);
    expect(await manifestProblems(objects, { externalNamespaces: ["monitoring"] })).toEqual([]);
    // The canary and stable Services are not selected by the ServiceMonitor (their pods are scraped already).
    const selector = find("ServiceMonitor").spec.selector;
    const selected = objects.filter(
      (o) => o.kind === "Service" && selectorMatches(selector, { ...o.metadata.labels }),
    );
    expect(selected.map((s) => s.metadata.name)).toEqual(["iris-inference"]);
  });

  it("operator mode, blue-green: the ServiceMonitor also scrapes the preview Service, whose job the analysis reads", () => {
    const { find, objects } = build({
      rollout: {
        strategy: "blueGreen",
        analysis: { prometheusUrl: "http://prometheus.monitoring.svc:9090" },
      },
      monitoring: { mode: "operator" },
    });
    const selector = find("ServiceMonitor").spec.selector;
    const selected = objects.filter(
      (o) => o.kind === "Service" && selectorMatches(selector, { ...o.metadata.labels }),
    );
    expect(selected.map((s) => s.metadata.name).sort()).toEqual(["iris-inference", "iris-inference-preview"]);
    expect(find("AnalysisTemplate").spec.metrics[0].provider.prometheus.query).toContain(
      'job=~"iris-inference|iris-inference-preview"',
    );
  });

  it("the dashboard gains a row by rollout role after the overview, only with a Rollout", () => {
    const rows = (make: () => { monitoring: unknown }) =>
      ((make().monitoring as any).dashboards[0].dashboard.panels as any[])
        .filter((p) => p.type === "row")
        .map((p) => p.title);
    expect(rows(canary).slice(0, 2)).toEqual(["Overview", "Progressive delivery by rollout role"]);
    expect(rows(build)).not.toContain("Progressive delivery by rollout role");
    const panels = ((canary().monitoring as any).dashboards[0].dashboard.panels as any[]).filter(
      (p) => p.type !== "row" && String(p.title).endsWith("by rollout role"),
    );
    expect(panels.map((p) => p.title)).toEqual([
      "Request rate by rollout role",
      "5xx ratio by rollout role",
      "p95 latency by rollout role",
      "Predicted class share by rollout role",
    ]);
    for (const p of panels) {
      const expr = expandGrafanaVariables(p.targets[0].expr as string, {
        namespace: "infer8s",
        pod: ".*",
        rateInterval: "1m",
        range: "1h",
      });
      expect(parsePromql(expr).errorsAt, expr).toEqual([]);
      expect(expr).toMatch(/by \(([a-z]+, )?rollout_role/);
    }
  });

  it("a misspelt field in the Rollout or the AnalysisTemplate fails the strict schema", async () => {
    const { find } = canary();
    const rollout = find("Rollout");
    rollout.spec.strategy.canary.stepz = rollout.spec.strategy.canary.steps;
    const template = find("AnalysisTemplate");
    template.spec.metrics[0].successCondtion = "true";
    const problems = [...(await schemaProblems(rollout)), ...(await schemaProblems(template))];
    expect(problems).toEqual([
      "Rollout infer8s/iris-inference: spec.strategy.canary.stepz: unknown field (not in IRollout of @kubernetes-models/argo-rollouts 0.3.2)",
      "AnalysisTemplate infer8s/iris-inference: spec.metrics[0].successCondtion: unknown field (not in IAnalysisTemplate of @kubernetes-models/argo-rollouts 0.3.2)",
    ]);
  });

  it("fails the synth when a steered Service stops selecting the Rollout's pods", () => {
    const { inference } = canary();
    const stable = inference.rollout!.node.findChild("stable-service") as any;
    stable.addJsonPatch(JsonPatch.replace("/spec/selector/app.kubernetes.io~1name", "other"));
    expect(() => Testing.synth(inference)).toThrow(
      "Service iris-inference-stable does not select the pods of Rollout iris-inference",
    );
  });

  it("rejects invalid rollout settings, naming each", () => {
    expect(() =>
      resolveSettings({
        rollout: {
          strategy: "linear" as any,
          canarySteps: [
            { weight: 50, pauseSeconds: 60 },
            { weight: 40, pauseSeconds: 0 },
          ],
          analysis: { maxErrorRatio: 2, interval: "1 minute" as any },
        },
      }),
    ).toThrow(
      [
        "Invalid settings:",
        '  - rollout.strategy: must be one of "rolling", "canary", "blueGreen", got "linear"',
        "  - rollout.canarySteps[1].weight: must be an integer above the previous step's (50) and at most 100, got 40",
        '  - rollout.canarySteps[1].pauseSeconds: must be an integer from 1 to 86400 or "promote", got 0',
        '  - rollout.analysis.interval: must be a duration such as "1m", got "1 minute"',
        "  - rollout.analysis.maxErrorRatio: must be a number between 0 and 1 (exclusive), got 2",
      ].join("\n"),
    );
  });
});
