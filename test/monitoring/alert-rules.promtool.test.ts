/**
 * The generated rules against the real rule engine: `promtool check rules`, then `promtool test rules`
 * with synthetic series that make each alert fire and series that must keep it silent.
 */
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { METRICS, METRIC_LABELS, PATHS } from "../../src/contract/index.js";
import { inferenceMixin } from "../../charts/monitoring/mixin/mixin.js";
import { renderRuleFile } from "../../charts/monitoring/mixin/rules/rule-file.js";
import {
  KUBE_STATE_METRICS,
  KUBE_STATE_METRICS_LABELS,
} from "../../charts/monitoring/kube-state-metrics-series.js";
import { jobName, type MonitoredService } from "../../charts/monitoring/monitored-service.js";
import { SCRAPE_JOBS } from "../../charts/monitoring/prometheus-config.js";
import { selector } from "../../charts/monitoring/promql.js";
import { monitoredServiceFor, tempDir } from "./fixtures.js";
import { describeWithPrometheus, run } from "./prometheus-tools.js";
import { promtoolTestFile, type AlertCase, type InputSeries, type Labels } from "./promtool-rule-tests.js";

const service: MonitoredService = monitoredServiceFor();
const mixin = inferenceMixin(service);
const alertRules = new Map(mixin.alerts.map((a) => [a.rule.alert, a.rule]));

const pod = `${service.deploymentName}-6d4cf56db6-x2k4p`;
const otherPod = `${service.deploymentName}-6d4cf56db6-q8w7z`;
const target: Labels = {
  job: jobName(service),
  namespace: service.namespace,
  service: service.serviceName,
  pod,
  container: "server",
  instance: "10.0.0.7:8080",
};
const ksm: Labels = { job: SCRAPE_JOBS.kubeStateMetrics, instance: "10.0.1.3:8080" };
const perService: Labels = { job: jobName(service), namespace: service.namespace };

const series = (metric: string, labels: Labels, values: string): InputSeries => ({
  series: selector(metric, labels),
  values,
});
const up = (values: string, labels: Labels = target) => series("up", labels, values);
const requests = (status: string, values: string, route: string = PATHS.predict) =>
  series(
    METRICS.httpRequests,
    {
      ...target,
      [METRIC_LABELS.method]: "POST",
      [METRIC_LABELS.route]: route,
      [METRIC_LABELS.status]: status,
    },
    values,
  );
const latencyBuckets = (perBucket: Record<string, string>, route: string = PATHS.predict) =>
  Object.entries(perBucket).map(([le, values]) =>
    series(
      `${METRICS.httpRequestDuration}_bucket`,
      {
        ...target,
        [METRIC_LABELS.method]: "POST",
        [METRIC_LABELS.route]: route,
        [METRIC_LABELS.status]: "200",
        le,
      },
      values,
    ),
  );
const refused = (reason: string, values: string) =>
  series(METRICS.authFailures, { ...target, [METRIC_LABELS.authFailureReason]: reason }, values);
const hpaLabels: Labels = {
  ...ksm,
  [KUBE_STATE_METRICS_LABELS.namespace]: service.namespace,
  [KUBE_STATE_METRICS_LABELS.hpa]: service.hpaName,
};
const hpa = (current: string, max: string) => [
  series(KUBE_STATE_METRICS.hpaCurrentReplicas, hpaLabels, current),
  series(KUBE_STATE_METRICS.hpaMaxReplicas, hpaLabels, max),
];
const restartLabels = (podName: string): Labels => ({
  ...ksm,
  [KUBE_STATE_METRICS_LABELS.namespace]: service.namespace,
  [KUBE_STATE_METRICS_LABELS.pod]: podName,
  [KUBE_STATE_METRICS_LABELS.container]: "server",
});

