import type { Construct } from "constructs";
import type { InferenceChart } from "./inference-chart.js";
import { Grafana } from "./monitoring/grafana.js";
import { KubeStateMetrics } from "./monitoring/kube-state-metrics.js";
import { LogCollector } from "./monitoring/logs/log-collector.js";
import { Loki } from "./monitoring/logs/loki.js";
import { MixinChart } from "./mixin-chart.js";
import type { PrometheusDuration } from "./monitoring/prometheus-config.js";
import { PrometheusServer } from "./monitoring/prometheus-server.js";
import type { Settings } from "./settings.js";

/**
 * The standalone monitoring stack in the monitoring namespace: Prometheus (with the inference alert rules),
 * kube-state-metrics and Grafana with the generated dashboards. Everything it knows about the inference
 * service comes from the inference chart's constructs; intervals, thresholds and runbook links come from
 * `settings.monitoring` (the mixin's `MonitoringConfig`).
 */
export class MonitoringChart extends MixinChart {
  public readonly prometheus: PrometheusServer;
  public readonly kubeStateMetrics: KubeStateMetrics;
  public readonly grafana: Grafana;
  /** Loki, when `monitoring.logs.enabled`. */
  public readonly loki: Loki | undefined;
  /** The log collector DaemonSet, when `monitoring.logs.enabled`. */
  public readonly logCollector: LogCollector | undefined;

  constructor(scope: Construct, id: string, settings: Settings, inference: InferenceChart) {
    super(scope, id, settings, inference);
    const namespace = settings.monitoring.namespace;

    // ClusterRoles are named after the inference namespace, which no two environments share, so two
    // environments in one cluster never fight over one (the default namespace "infer8s" keeps "infer8s-...").
    const clusterRoleNamePrefix = settings.namespace;
    this.kubeStateMetrics = new KubeStateMetrics(this, "kube-state-metrics", {
      namespace,
      clusterRoleNamePrefix,
      watchedNamespaces: [this.monitored.namespace],
    });
    this.prometheus = new PrometheusServer(this, "prometheus", {
      namespace,
      clusterRoleNamePrefix,
      inference: this.monitored,
      kubeStateMetricsAddress: this.kubeStateMetrics.address,
      ruleGroups: this.ruleGroups,
      // resolveSettings has checked the format; PrometheusServer checks it again.
      retention: settings.monitoring.prometheusRetention as PrometheusDuration,
      ...(settings.monitoring.prometheusStorageSize
        ? {
            storage: {
              size: settings.monitoring.prometheusStorageSize,
              ...(settings.monitoring.prometheusStorageClassName
                ? { storageClassName: settings.monitoring.prometheusStorageClassName }
                : {}),
            },
          }
        : {}),
      scrapeInterval: settings.monitoring.scrapeInterval,
      evaluationInterval: settings.monitoring.evaluationInterval,
    });
    const logs = settings.monitoring.logs;
    if (logs.enabled) {
      this.loki = new Loki(this, "loki", {
        namespace,
        retention: logs.retention,
        image: logs.lokiImage,
        resources: logs.lokiResources,
        ...(logs.lokiStorageSize
          ? {
              storage: {
                size: logs.lokiStorageSize,
                ...(logs.lokiStorageClassName ? { storageClassName: logs.lokiStorageClassName } : {}),
              },
            }
          : {}),
      });
      this.logCollector = new LogCollector(this, "log-collector", {
        namespace,
        watchedNamespace: this.monitored.namespace,
        podSelector: this.monitored.selectorLabels,
        pushUrl: this.loki.pushUrl,
        clusterRoleNamePrefix,
        image: logs.collectorImage,
        resources: logs.collectorResources,
      });
    }
    this.grafana = new Grafana(this, "grafana", {
      namespace,
      prometheusUrl: this.prometheus.url,
      ...(this.loki ? { lokiUrl: this.loki.url } : {}),
      scrapeInterval: settings.monitoring.scrapeInterval,
      dashboards: this.dashboards,
    });
  }
}
