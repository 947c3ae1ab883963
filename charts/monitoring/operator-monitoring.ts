import { ApiObject } from "cdk8s";
import { Construct } from "constructs";
import { KubeConfigMap } from "cdk8s-plus-28/lib/imports/k8s.js";
import type { IPrometheusRule } from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule";
import type { IServiceMonitor } from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor";
import { recommendedLabels } from "../constructs/recommended-labels.js";
import type { RuleGroup } from "./mixin/rules/rule-file.js";
import { renderDashboard, type GeneratedDashboard } from "./mixin/dashboards/dashboards.js";
import type { MonitoredService } from "./monitored-service.js";
import type { PrometheusDuration } from "./prometheus-config.js";
import { POD_TEMPLATE_HASH_LABEL, ROLLOUT_ROLE_LABEL } from "../constructs/argo-rollouts-names.js";

/** The label kube-prometheus-stack's Grafana sidecar looks for on dashboard ConfigMaps. */
export const DEFAULT_DASHBOARD_LABEL: Readonly<Record<string, string>> = { grafana_dashboard: "1" };

export interface OperatorMonitoringProps {
  /** The inference service to scrape. */
  readonly service: MonitoredService;
  /** Rule groups of the PrometheusRule. */
  readonly ruleGroups: readonly RuleGroup[];
  /** Dashboards, one ConfigMap each. */
  readonly dashboards: readonly GeneratedDashboard[];
  /** Namespace of the existing kube-prometheus-stack, where its Grafana sidecar looks for dashboards. */
  readonly dashboardNamespace: string;
  /** Labels the Prometheus (and Grafana) of the stack select by, e.g. `{ release: "kube-prometheus-stack" }`. */
  readonly selectorLabels: Readonly<Record<string, string>>;
  /** Version for the `app.kubernetes.io/version` label (the inference image tag). */
  readonly version: string;
  /** Label marking a ConfigMap as a dashboard for the Grafana sidecar. @default DEFAULT_DASHBOARD_LABEL */
  readonly dashboardLabel?: Readonly<Record<string, string>>;
  /** The ServiceMonitor endpoint's scrape `interval`. @default undefined: the stack's Prometheus' own interval */
  readonly scrapeInterval?: PrometheusDuration;
  /** Each rule group's evaluation `interval`. @default undefined: the stack's Prometheus' own interval */
  readonly evaluationInterval?: PrometheusDuration;
}

/**
 * Monitoring for clusters that already run the Prometheus Operator (kube-prometheus-stack): a ServiceMonitor
 * for the inference Service, a PrometheusRule with the same rules as the standalone Prometheus, and the
 * dashboards as ConfigMaps for the Grafana sidecar. The ServiceMonitor yields the same `job`, `namespace`,
 * `pod` and `service` labels as the standalone scrape job, so rules and dashboards are shared unchanged.
 */
export class OperatorMonitoring extends Construct {
  /** Name of the ServiceMonitor and PrometheusRule. */
  public readonly name: string;
  /** Labels on every object, selector labels included. */
  public readonly labels: Readonly<Record<string, string>>;
  /** Label marking dashboard ConfigMaps. */
  public readonly dashboardLabel: Readonly<Record<string, string>>;
  /** Names of the dashboard ConfigMaps, in the order of `props.dashboards`. */
  public readonly dashboardConfigMapNames: readonly string[];

  constructor(scope: Construct, id: string, props: OperatorMonitoringProps) {
    super(scope, id);
    if (Object.keys(props.selectorLabels).length === 0) {
      throw new Error(
        "OperatorMonitoring: props.selectorLabels must not be empty (kube-prometheus-stack selects by label)",
      );
    }
    const { service } = props;
    this.name = service.serviceName;
    this.dashboardLabel = props.dashboardLabel ?? DEFAULT_DASHBOARD_LABEL;
    this.labels = {
      ...recommendedLabels({ name: service.serviceName, component: "monitoring", version: props.version })
        .all,
      ...props.selectorLabels,
    };
    const metadata = { name: this.name, namespace: service.namespace, labels: { ...this.labels } };

    const serviceMonitor: IServiceMonitor = {
      apiVersion: "monitoring.coreos.com/v1",
      kind: "ServiceMonitor",
      metadata,
      spec: {
        selector: { matchLabels: { ...service.selectorLabels } },
        namespaceSelector: { matchNames: [service.namespace] },
        // The operator copies these pod labels onto the targets, sanitized: `rollouts_pod_template_hash`, `rollout_role`.
        ...(service.rollout ? { podTargetLabels: [POD_TEMPLATE_HASH_LABEL, ROLLOUT_ROLE_LABEL] } : {}),
        endpoints: [
          {
            port: service.portName,
            path: service.metricsPath,
            scheme: "http",
            ...(props.scrapeInterval ? { interval: props.scrapeInterval } : {}),
          },
        ],
      },
    };
    new ApiObject(this, "service-monitor", serviceMonitor);

    const prometheusRule: IPrometheusRule = {
      apiVersion: "monitoring.coreos.com/v1",
      kind: "PrometheusRule",
      metadata,
      spec: {
        groups: props.ruleGroups.map((group) => ({
          name: group.name,
          ...(props.evaluationInterval ? { interval: props.evaluationInterval } : {}),
          rules: group.rules.map((rule) => ({ ...rule })),
        })),
      },
    };
    new ApiObject(this, "prometheus-rule", prometheusRule);

    this.dashboardConfigMapNames = props.dashboards.map(
      (d) => `${this.name}-dashboard-${d.fileName.replace(/\.json$/, "")}`,
    );
    props.dashboards.forEach((d, i) => {
      new KubeConfigMap(this, `dashboard-${d.fileName}`, {
        metadata: {
          name: this.dashboardConfigMapNames[i],
          namespace: props.dashboardNamespace,
          labels: { ...this.labels, ...this.dashboardLabel },
        },
        data: { [d.fileName]: renderDashboard(d.dashboard) },
      });
    });
  }
}
