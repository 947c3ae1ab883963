import type { Construct } from "constructs";
import type { InferenceChart } from "./inference-chart.js";
import { MixinChart } from "./mixin-chart.js";
import { OperatorMonitoring } from "./monitoring/operator-monitoring.js";
import type { Settings } from "./settings.js";

/**
 * Monitoring through an existing kube-prometheus-stack (`monitoring.mode: "operator"`): ServiceMonitor,
 * PrometheusRule and dashboard ConfigMaps labelled for that stack's selectors, instead of our own
 * Prometheus, kube-state-metrics and Grafana. The same `settings.monitoring` tunes both modes: the
 * ServiceMonitor scrapes at `scrapeInterval`, the rule groups evaluate at `evaluationInterval`.
 */
export class OperatorMonitoringChart extends MixinChart {
  public readonly objects: OperatorMonitoring;

  constructor(scope: Construct, id: string, settings: Settings, inference: InferenceChart) {
    super(scope, id, settings, inference);
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
