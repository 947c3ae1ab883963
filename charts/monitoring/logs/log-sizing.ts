import type { ContainerResources } from "../../constructs/restricted-pod.js";

/*
 * Requests and limits of the logs stack, both sized from one log volume: a request line measured 246 bytes
 * (`createRequestLogger`, 2-character hostname; a pod name adds ~30), so ~280 bytes in a pod. At the HPA's
 * target (~300 req/s per pod) a pod writes ~0.08 MiB/s; even `maxReplicas` (10) fully loaded is ~0.8 MiB/s.
 */

/**
 * Loki's requests and limits. Loki holds open chunks in memory per stream, up to `chunk_target_size` (1.5 MB by
 * default); our streams are pods × levels, a few dozen at most, so under 100 MiB, plus the process, the index
 * and queries. Not measured (no cluster here): revisit with `container_memory_working_set_bytes` once it runs.
 */
export const DEFAULT_LOKI_RESOURCES: ContainerResources = {
  requests: { cpu: "100m", memory: "256Mi" },
  limits: { cpu: "1", memory: "1Gi" },
};

/**
 * The collector's requests and limits, from Alloy's documented rule of thumb for logs ("Estimate Grafana
 * Alloy resource usage": ~1 CPU core and ~120 MiB of memory per 1 MiB/s of logs, DaemonSet deployments): one
 * or two pods per node → 80-160 millicores and 10-20 MiB above Alloy's own baseline while fully loaded, far
 * less when idle. Requests cover one loaded pod per node; the limit allows ~1 MiB/s, about 1.6 saturated pods
 * (~2,300 req/s each, measured) on one node. Throttled, API tailing falls behind; it does not drop lines while
 * the pod lives.
 */
export const DEFAULT_LOG_COLLECTOR_RESOURCES: ContainerResources = {
  requests: { cpu: "100m", memory: "128Mi" },
  limits: { cpu: "1", memory: "512Mi" },
};
