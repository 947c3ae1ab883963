import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildApp } from "../../charts/app.js";
import { MonitoringChart } from "../../charts/monitoring-chart.js";
import { OperatorMonitoringChart } from "../../charts/operator-monitoring-chart.js";
import type { MonitoredService } from "../../charts/monitoring/monitored-service.js";
import type { PrometheusServerProps } from "../../charts/monitoring/prometheus-server.js";
import { resolveSettings, type Settings, type SettingsOverrides } from "../../charts/settings.js";

/** A fresh temporary directory. */
export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `infer8s-monitoring-${prefix}-`));
}

/** The app for the given settings overrides (none: the committed dist/). */
export function appFor(overrides: SettingsOverrides = {}) {
  const settings: Settings = resolveSettings(overrides);
  // The outdir is only used by synth(), which these fixtures never call.
  return { settings, ...buildApp(settings, join(tmpdir(), "infer8s-monitoring-unused")) };
}

/** The standalone monitoring chart as the committed dist/ (or the given overrides) synthesizes it. */
export function standaloneMonitoring(overrides: SettingsOverrides = {}): MonitoringChart {
  const { monitoring } = appFor(overrides);
  if (monitoring && Object.prototype.isPrototypeOf.call(MonitoringChart.prototype, monitoring))
    return monitoring as MonitoringChart;
  throw new Error("settings do not give the standalone stack");
}

/** The operator-mode monitoring chart for the given overrides (mode forced to "operator"). */
export function operatorMonitoring(overrides: SettingsOverrides = {}): OperatorMonitoringChart {
  const { monitoring } = appFor({ ...overrides, monitoring: { ...overrides.monitoring, mode: "operator" } });
  if (monitoring && Object.prototype.isPrototypeOf.call(OperatorMonitoringChart.prototype, monitoring))
    return monitoring as OperatorMonitoringChart;
  throw new Error("settings do not give operator mode");
}

/** The inference service as the real charts describe it for the default settings. */
export function monitoredServiceFor(): MonitoredService {
  return standaloneMonitoring().monitored;
}

/** What the standalone chart gives its Prometheus for the default settings: targets and rule groups. */
export function prometheusInputsFor(): Pick<
  PrometheusServerProps,
  "inference" | "kubeStateMetricsAddress" | "ruleGroups"
> {
  const monitoring = standaloneMonitoring();
  return {
    inference: monitoring.monitored,
    kubeStateMetricsAddress: monitoring.kubeStateMetrics.address,
    ruleGroups: monitoring.ruleGroups,
  };
}
