import { METRIC_LABELS, PATHS } from "../../src/contract/index.js";
import type { ReplicaAutoscaler } from "../constructs/inference-autoscaler.js";
import type { InferenceRollout } from "../constructs/inference-rollout.js";
import type { InferenceService } from "../constructs/inference-service.js";
import { anyOf, escapeRegex, type LabelMatchers } from "./promql.js";

/**
 * What monitoring needs to know about the inference service. The monitoring charts fill it from the
 * InferenceService construct's public fields, so the scrape job, the alerts and the dashboards follow the
 * same names the Deployment, Service and HPA are synthesized with.
 */
export interface MonitoredService {
  /** Namespace of the Deployment, Service and HPA. */
  readonly namespace: string;
  /** Name of the Service in front of the pods; also the Prometheus `job` label (as the operator sets it). */
  readonly serviceName: string;
  /** Labels that both the Service and its pods carry, stable across versions (a ServiceMonitor selects by them). */
  readonly selectorLabels: Readonly<Record<string, string>>;
  /** Name of the Deployment; its pods are named `<deploymentName>-<replicaset hash>-<pod hash>`. */
  readonly deploymentName: string;
  /** Name of the HorizontalPodAutoscaler, as kube-state-metrics reports it (KEDA's in requests mode). */
  readonly hpaName: string;
  /**
   * KEDA's request-rate scaling (`autoscaling.mode: "requests"`): the per-pod target and the bounds;
   * undefined when our own HPA scales on CPU and memory.
   */
  readonly requestScaling?: {
    readonly targetRequestsPerSecondPerPod: number;
    readonly minReplicas: number;
    readonly maxReplicas: number;
  };
  /** Name of the container port (and Service port) that serves the metrics. */
  readonly portName: string;
  /** HTTP path of the Prometheus exposition. */
  readonly metricsPath: string;
  /**
   * Set when an Argo Rollout runs the pods: the scrape copies its `rollouts-pod-template-hash` pod label onto
   * every series (the analysis and the dashboard tell the versions apart by it), and also scrapes the
   * endpoints of `extraServiceNames` (the blue-green preview Service, the only one in front of the new pods).
   * @default undefined: a Deployment
   */
  readonly rollout?: { readonly extraServiceNames: readonly string[] };
}

/** The Prometheus `job` label of the inference targets, identical in standalone and operator mode. */
export function jobName(service: Pick<MonitoredService, "serviceName">): string {
  return service.serviceName;
}

/** Matchers that select the inference targets' own series. */
export function targetMatchers(service: Pick<MonitoredService, "namespace" | "serviceName">): LabelMatchers {
  return { job: jobName(service), namespace: service.namespace };
}

/**
 * Regex matching the names of the Deployment's pods and nobody else's: `<deployment>-<pod-template-hash>-<5
 * chars>`. kube-state-metrics and cAdvisor series carry no `job`, so this is how they are narrowed down.
 */
export function podNamePattern(service: MonitoredService): string {
  return `${escapeRegex(service.deploymentName)}-[a-z0-9]{1,10}-[a-z0-9]{5}`;
}

/**
 * Routes that are not user traffic: probes answer 503 by design while the model loads or the pod drains,
 * and Prometheus' own scrapes would dilute latency. Error ratios, latency and the SLO leave them out.
 */
export const NON_USER_ROUTES: readonly string[] = [PATHS.health, PATHS.ready, PATHS.metrics];

/** Matchers for user traffic of the inference targets (everything but probes and scrapes). */
export function userTrafficMatchers(
  service: Pick<MonitoredService, "namespace" | "serviceName">,
): LabelMatchers {
  return { ...targetMatchers(service), [METRIC_LABELS.route]: { op: "!~", value: anyOf(NON_USER_ROUTES) } };
}

/** Reads what monitoring needs from the inference constructs' public fields. */
export function monitoredService(
  service: InferenceService,
  autoscaler: ReplicaAutoscaler,
  rollout?: InferenceRollout,
): MonitoredService {
  return {
    namespace: service.namespace,
    serviceName: service.serviceName,
    selectorLabels: service.selectorLabels,
    deploymentName: service.deploymentName,
    hpaName: autoscaler.hpaName,
    ...(autoscaler.requestRateTargetPerPod === undefined
      ? {}
      : {
          requestScaling: {
            targetRequestsPerSecondPerPod: autoscaler.requestRateTargetPerPod,
            minReplicas: autoscaler.minReplicas,
            maxReplicas: autoscaler.maxReplicas,
          },
        }),
    portName: service.metricsPortName,
    metricsPath: service.metricsPath,
    ...(rollout
      ? {
          rollout: {
            extraServiceNames: rollout.scrapedServiceNames.filter((n) => n !== service.serviceName),
          },
        }
      : {}),
  };
}
