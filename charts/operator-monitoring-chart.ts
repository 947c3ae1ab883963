import { Chart } from "cdk8s";
import type { Construct } from "constructs";
import type { InferenceChart } from "./inference-chart.js";
import type { GeneratedDashboard } from "./monitoring/mixin/dashboards/dashboards.js";
import { inferenceMixin, type InferenceMixin } from "./monitoring/mixin/mixin.js";
import type { RuleGroup } from "./monitoring/mixin/rules/rule-file.js";
import { monitoredService, type MonitoredService } from "./monitoring/monitored-service.js";
import { OperatorMonitoring } from "./monitoring/operator-monitoring.js";
import type { Settings } from "./settings.js";

/**
 * Monitoring through an existing kube-prometheus-stack (`monitoring.mode: "operator"`): ServiceMonitor,
 * PrometheusRule and dashboard ConfigMaps labelled for that stack's selectors, instead of our own
 * Prometheus, kube-state-metrics and Grafana. The same `settings.monitoring` tunes both modes: the
 * ServiceMonitor scrapes at `scrapeInterval`, the rule groups evaluate at `evaluationInterval`.
 */
export class OperatorMonitoringChart extends Chart {
  /** The monitored inference service, as read from the inference chart. */
  public readonly monitored: MonitoredService;
  /** Alerts, recording rules and dashboards, as the settings tune them. */
  public readonly mixin: InferenceMixin;
  /** The rule groups of the PrometheusRule. */
  public readonly ruleGroups: readonly RuleGroup[];
  /** The dashboards shipped as ConfigMaps. */
  public readonly dashboards: readonly GeneratedDashboard[];
  public readonly objects: OperatorMonitoring;

  constructor(scope: Construct, id: string, settings: Settings, inference: InferenceChart) {
    super(scope, id, { disableResourceNameHashes: true });
    this.monitored = monitoredService(inference.service, inference.autoscaler, inference.rollout);
    this.mixin = inferenceMixin(this.monitored, settings.monitoring);
    this.ruleGroups = this.mixin.ruleGroups;
    this.dashboards = this.mixin.dashboards;
    this.objects = new OperatorMonitoring(this, "operator-monitoring", {
      service: this.monitored,
      ruleGroups: this.ruleGroups,
      dashboards: this.dashboards,
      dashboardNamespace: settings.monitoring.namespace,
      selectorLabels: settings.monitoring.operatorSelectorLabels,
      version: settings.image.tag,
      scrapeInterval: settings.monitoring.scrapeInterval,
      evaluationInterval: settings.monitoring.evaluationInterval,
    });
  }
}
