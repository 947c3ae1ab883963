/**
 * The kube-state-metrics series the alerts and dashboards read, and the resources kube-state-metrics must
 * watch to produce them (its `--resources` flag and its ClusterRole both follow this list).
 */
export const KUBE_STATE_METRICS = {
  hpaCurrentReplicas: "kube_horizontalpodautoscaler_status_current_replicas",
  hpaDesiredReplicas: "kube_horizontalpodautoscaler_status_desired_replicas",
  hpaMaxReplicas: "kube_horizontalpodautoscaler_spec_max_replicas",
  hpaMinReplicas: "kube_horizontalpodautoscaler_spec_min_replicas",
  deploymentAvailableReplicas: "kube_deployment_status_replicas_available",
  deploymentSpecReplicas: "kube_deployment_spec_replicas",
  podReady: "kube_pod_status_ready",
  containerRestarts: "kube_pod_container_status_restarts_total",
} as const;

/** Labels kube-state-metrics puts on the series above. */
export const KUBE_STATE_METRICS_LABELS = {
  namespace: "namespace",
  pod: "pod",
  container: "container",
  deployment: "deployment",
  hpa: "horizontalpodautoscaler",
  condition: "condition",
} as const;

/** A resource kube-state-metrics reports on: its `--resources` name and the API group it lives in. */
export interface WatchedResource {
  /** Name in kube-state-metrics' `--resources` flag. */
  readonly collector: string;
  /** API group of the resource (`""` for the core group). */
  readonly apiGroup: string;
  /** Plural resource name in RBAC rules. */
  readonly resource: string;
}

/** Only what the series above need, so the ClusterRole stays minimal. */
export const KUBE_STATE_METRICS_RESOURCES: readonly WatchedResource[] = [
  { collector: "deployments", apiGroup: "apps", resource: "deployments" },
  { collector: "horizontalpodautoscalers", apiGroup: "autoscaling", resource: "horizontalpodautoscalers" },
  { collector: "pods", apiGroup: "", resource: "pods" },
];
