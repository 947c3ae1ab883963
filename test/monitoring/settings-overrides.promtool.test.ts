/**
 * `settings.monitoring` really reaches the synthesized output: a scrape interval, an evaluation interval,
 * thresholds, the SLO target and the runbook base URL set through the settings appear in the Prometheus
 * configuration and rules ConfigMap, Grafana's datasource and the operator objects — and promtool accepts
 * the result and fires at the new threshold where the default stays silent.
 */
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { METRICS, METRIC_LABELS, PATHS } from "../../src/contract/index.js";
import { jobName } from "../../charts/monitoring/monitored-service.js";
import type { AlertingRule, RuleFile } from "../../charts/monitoring/mixin/rules/rule-file.js";
import {
  renderPrometheusConfig,
  SCRAPE_JOBS,
  type PrometheusConfig,
} from "../../charts/monitoring/prometheus-config.js";
import { PROMETHEUS_FILES } from "../../charts/monitoring/prometheus-server.js";
import { selector } from "../../charts/monitoring/promql.js";
import type { SettingsOverrides } from "../../charts/settings.js";
import { synthObjects } from "../support/k8s-checks.js";
import { operatorMonitoring, standaloneMonitoring, tempDir } from "./fixtures.js";
import { describeWithPrometheus, run } from "./prometheus-tools.js";
import { promtoolTestFile, type AlertCase, type Labels } from "./promtool-rule-tests.js";
import {
  simulatedInferenceTarget,
  simulatedNodeTarget,
  withServiceAccountDir,
  withStaticDiscovery,
} from "./static-discovery.js";

const RUNBOOKS = "https://git.example.com/ml/infer8s/-/blob/main/README.md";
const overrides: SettingsOverrides = {
  monitoring: {
    scrapeInterval: "30s",
    evaluationInterval: "1m",
    runbookBaseUrl: RUNBOOKS,
    alerts: { highErrorRatio: { ratio: 0.02 }, podRestarting: { restarts: 4, window: "30m" } },
    slo: { availabilityTarget: 0.99 },
  },
};
const tuned = standaloneMonitoring(overrides);
const defaults = standaloneMonitoring();

/** A synthesized ConfigMap's data, by object name. */
function configMapData(chart: typeof tuned, name: string): Record<string, string> {
  const found = synthObjects(chart).find((o) => o.kind === "ConfigMap" && o.metadata.name === name);
  if (!found) throw new Error(`no ConfigMap ${name}`);
  return found.data as Record<string, string>;
}

function alertsIn(rulesText: string): Map<string, AlertingRule> {
  const file = parse(rulesText) as RuleFile;
  const rules = file.groups.flatMap((g) => g.rules).filter((r): r is AlertingRule => "alert" in r);
  return new Map(rules.map((r) => [r.alert, r]));
}

const prometheusData = configMapData(tuned, tuned.prometheus.name);
const tunedAlerts = alertsIn(prometheusData[PROMETHEUS_FILES.rules] ?? "");
const defaultAlerts = alertsIn(
  configMapData(defaults, defaults.prometheus.name)[PROMETHEUS_FILES.rules] ?? "",
);

describe("settings.monitoring in the synthesized standalone stack", () => {
  it("sets Prometheus' scrape and evaluation intervals", () => {
    const config = parse(prometheusData[PROMETHEUS_FILES.config] ?? "") as PrometheusConfig;
    expect(config.global).toEqual({ scrape_interval: "30s", evaluation_interval: "1m" });
  });

  it("makes Grafana's datasource timeInterval follow the scrape interval", () => {
    const datasources = parse(
      configMapData(tuned, `${tuned.grafana.name}-datasources`)["datasources.yaml"] ?? "",
    );
    expect(datasources.datasources[0].jsonData.timeInterval).toBe("30s");
    const byDefault = parse(
      configMapData(defaults, `${defaults.grafana.name}-datasources`)["datasources.yaml"] ?? "",
    );
    expect(byDefault.datasources[0].jsonData.timeInterval).toBe("15s");
  });

  it("writes the thresholds, windows and SLO target into the rules ConfigMap", () => {
    expect(tunedAlerts.get("InferenceHighErrorRatio")?.expr).toMatch(/ > 0\.02$/);
    expect(defaultAlerts.get("InferenceHighErrorRatio")?.expr).toMatch(/ > 0\.05$/);
    expect(tunedAlerts.get("InferencePodRestarting")?.expr).toMatch(/\[30m\]\) >= 4$/);
    expect(tunedAlerts.get("InferenceErrorBudgetBurnFast")?.expr).toContain("> (14.4 * 0.01)");
    expect(tunedAlerts.get("InferenceErrorBudgetBurnFast")?.annotations.summary).toContain(
      "99% availability",
    );
  });

  it("links every alert to the configured runbook page", () => {
    for (const rule of tunedAlerts.values()) {
      expect(rule.annotations.runbook_url, rule.alert).toBe(`${RUNBOOKS}#alert-${rule.alert.toLowerCase()}`);
    }
  });
});

