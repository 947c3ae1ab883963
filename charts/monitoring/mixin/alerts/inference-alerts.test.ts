import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { METRICS } from "../../../../src/contract/index.js";
import { appFor, monitoredServiceFor } from "../../../../test/monitoring/fixtures.js";
import { parsePromql } from "../../../../test/monitoring/promql-syntax.js";
import { monitoredService } from "../../monitored-service.js";
import { formatNumber } from "../../promql.js";
import { patched } from "../../../../test/support/patched.js";
import { DEFAULT_MONITORING_CONFIG } from "../config.js";
import { inferenceMixin } from "../mixin.js";
import { errorRatioRecord, errorRatioRecordingRules } from "../rules/error-ratio.js";
import { renderRuleFile } from "../rules/rule-file.js";
import { inferenceAlerts } from "./inference-alerts.js";

const service = monitoredServiceFor();
const alerts = inferenceAlerts(service, DEFAULT_MONITORING_CONFIG);
const byName = new Map(alerts.map((a) => [a.rule.alert, a]));

describe("inference alerts", () => {
  it("cover target down, 5xx ratio, p95 latency, HPA at max, restarts, 401 bursts and the SLO burn-rate pair", () => {
    expect([...byName.keys()]).toEqual([
      "InferenceTargetDown",
      "InferenceServiceDown",
      "InferenceHighErrorRatio",
      "InferenceHighLatency",
      "InferenceAutoscalerAtMaxReplicas",
      "InferencePodRestarting",
      "InferenceUnauthorizedBurst",
      "InferenceErrorBudgetBurnFast",
      "InferenceErrorBudgetBurnSlow",
    ]);
  });

  it("each carry a severity, a summary, a description and a non-zero `for`", () => {
    for (const { rule } of alerts) {
      expect(["critical", "warning"]).toContain(rule.labels.severity);
      expect(rule.annotations.summary.length, rule.alert).toBeGreaterThan(10);
      expect(rule.annotations.description.length, rule.alert).toBeGreaterThan(
        rule.annotations.summary.length,
      );
      expect(rule.for).toMatch(/^[1-9][0-9]*[smh]$/);
    }
  });

  it("are valid PromQL, conditions and signals alike", () => {
    for (const { rule, signals } of alerts) {
      for (const expr of [rule.expr, ...signals]) expect(parsePromql(expr).errorsAt, expr).toEqual([]);
    }
  });

  it("compare signals that appear verbatim in their condition", () => {
    for (const { rule, signals } of alerts) {
      expect(signals.length, rule.alert).toBeGreaterThan(0);
      for (const signal of signals) expect(rule.expr, rule.alert).toContain(signal);
    }
  });

  it("select the inference job and namespace the InferenceService is deployed with", () => {
    const moved = appFor({ namespace: "ml-prod" });
    const movedService = monitoredService(moved.inference.service, moved.inference.autoscaler);
    const expr = inferenceAlerts(movedService, DEFAULT_MONITORING_CONFIG).find(
      (a) => a.rule.alert === "InferenceTargetDown",
    )?.rule.expr;
    expect(expr).toBe(`up{job="${moved.inference.service.serviceName}",namespace="ml-prod"} == 0`);
  });

  it("leave probes and scrapes out of the error ratio and latency", () => {
    for (const name of ["InferenceHighErrorRatio", "InferenceHighLatency"]) {
      expect(byName.get(name)?.rule.expr).toContain('route!~"/health|/ready|/metrics"');
    }
  });

  it("page at 14.4x and ticket at 6x the 0.1 % error budget, each over a long and a short window", () => {
    const ratio = (w: string) =>
      `${errorRatioRecord(w as "5m")}{job="${service.serviceName}",namespace="${service.namespace}"}`;
    expect(byName.get("InferenceErrorBudgetBurnFast")?.rule).toMatchObject({
      expr: `${ratio("1h")} > (14.4 * 0.001) and ${ratio("5m")} > (14.4 * 0.001)`,
      labels: { severity: "critical" },
    });
    expect(byName.get("InferenceErrorBudgetBurnSlow")?.rule).toMatchObject({
      expr: `${ratio("6h")} > (6 * 0.001) and ${ratio("30m")} > (6 * 0.001)`,
      labels: { severity: "warning" },
    });
  });

  it("take every threshold, window and `for` from the config", () => {
    const config = patched(DEFAULT_MONITORING_CONFIG, {
      "alerts.targetDown.for": "7m",
      "alerts.serviceDown.for": "3m",
      "alerts.highErrorRatio": { ratio: 0.01, window: "10m", for: "20m" },
      "alerts.highLatency": { p95Seconds: 0.25, window: "15m", for: "30m" },
      "alerts.autoscalerAtMaxReplicas.for": "1h",
      "alerts.podRestarting": { restarts: 5, window: "1h", for: "1m" },
      "alerts.unauthorizedBurst": { perSecond: 0.5, window: "10m", for: "2m" },
      "slo.availabilityTarget": 0.99,
      "slo.burnRates.fast": { factor: 10, longWindow: "2h", shortWindow: "10m", for: "4m" },
      "slo.burnRates.slow": { factor: 3, longWindow: "1d", shortWindow: "2h", for: "1h" },
    });
    const tuned = new Map(inferenceAlerts(service, config).map((a) => [a.rule.alert, a.rule]));
    const rule = (name: string) => tuned.get(name) ?? expect.fail(`no alert ${name}`);
    expect([...tuned.values()].map((r) => r.for)).toEqual([
      "7m",
      "3m",
      "20m",
      "30m",
      "1h",
      "1m",
      "2m",
      "4m",
      "1h",
    ]);
    expect(rule("InferenceUnauthorizedBurst").expr).toBe(
      `sum by (namespace, job) (rate(ml_auth_failures_total{job="${service.serviceName}",namespace="${service.namespace}"}[10m])) > 0.5`,
    );
    expect(rule("InferenceUnauthorizedBurst").annotations.description).toContain(
      "over the last 10 minutes (threshold 0.5/s)",
    );
    expect(rule("InferenceHighErrorRatio").expr).toMatch(/\[10m\]\)\) > 0\.01$/);
    expect(rule("InferenceHighErrorRatio").annotations.description).toContain(
      "over the last 10 minutes (threshold 1%)",
    );
    expect(rule("InferenceHighLatency").expr).toMatch(/\[15m\]\)\)\) > 0\.25$/);
    expect(rule("InferencePodRestarting").expr).toMatch(/\[1h\]\) >= 5$/);
    expect(rule("InferenceTargetDown").annotations.description).toContain("for 7 minutes:");
    const ratio = (w: string) =>
      `${errorRatioRecord(w as "5m")}{job="${service.serviceName}",namespace="${service.namespace}"}`;
    expect(rule("InferenceErrorBudgetBurnFast").expr).toBe(
      `${ratio("2h")} > (10 * 0.01) and ${ratio("10m")} > (10 * 0.01)`,
    );
    expect(rule("InferenceErrorBudgetBurnSlow").expr).toBe(
      `${ratio("1d")} > (3 * 0.01) and ${ratio("2h")} > (3 * 0.01)`,
    );
    expect(rule("InferenceErrorBudgetBurnSlow").annotations.summary).toContain("its 99% availability");
    // The recording rules follow the burn-rate windows, each window once, shortest first.
    expect(errorRatioRecordingRules(service, config.slo).map((r) => r.record)).toEqual(
      ["10m", "2h", "1d"].map((w) => errorRatioRecord(w as "5m")),
    );
  });

  it("render the defaults into the same conditions as before the config existed", () => {
    const expr = (name: string) => byName.get(name)?.rule.expr ?? "";
    expect(expr("InferenceHighErrorRatio")).toMatch(/\[5m\]\)\) > 0\.05$/);
    expect(expr("InferenceHighLatency")).toMatch(/\[5m\]\)\)\) > 0\.5$/);
    expect(expr("InferencePodRestarting")).toMatch(/\[15m\]\) >= 2$/);
    expect(expr("InferenceUnauthorizedBurst")).toMatch(/\[5m\]\)\) > 1$/);
    expect(alerts.map((a) => a.rule.for)).toEqual(["5m", "2m", "10m", "10m", "15m", "5m", "5m", "2m", "15m"]);
  });
});

