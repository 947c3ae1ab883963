/**
 * What the operations commands act on, read from the same charts that synthesize `dist/`, so a namespace
 * or an object name is never typed twice: change it in `charts/settings.ts` (or an overrides file), and
 * `npm run synth` and `npm run ops` follow together.
 */
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildApp } from "../charts/app.js";
import type { MonitoringChart } from "../charts/monitoring-chart.js";
import type { Settings } from "../charts/settings.js";
import { PATHS } from "../src/contract/index.js";

/** A Service `kubectl port-forward` can reach, with the local port the README uses for it. */
export interface PortForwardTarget {
  readonly namespace: string;
  readonly serviceName: string;
  readonly servicePort: number;
  readonly localPort: number;
  /** Path to open once forwarded, e.g. the API's `/info`. */
  readonly path: string;
}

/** Names of forwardable services: `npm run ops -- port-forward <name>`. */
export const PORT_FORWARD_NAMES = ["api", "grafana", "prometheus"] as const;
export type PortForwardName = (typeof PORT_FORWARD_NAMES)[number];

export interface DeploymentTarget {
  /** Namespace of the inference service. */
  readonly namespace: string;
  /** Name of the inference Deployment (also its HPA, Service and PodDisruptionBudget). */
  readonly deploymentName: string;
  /**
   * The Argo Rollouts Rollout that runs the pods instead of the Deployment (same name), with its strategy;
   * undefined with `rollout.strategy: "rolling"`.
   */
  readonly rollout: { readonly name: string; readonly strategy: "canary" | "blueGreen" } | undefined;
  /** `kubectl --selector` value matching the server pods, e.g. `app.kubernetes.io/name=iris-inference,...`. */
  readonly podSelector: string;
  /** Lower bound of the HorizontalPodAutoscaler. */
  readonly minReplicas: number;
  /** Upper bound of the HorizontalPodAutoscaler: how many pods `logs --follow` may stream from. */
  readonly maxReplicas: number;
  /** Namespace of the standalone monitoring stack; undefined when monitoring is off or operator-managed. */
  readonly monitoringNamespace: string | undefined;
  /** Forwardable services; grafana and prometheus only when the standalone monitoring stack is deployed. */
  readonly portForward: Readonly<Partial<Record<PortForwardName, PortForwardTarget>>>;
}

/**
 * Builds the charts for `settings` in memory (nothing is written) and reads the objects' names from them.
 *
 * @example
 *   const target = deploymentTarget(resolveSettings());
 *   target.deploymentName; // "iris-inference"
 */
export function deploymentTarget(settings: Settings): DeploymentTarget {
  // The outdir is only used by synth(), which is never called here.
  const { namespaces, inference, monitoring } = buildApp(settings, join(tmpdir(), "infer8s-ops-unused"));
  const service = inference.service;
  // Only the standalone stack is ours; in operator mode kube-prometheus-stack owns Grafana and Prometheus.
  // (Not `instanceof`: cdk8s' Chart answers it with "is any chart".)
  const stack =
    monitoring !== undefined && "grafana" in monitoring ? (monitoring as MonitoringChart) : undefined;
  return {
    namespace: service.namespace,
    deploymentName: service.deploymentName,
    rollout: inference.rollout && { name: inference.rollout.name, strategy: inference.rollout.strategy },
    podSelector: Object.entries(service.selectorLabels)
      .map(([key, value]) => `${key}=${value}`)
      .join(","),
    minReplicas: inference.autoscaler.minReplicas,
    maxReplicas: inference.autoscaler.maxReplicas,
    monitoringNamespace: namespaces.monitoring?.name,
    portForward: {
      api: {
        namespace: service.namespace,
        serviceName: service.serviceName,
        servicePort: service.servicePort,
        localPort: settings.portForwardPort,
        path: PATHS.info,
      },
      ...(stack && {
        grafana: {
          namespace: stack.grafana.namespace,
          serviceName: stack.grafana.name,
          servicePort: stack.grafana.port,
          localPort: stack.grafana.port,
          path: "/dashboards",
        },
        prometheus: {
          namespace: stack.prometheus.namespace,
          serviceName: stack.prometheus.name,
          servicePort: stack.prometheus.port,
          localPort: stack.prometheus.port,
          // Where a scrape target that is down shows first.
          path: "/targets",
        },
      }),
    },
  };
}