const cases: AlertCase[] = [
  {
    behaviour: "fires when a pod has been unscrapable for 5 minutes",
    alert: "InferenceTargetDown",
    series: [up("0x15")],
    evalTime: "10m",
    fires: [{ labels: target }],
  },
  {
    behaviour: "waits 5 minutes before firing",
    alert: "InferenceTargetDown",
    series: [up("1x5 0x10")],
    evalTime: "8m",
    fires: [],
  },
  {
    behaviour: "stays silent while pods are scraped",
    alert: "InferenceTargetDown",
    series: [up("1x15")],
    evalTime: "10m",
    fires: [],
  },
  {
    behaviour: "fires when no inference target is up",
    alert: "InferenceServiceDown",
    series: [up("0x10"), up("0x10", { ...target, pod: otherPod })],
    evalTime: "5m",
    fires: [{ labels: {} }],
  },
  {
    behaviour: "fires when no inference target is discovered at all",
    alert: "InferenceServiceDown",
    series: [up("1x10", { job: SCRAPE_JOBS.prometheus, instance: "localhost:9090" })],
    evalTime: "5m",
    fires: [{ labels: {} }],
  },
  {
    behaviour: "stays silent while one pod of two is up",
    alert: "InferenceServiceDown",
    series: [up("1x10"), up("0x10", { ...target, pod: otherPod })],
    evalTime: "5m",
    fires: [],
  },
  {
    behaviour: "fires when 10% of user requests fail with 5xx",
    alert: "InferenceHighErrorRatio",
    series: [requests("500", "0+10x30"), requests("200", "0+90x30")],
    evalTime: "20m",
    fires: [{ labels: perService, value: "10%" }],
  },
  {
    behaviour: "stays silent at 0.5% of 5xx",
    alert: "InferenceHighErrorRatio",
    series: [requests("500", "0+1x30"), requests("200", "0+199x30")],
    evalTime: "20m",
    fires: [],
  },
  {
    behaviour: "ignores 503s from the readiness probe",
    alert: "InferenceHighErrorRatio",
    series: [requests("503", "0+100x30", PATHS.ready), requests("200", "0+100x30")],
    evalTime: "20m",
    fires: [],
  },
  {
    behaviour: "fires when the 95th percentile of user requests exceeds the threshold",
    alert: "InferenceHighLatency",
    series: latencyBuckets({ "0.1": "0x30", "0.5": "0x30", "1": "0+10x30", "+Inf": "0+10x30" }),
    evalTime: "20m",
    fires: [{ labels: perService, value: "975ms" }],
  },
  {
    behaviour: "stays silent when requests are fast",
    alert: "InferenceHighLatency",
    series: latencyBuckets({ "0.1": "0+10x30", "0.5": "0+10x30", "1": "0+10x30", "+Inf": "0+10x30" }),
    evalTime: "20m",
    fires: [],
  },
  {
    behaviour: "ignores slow metrics scrapes",
    alert: "InferenceHighLatency",
    series: [
      ...latencyBuckets({ "0.1": "0+10x30", "0.5": "0+10x30", "1": "0+10x30", "+Inf": "0+10x30" }),
      ...latencyBuckets({ "0.1": "0x30", "0.5": "0x30", "1": "0x30", "+Inf": "0+50x30" }, PATHS.metrics),
    ],
    evalTime: "20m",
    fires: [],
  },
  {
    behaviour: "fires when the autoscaler has run at its maximum for 15 minutes",
    alert: "InferenceAutoscalerAtMaxReplicas",
    series: hpa("10x30", "10x30"),
    evalTime: "20m",
    // `on (namespace, horizontalpodautoscaler)` keeps just those labels.
    fires: [
      {
        labels: {
          [KUBE_STATE_METRICS_LABELS.namespace]: service.namespace,
          [KUBE_STATE_METRICS_LABELS.hpa]: service.hpaName,
        },
        value: "10",
      },
    ],
  },
  {
    behaviour: "waits 15 minutes at the maximum before firing",
    alert: "InferenceAutoscalerAtMaxReplicas",
    series: hpa("4x10 10x20", "10x30"),
    evalTime: "20m",
    fires: [],
  },
  {
    behaviour: "stays silent below the maximum",
    alert: "InferenceAutoscalerAtMaxReplicas",
    series: hpa("4x30", "10x30"),
    evalTime: "20m",
    fires: [],
  },
  {
    behaviour: "fires when an inference container keeps restarting",
    alert: "InferencePodRestarting",
    series: [series(KUBE_STATE_METRICS.containerRestarts, restartLabels(pod), "0+1x30")],
    evalTime: "20m",
    fires: [{ labels: restartLabels(pod), value: "15" }],
  },
  {
    behaviour: "stays silent when restarts stopped long ago",
    alert: "InferencePodRestarting",
    series: [series(KUBE_STATE_METRICS.containerRestarts, restartLabels(pod), "3x30")],
    evalTime: "20m",
    fires: [],
  },
  {
    behaviour: "ignores pods of other Deployments in the namespace",
    alert: "InferencePodRestarting",
    series: [
      series(
        KUBE_STATE_METRICS.containerRestarts,
        restartLabels(`${service.deploymentName}-canary-6d4cf56db6-x2k4p`),
        "0+1x30",
      ),
    ],
    evalTime: "20m",
    fires: [],
  },
  {
    behaviour: "pages at 5% errors (50x the budget of a 99.9% objective)",
    alert: "InferenceErrorBudgetBurnFast",
    series: [requests("500", "0+5x80"), requests("200", "0+95x80")],
    evalTime: "70m",
    fires: [{ labels: perService, value: "5%" }],
  },
  {
    behaviour: "does not page at 1% errors (10x the budget)",
    alert: "InferenceErrorBudgetBurnFast",
    series: [requests("500", "0+1x80"), requests("200", "0+99x80")],
    evalTime: "70m",
    fires: [],
  },
  {
    behaviour: "stops paging once errors stopped, although the last hour was bad",
    alert: "InferenceErrorBudgetBurnFast",
    series: [requests("500", "0+50x60 3000+0x20"), requests("200", "0+950x80")],
    evalTime: "80m",
    fires: [],
  },
  {
    behaviour: "opens a ticket at 1% errors (10x the budget)",
    alert: "InferenceErrorBudgetBurnSlow",
    series: [requests("500", "0+1x80"), requests("200", "0+99x80")],
    evalTime: "70m",
    fires: [{ labels: perService, value: "1%" }],
  },
  {
    behaviour: "stays silent at 0.05% errors (half the budget)",
    alert: "InferenceErrorBudgetBurnSlow",
    series: [requests("500", "0+1x80"), requests("200", "0+1999x80")],
    evalTime: "70m",
    fires: [],
  },
  {
    behaviour: "fires at 2 refused requests a second, sustained",
    alert: "InferenceUnauthorizedBurst",
    series: [refused("invalid", "0+60x30"), refused("missing", "0+60x30")],
    evalTime: "20m",
    fires: [{ labels: perService, value: "2" }],
  },
  {
    behaviour: "stays silent for a client retrying a few times after a rotation",
    alert: "InferenceUnauthorizedBurst",
    series: [refused("invalid", "0+0x10 30+0x20"), refused("missing", "0+0x30")],
    evalTime: "20m",
    fires: [],
  },
];