describe("settings.monitoring in operator mode", () => {
  const objects = synthObjects(operatorMonitoring(overrides)) as unknown as {
    kind: string;
    spec: {
      endpoints?: { interval?: string }[];
      groups?: { interval?: string; rules: { alert?: string; expr: string }[] }[];
    };
  }[];
  const find = (kind: string) => objects.find((o) => o.kind === kind)!;

  it("scrapes at the scrape interval and evaluates every group at the evaluation interval", () => {
    expect(find("ServiceMonitor").spec.endpoints?.map((e) => e.interval)).toEqual(["30s"]);
    expect(find("PrometheusRule").spec.groups?.map((g) => g.interval)).toEqual(["1m", "1m"]);
  });

  it("ships the same tuned rules as the standalone Prometheus", () => {
    const rules = find("PrometheusRule").spec.groups?.flatMap((g) => g.rules) ?? [];
    expect(rules.find((r) => r.alert === "InferenceHighErrorRatio")?.expr).toBe(
      tunedAlerts.get("InferenceHighErrorRatio")?.expr,
    );
  });
});

describeWithPrometheus("tuned monitoring under promtool", ["promtool"], ({ promtool }) => {
  let dir = "";
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  beforeAll(() => {
    dir = tempDir("overrides");
    writeFileSync(join(dir, "token"), "not-a-real-token\n");
    writeFileSync(join(dir, "ca.crt"), "");
    writeFileSync(join(dir, PROMETHEUS_FILES.rules), prometheusData[PROMETHEUS_FILES.rules] ?? "");
    writeFileSync(join(dir, "default-rules.yml"), defaults.prometheus.rulesText);
  });

  it("accepts the tuned configuration (discovery swapped for static targets) and its rules", async () => {
    const service = tuned.monitored;
    const config = parse(prometheusData[PROMETHEUS_FILES.config] ?? "") as PrometheusConfig;
    const checkable = withServiceAccountDir(
      withStaticDiscovery(config, {
        [jobName(service)]: [
          simulatedInferenceTarget(service, "10.0.0.7:8080", `${service.deploymentName}-6d4cf56db6-x2k4p`),
        ],
        [SCRAPE_JOBS.cadvisor]: [simulatedNodeTarget("node-1")],
      }),
      dir,
    );
    writeFileSync(join(dir, PROMETHEUS_FILES.config), renderPrometheusConfig(checkable));
    const result = await run(promtool, ["check", "config", PROMETHEUS_FILES.config], dir);
    expect(result.code, result.output).toBe(0);
    expect(result.output).toMatch(/SUCCESS: \d+ rules found/);
  });

  // 3 % of user requests fail: above the tuned 2 %, below the default 5 %.
  const service = tuned.monitored;
  const target: Labels = {
    job: jobName(service),
    namespace: service.namespace,
    service: service.serviceName,
    pod: `${service.deploymentName}-6d4cf56db6-x2k4p`,
    container: "server",
    instance: "10.0.0.7:8080",
  };
  const requests = (status: string, values: string) => ({
    series: selector(METRICS.httpRequests, {
      ...target,
      [METRIC_LABELS.method]: "POST",
      [METRIC_LABELS.route]: PATHS.predict,
      [METRIC_LABELS.status]: status,
    }),
    values,
  });
  const threePercent = [requests("500", "0+3x30"), requests("200", "0+97x30")];
  const fires: AlertCase = {
    behaviour: "fires at 3% errors with the threshold set to 2% through the settings",
    alert: "InferenceHighErrorRatio",
    series: threePercent,
    evalTime: "20m",
    fires: [{ labels: { job: jobName(service), namespace: service.namespace }, value: "3%" }],
  };
  const silent: AlertCase = { ...fires, behaviour: "stays silent at 3% with the default 5%", fires: [] };

  it(`InferenceHighErrorRatio ${fires.behaviour}`, async () => {
    writeFileSync(join(dir, "tuned.test.yml"), promtoolTestFile(fires, tunedAlerts, PROMETHEUS_FILES.rules));
    const result = await run(promtool, ["test", "rules", "tuned.test.yml"], dir);
    expect(result.code, result.output).toBe(0);
  });

  it(`InferenceHighErrorRatio ${silent.behaviour}`, async () => {
    writeFileSync(
      join(dir, "default.test.yml"),
      promtoolTestFile(silent, defaultAlerts, "default-rules.yml"),
    );
    const result = await run(promtool, ["test", "rules", "default.test.yml"], dir);
    expect(result.code, result.output).toBe(0);
  });
});
