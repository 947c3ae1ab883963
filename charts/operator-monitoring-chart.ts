import type { Construct } from "constructs";
import { KubeConfigMap } from "cdk8s-plus-28/lib/imports/k8s.js";
import { stringify } from "yaml";
import { lokiDatasource } from "./monitoring/grafana.js";
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
  /** The Loki datasource for the stack's Grafana sidecar, when `monitoring.logs.lokiUrl` is set. */
  public readonly lokiDatasource: KubeConfigMap | undefined;

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
    const { logs } = settings.monitoring;
    // kube-prometheus-stack's Grafana sidecar loads ConfigMaps labelled grafana_datasource: "1" (its default),
    // as it loads the dashboards labelled grafana_dashboard: "1".
    if (logs.enabled && logs.lokiUrl !== undefined) {
      this.lokiDatasource = new KubeConfigMap(this, "loki-datasource", {
        metadata: {
          name: `${this.objects.name}-loki-datasource`,
          namespace: settings.monitoring.namespace,
          labels: { ...this.objects.labels, grafana_datasource: "1" },
        },
        data: {
          "loki-datasource.yaml": stringify(
            { apiVersion: 1, datasources: [lokiDatasource(logs.lokiUrl)] },
            { lineWidth: 0 },
          ),
        },
      });
    }
  }
}