describeWithPrometheus("alert rules under promtool", ["promtool"], ({ promtool }) => {
  let dir = "";
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  beforeAll(() => {
    dir = tempDir("rules");
    writeFileSync(join(dir, "rules.yml"), renderRuleFile(mixin.ruleGroups));
  });

  it("passes promtool check rules", async () => {
    const result = await run(promtool, ["check", "rules", "rules.yml"], dir);
    expect(result.output).toContain("SUCCESS");
    expect(result.code, result.output).toBe(0);
  });

  it("covers every alert with a firing and a silent case", () => {
    for (const name of alertRules.keys()) {
      const own = cases.filter((c) => c.alert === name);
      expect(
        own.some((c) => c.fires.length > 0),
        `${name} has a firing case`,
      ).toBe(true);
      expect(
        own.some((c) => c.fires.length === 0),
        `${name} has a silent case`,
      ).toBe(true);
    }
  });

  it("fails a case whose expectation is wrong (the harness can fail)", async () => {
    const wrong: AlertCase = { ...cases[2]!, fires: [{ labels: target }] };
    writeFileSync(join(dir, "wrong.test.yml"), promtoolTestFile(wrong, alertRules));
    const result = await run(promtool, ["test", "rules", "wrong.test.yml"], dir);
    expect(result.code).not.toBe(0);
  });

  for (const testCase of cases) {
    it(`${testCase.alert} ${testCase.behaviour}`, async () => {
      const file = `${testCase.alert}-${cases.indexOf(testCase)}.test.yml`;
      writeFileSync(join(dir, file), promtoolTestFile(testCase, alertRules));
      const result = await run(promtool, ["test", "rules", file], dir);
      expect(result.code, result.output).toBe(0);
    });
  }
});