describe("recording rules", () => {
  it("record the 5xx ratio of user requests over 5m, 30m, 1h and 6h", () => {
    const rules = errorRatioRecordingRules(service, DEFAULT_MONITORING_CONFIG.slo);
    expect(rules.map((r) => r.record)).toEqual(
      ["5m", "30m", "1h", "6h"].map((w) => errorRatioRecord(w as "5m")),
    );
    for (const rule of rules) {
      expect(parsePromql(rule.expr).errorsAt).toEqual([]);
      expect(parsePromql(rule.expr).metricNames).toEqual([METRICS.httpRequests]);
    }
  });
});

describe("rule file", () => {
  it("renders recordings before alerts, as YAML that reads back to the same groups", () => {
    const { ruleGroups: groups } = inferenceMixin(service);
    const text = renderRuleFile(groups);
    expect(renderRuleFile(inferenceMixin(service).ruleGroups)).toBe(text);
    expect(parse(text)).toEqual({ groups: JSON.parse(JSON.stringify(groups)) });
    expect(groups.map((g) => g.name)).toEqual([
      `${service.serviceName}.slo.rules`,
      `${service.serviceName}.alerts`,
    ]);
  });
});

describe("formatNumber", () => {
  it("prints thresholds without binary noise", () => {
    expect(1 - 0.999).not.toBe(0.001);
    expect(formatNumber(1 - 0.999)).toBe("0.001");
    expect(formatNumber(14.4)).toBe("14.4");
  });
});
