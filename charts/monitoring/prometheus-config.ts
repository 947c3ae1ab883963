import { stringify } from "yaml";
import { jobName, type MonitoredService } from "./monitored-service.js";
import { anyOf } from "./promql.js";
import {
  POD_TEMPLATE_HASH_SERIES_LABEL,
  ROLLOUT_ROLE_SERIES_LABEL,
} from "../constructs/argo-rollouts-names.js";

/**
 * The subset of the Prometheus configuration file we generate, typed field by field with the file's own
 * (snake_case) names, so a misspelt field is a compile error rather than a pod that refuses to start.
 * See https://prometheus.io/docs/prometheus/latest/configuration/configuration/.
 */

/** A Prometheus duration such as `15s`, `5m` or `6h`. */
export type PrometheusDuration = `${number}${"ms" | "s" | "m" | "h" | "d" | "w" | "y"}`;

/** Roles of Kubernetes service discovery. */
export type KubernetesSdRole = "node" | "pod" | "service" | "endpoints" | "endpointslice" | "ingress";

/** A `kubernetes_sd_configs` entry. In-cluster credentials come from the pod's ServiceAccount. */
export interface KubernetesSdConfig {
  readonly role: KubernetesSdRole;
  readonly namespaces?: { readonly names: readonly string[] };
}

/** A `static_configs` entry. */
export interface StaticConfig {
  readonly targets: readonly string[];
  readonly labels?: Readonly<Record<string, string>>;
}

/** Relabelling actions. */
export type RelabelAction = "replace" | "keep" | "drop" | "labelmap" | "labeldrop" | "labelkeep" | "hashmod";

/** A `relabel_configs` / `metric_relabel_configs` entry. */
export interface RelabelConfig {
  readonly source_labels?: readonly string[];
  readonly separator?: string;
  readonly regex?: string;
  readonly target_label?: string;
  readonly replacement?: string;
  readonly action?: RelabelAction;
}

/** `authorization` of a scrape job. */
export interface Authorization {
  readonly type?: "Bearer";
  readonly credentials_file: string;
}

/** `tls_config` of a scrape job. */
export interface TlsConfig {
  readonly ca_file?: string;
  readonly server_name?: string;
  readonly insecure_skip_verify?: false;
}

/** A `scrape_configs` entry. */
export interface ScrapeConfig {
  readonly job_name: string;
  readonly scrape_interval?: PrometheusDuration;
  readonly scrape_timeout?: PrometheusDuration;
  readonly metrics_path?: string;
  readonly scheme?: "http" | "https";
  readonly honor_labels?: boolean;
  readonly authorization?: Authorization;
  readonly tls_config?: TlsConfig;
  readonly kubernetes_sd_configs?: readonly KubernetesSdConfig[];
  readonly static_configs?: readonly StaticConfig[];
  readonly relabel_configs?: readonly RelabelConfig[];
  readonly metric_relabel_configs?: readonly RelabelConfig[];
}

/** The `global` block. */
export interface GlobalConfig {
  readonly scrape_interval: PrometheusDuration;
  readonly scrape_timeout?: PrometheusDuration;
  readonly evaluation_interval: PrometheusDuration;
  readonly external_labels?: Readonly<Record<string, string>>;
}

/** A whole Prometheus configuration file. */
export interface PrometheusConfig {
  readonly global: GlobalConfig;
  readonly rule_files?: readonly string[];
  readonly scrape_configs: readonly ScrapeConfig[];
}

/** Meta labels set by Kubernetes service discovery that our relabelling reads. */
export const KUBERNETES_META_LABELS = {
  namespace: "__meta_kubernetes_namespace",
  podName: "__meta_kubernetes_pod_name",
  podContainerName: "__meta_kubernetes_pod_container_name",
  serviceName: "__meta_kubernetes_service_name",
  endpointSlicePortName: "__meta_kubernetes_endpointslice_port_name",
  nodeName: "__meta_kubernetes_node_name",
  /** The pod's `rollouts-pod-template-hash` label: `__meta_kubernetes_pod_label_<name>`, '-' sanitized to '_'. */
  rolloutsPodTemplateHash: "__meta_kubernetes_pod_label_rollouts_pod_template_hash",
  /** The pod's `rollout-role` label (stable, canary, active, preview), set by the Rollout's ephemeral metadata. */
  rolloutRole: "__meta_kubernetes_pod_label_rollout_role",
} as const;

/** Labels Prometheus reads while relabelling a target. */
export const TARGET_LABELS = {
  address: "__address__",
  metricsPath: "__metrics_path__",
  metricName: "__name__",
} as const;

/** Where Kubernetes mounts a pod's ServiceAccount token and the cluster CA. */
export const SERVICE_ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount";

/** Names of the scrape jobs other than the inference job (whose name is the Service name). */
export const SCRAPE_JOBS = {
  prometheus: "prometheus",
  kubeStateMetrics: "kube-state-metrics",
  cadvisor: "kubernetes-cadvisor",
} as const;

/** cAdvisor series the dashboards use; every other cAdvisor series is dropped at scrape time. */
export const CADVISOR_METRICS = {
  cpuSeconds: "container_cpu_usage_seconds_total",
  memoryWorkingSet: "container_memory_working_set_bytes",
} as const;

