import { jobName, type MonitoredService } from "../monitored-service.js";
import { inferenceAlerts, type AlertDefinition } from "./alerts/inference-alerts.js";
import { withRunbookUrls } from "./alerts/runbooks.js";
import { assertMonitoringConfig, DEFAULT_MONITORING_CONFIG, type MonitoringConfig } from "./config.js";
import { dashboardsFor, type GeneratedDashboard } from "./dashboards/dashboards.js";
import type { DashboardOptions } from "./dashboards/inference-dashboard.js";
import { errorRatioRecordingRules } from "./rules/error-ratio.js";
import type { RecordingRule, RuleGroup } from "./rules/rule-file.js";

/**
 * The monitoring content of the inference service, laid out like kubernetes-mixin: `config.ts` (what users
 * tune), `alerts/`, `rules/` (recording rules) and `dashboards/`. The charts render it into the standalone
 * Prometheus and Grafana, or into operator objects; both get the same content from the same config.
 */
export interface InferenceMixin {
  /** Recording rules, in the order they are written. */
  readonly recordingRules: readonly RecordingRule[];
  /** Every alert, each with its `runbook_url`. */
  readonly alerts: readonly AlertDefinition[];
  /** The rule groups of the rules file and the PrometheusRule: recordings first, then alerts. */
  readonly ruleGroups: readonly RuleGroup[];
  /** The Grafana dashboards. */
  readonly dashboards: readonly GeneratedDashboard[];
}

/**
 * Alerts, recording rules and dashboards for `service`, tuned by `config`; `dashboardOptions.logs` adds
 * the dashboard's logs row.
 *
 * @throws Error listing every invalid config value (`resolveSettings` rejects them earlier, by setting name)
 * @example inferenceMixin(service, settings.monitoring).ruleGroups
 */
export function inferenceMixin(
  service: MonitoredService,
  config: MonitoringConfig = DEFAULT_MONITORING_CONFIG,
  dashboardOptions: DashboardOptions = {},
): InferenceMixin {
  assertMonitoringConfig(config);
  const recordingRules = errorRatioRecordingRules(service, config.slo);
  const alerts = withRunbookUrls(inferenceAlerts(service, config), config.runbookBaseUrl);
  return {
    recordingRules,
    alerts,
    ruleGroups: [
      { name: `${jobName(service)}.slo.rules`, rules: recordingRules },
      { name: `${jobName(service)}.alerts`, rules: alerts.map((a) => a.rule) },
    ],
    dashboards: dashboardsFor(service, dashboardOptions),
  };
}
