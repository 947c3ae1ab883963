import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { METRICS } from "../../../../src/contract/index.js";
import { appFor, monitoredServiceFor } from "../../../../test/monitoring/fixtures.js";
import { parsePromql } from "../../../../test/monitoring/promql-syntax.js";
import {
  DEFAULT_ALERT_THRESHOLDS,
  errorRatioRecord,
  formatNumber,
  inferenceAlerts,
  inferenceRecordingRules,
  inferenceRuleGroups,
  renderRuleFile,
} from "./inference-alerts.js";
import { monitoredService } from "../../monitored-service.js";

const service = monitoredServiceFor();
const alerts = inferenceAlerts(service);
const byName = new Map(alerts.map((a) => [a.rule.alert, a]));

describe("inference alerts", () => {
  it("cover target down, 5xx ratio, p95 latency, HPA at max, restarts and the SLO burn-rate pair", () => {
    expect([...byName.keys()]).toEqual([
      "InferenceTargetDown",
      "InferenceServiceDown",
      "InferenceHighErrorRatio",
      "InferenceHighLatency",
      "InferenceAutoscalerAtMaxReplicas",
      "InferencePodRestarting",
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
    const expr = inferenceAlerts(movedService).find((a) => a.rule.alert === "InferenceTargetDown")?.rule.expr;
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

  it("take their thresholds from the overrides", () => {
    const strict = inferenceAlerts(service, {
      errorRatio: 0.01,
      latencyP95Seconds: 0.25,
      availabilityObjective: 0.99,
    });
    const expr = (name: string) => strict.find((a) => a.rule.alert === name)?.rule.expr ?? "";
    expect(expr("InferenceHighErrorRatio")).toMatch(/ > 0\.01$/);
    expect(expr("InferenceHighLatency")).toMatch(/ > 0\.25$/);
    expect(expr("InferenceErrorBudgetBurnFast")).toContain("> (14.4 * 0.01)");
  });

  it.each([
    [{ errorRatio: 0 }, "errorRatio must be between 0 and 1 (exclusive), got 0"],
    [{ availabilityObjective: 1 }, "availabilityObjective must be between 0 and 1 (exclusive), got 1"],
    [{ latencyP95Seconds: -1 }, "latencyP95Seconds must be positive, got -1"],
    [{ restartsIn15m: 1.5 }, "restartsIn15m must be a positive integer, got 1.5"],
  ])("rejects %o", (overrides, message) => {
    expect(() => inferenceAlerts(service, overrides)).toThrow(message);
  });

  it("default to 5 % errors, 500 ms p95, a 99.9 % objective and 2 restarts in 15 minutes", () => {
    expect(DEFAULT_ALERT_THRESHOLDS).toEqual({
      errorRatio: 0.05,
      latencyP95Seconds: 0.5,
      availabilityObjective: 0.999,
      restartsIn15m: 2,
    });
  });
});

describe("recording rules", () => {
  it("record the 5xx ratio of user requests over 5m, 30m, 1h and 6h", () => {
    const rules = inferenceRecordingRules(service);
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
    const groups = inferenceRuleGroups(service);
    const text = renderRuleFile(groups);
    expect(renderRuleFile(inferenceRuleGroups(service))).toBe(text);
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
