/**
 * Debian's Prometheus is built without Kubernetes service discovery (`promtool check config` rejects
 * `kubernetes_sd_configs`). These helpers turn the generated configuration into one it accepts by
 * replacing each discovery block, and nothing else, with static targets that carry the meta labels
 * Kubernetes discovery would have set, so the generated relabelling runs unchanged against them.
 */
import type { MonitoredService } from "../../charts/monitoring/monitored-service.js";
import {
  KUBERNETES_META_LABELS,
  SERVICE_ACCOUNT_DIR,
  type PrometheusConfig,
  type ScrapeConfig,
  type StaticConfig,
} from "../../charts/monitoring/prometheus-config.js";

/** A target as Kubernetes discovery would have produced it. */
export interface SimulatedTarget {
  /** `host:port` to scrape. */
  readonly address: string;
  /** The `__meta_kubernetes_*` labels discovery would attach. */
  readonly metaLabels: Readonly<Record<string, string>>;
}

/** Container name the simulated pods report (the real one is the InferenceService's own business). */
export const SIMULATED_CONTAINER = "server";

/**
 * An endpoint-slice target of the inference Service, as discovery reports one ready pod.
 *
 * @example simulatedInferenceTarget(service, "127.0.0.1:18080", "iris-inference-6d4cf56db6-x2k4p")
 */
export function simulatedInferenceTarget(
  service: MonitoredService,
  address: string,
  podName: string,
  overrides: Readonly<Record<string, string>> = {},
): SimulatedTarget {
  return {
    address,
    metaLabels: {
      [KUBERNETES_META_LABELS.namespace]: service.namespace,
      [KUBERNETES_META_LABELS.serviceName]: service.serviceName,
      [KUBERNETES_META_LABELS.endpointSlicePortName]: service.portName,
      [KUBERNETES_META_LABELS.podName]: podName,
      [KUBERNETES_META_LABELS.podContainerName]: SIMULATED_CONTAINER,
      ...overrides,
    },
  };
}

/** A node target, as node discovery reports it. */
export function simulatedNodeTarget(nodeName: string): SimulatedTarget {
  return { address: `${nodeName}:10250`, metaLabels: { [KUBERNETES_META_LABELS.nodeName]: nodeName } };
}

/**
 * Replaces every `kubernetes_sd_configs` block with `static_configs` holding the given targets for that
 * job (jobs not in `targetsByJob` get none). Every other field, relabelling included, is kept as is.
 */
export function withStaticDiscovery(
  config: PrometheusConfig,
  targetsByJob: Readonly<Record<string, readonly SimulatedTarget[]>>,
): PrometheusConfig {
  return {
    ...config,
    scrape_configs: config.scrape_configs.map((job): ScrapeConfig => {
      if (job.kubernetes_sd_configs === undefined) return job;
      const { kubernetes_sd_configs: _discovery, ...rest } = job;
      const statics: StaticConfig[] = (targetsByJob[job.job_name] ?? []).map((t) => ({
        targets: [t.address],
        labels: t.metaLabels,
      }));
      return { ...rest, static_configs: [...(job.static_configs ?? []), ...statics] };
    }),
  };
}

/**
 * Points credential and CA files under the pod's ServiceAccount mount at `dir`, because promtool checks
 * that they exist. The caller puts a `token` and a `ca.crt` there.
 */
export function withServiceAccountDir(config: PrometheusConfig, dir: string): PrometheusConfig {
  const move = (path: string | undefined) =>
    path?.startsWith(`${SERVICE_ACCOUNT_DIR}/`)
      ? `${dir}/${path.slice(SERVICE_ACCOUNT_DIR.length + 1)}`
      : path;
  return {
    ...config,
    scrape_configs: config.scrape_configs.map((job) => ({
      ...job,
      ...(job.authorization
        ? {
            authorization: {
              ...job.authorization,
              credentials_file: move(job.authorization.credentials_file)!,
            },
          }
        : {}),
      ...(job.tls_config ? { tls_config: { ...job.tls_config, ca_file: move(job.tls_config.ca_file) } } : {}),
    })),
  };
}
