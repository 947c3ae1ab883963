import { Chart } from "cdk8s";
import type { Construct } from "constructs";
import type { InferenceChart } from "./inference-chart.js";
import { inferenceRuleGroups, type RuleGroup } from "./monitoring/mixin/alerts/inference-alerts.js";
import { dashboardsFor, type GeneratedDashboard } from "./monitoring/mixin/dashboards/dashboards.js";
import { monitoredService, type MonitoredService } from "./monitoring/monitored-service.js";
import { OperatorMonitoring } from "./monitoring/operator-monitoring.js";
import type { Settings } from "./settings.js";

/**
 * Monitoring through an existing kube-prometheus-stack (`monitoring.mode: "operator"`): ServiceMonitor,
 * PrometheusRule and dashboard ConfigMaps labelled for that stack's selectors, instead of our own
 * Prometheus, kube-state-metrics and Grafana.
 */
export class OperatorMonitoringChart extends Chart {
  /** The monitored inference service, as read from the inference chart. */
  public readonly monitored: MonitoredService;
  /** The rule groups of the PrometheusRule. */
  public readonly ruleGroups: readonly RuleGroup[];
  /** The dashboards shipped as ConfigMaps. */
  public readonly dashboards: readonly GeneratedDashboard[];
  public readonly objects: OperatorMonitoring;

  constructor(scope: Construct, id: string, settings: Settings, inference: InferenceChart) {
    super(scope, id, { disableResourceNameHashes: true });
    this.monitored = monitoredService(inference.service, inference.autoscaler);
    this.ruleGroups = inferenceRuleGroups(this.monitored);
    this.dashboards = dashboardsFor(this.monitored);
    this.objects = new OperatorMonitoring(this, "operator-monitoring", {
      service: this.monitored,
      ruleGroups: this.ruleGroups,
      dashboards: this.dashboards,
      dashboardNamespace: settings.monitoring.namespace,
      selectorLabels: settings.monitoring.operatorSelectorLabels,
      version: settings.image.tag,
    });
  }
}