/** Everything `buildPrometheusConfig` needs. */
export interface PrometheusConfigInput {
  /** The inference service to discover and scrape. */
  readonly inference: MonitoredService;
  /** `host:port` of the kube-state-metrics Service. */
  readonly kubeStateMetricsAddress: string;
  /** `host:port` on which Prometheus scrapes itself. */
  readonly selfAddress: string;
  /** Namespaces whose containers' CPU and memory are kept from cAdvisor. */
  readonly cadvisorNamespaces: readonly string[];
  /** Default scrape interval. */
  readonly scrapeInterval: PrometheusDuration;
  /** Rule evaluation interval. */
  readonly evaluationInterval: PrometheusDuration;
  /** Rule files, relative to the configuration file's directory. */
  readonly ruleFiles: readonly string[];
}

/**
 * The scrape job for the inference pods: endpoint-slice discovery limited to the service's namespace, kept
 * only for the service's metrics port, relabelled to the `namespace`, `pod`, `service` and `container`
 * labels the rules and dashboards group by — the same labels a ServiceMonitor would produce.
 */
export function inferenceScrapeJob(service: MonitoredService): ScrapeConfig {
  const meta = KUBERNETES_META_LABELS;
  const extraServices = service.rollout?.extraServiceNames ?? [];
  return {
    job_name: jobName(service),
    metrics_path: service.metricsPath,
    kubernetes_sd_configs: [{ role: "endpointslice", namespaces: { names: [service.namespace] } }],
    relabel_configs: [
      {
        action: "keep",
        source_labels: [meta.serviceName],
        regex: anyOf([service.serviceName, ...extraServices]),
      },
      { action: "keep", source_labels: [meta.endpointSlicePortName], regex: anyOf([service.portName]) },
      { action: "replace", source_labels: [meta.namespace], target_label: "namespace" },
      { action: "replace", source_labels: [meta.podName], target_label: "pod" },
      // A pod behind two scraped Services (blue-green after the switch) must yield identical labels through
      // both, so Prometheus keeps one target instead of counting the pod twice.
      extraServices.length === 0
        ? { action: "replace", source_labels: [meta.serviceName], target_label: "service" }
        : { action: "replace", target_label: "service", replacement: service.serviceName },
      { action: "replace", source_labels: [meta.podContainerName], target_label: "container" },
      ...(service.rollout
        ? [
            {
              action: "replace" as const,
              source_labels: [meta.rolloutsPodTemplateHash],
              target_label: POD_TEMPLATE_HASH_SERIES_LABEL,
            },
            {
              action: "replace" as const,
              source_labels: [meta.rolloutRole],
              target_label: ROLLOUT_ROLE_SERIES_LABEL,
            },
          ]
        : []),
    ],
  };
}

/**
 * Per-container CPU and memory from each kubelet's cAdvisor, reached through the API server proxy so that
 * Prometheus needs no route to the nodes, only `get` on `nodes/proxy`.
 */
export function cadvisorScrapeJob(namespaces: readonly string[]): ScrapeConfig {
  return {
    job_name: SCRAPE_JOBS.cadvisor,
    scheme: "https",
    authorization: { credentials_file: `${SERVICE_ACCOUNT_DIR}/token` },
    tls_config: { ca_file: `${SERVICE_ACCOUNT_DIR}/ca.crt` },
    kubernetes_sd_configs: [{ role: "node" }],
    relabel_configs: [
      { action: "replace", target_label: TARGET_LABELS.address, replacement: "kubernetes.default.svc:443" },
      {
        action: "replace",
        source_labels: [KUBERNETES_META_LABELS.nodeName],
        target_label: TARGET_LABELS.metricsPath,
        replacement: "/api/v1/nodes/$1/proxy/metrics/cadvisor",
      },
      { action: "replace", source_labels: [KUBERNETES_META_LABELS.nodeName], target_label: "node" },
    ],
    metric_relabel_configs: [
      {
        action: "keep",
        source_labels: [TARGET_LABELS.metricName],
        regex: anyOf(Object.values(CADVISOR_METRICS)),
      },
      { action: "keep", source_labels: ["namespace"], regex: anyOf(namespaces) },
    ],
  };
}

/** The complete configuration of the standalone Prometheus. */
export function buildPrometheusConfig(input: PrometheusConfigInput): PrometheusConfig {
  return {
    global: { scrape_interval: input.scrapeInterval, evaluation_interval: input.evaluationInterval },
    rule_files: input.ruleFiles,
    scrape_configs: [
      { job_name: SCRAPE_JOBS.prometheus, static_configs: [{ targets: [input.selfAddress] }] },
      inferenceScrapeJob(input.inference),
      {
        job_name: SCRAPE_JOBS.kubeStateMetrics,
        // kube-state-metrics reports other objects: their namespace/pod labels must win over the target's.
        honor_labels: true,
        static_configs: [{ targets: [input.kubeStateMetricsAddress] }],
      },
      cadvisorScrapeJob(input.cadvisorNamespaces),
    ],
  };
}

/** Renders a configuration as YAML; the same input always gives the same bytes. */
export function renderPrometheusConfig(config: PrometheusConfig): string {
  return stringify(config, { lineWidth: 0 });
}
