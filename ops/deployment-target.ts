/**
 * What the operations commands act on, read from the same charts that synthesize `dist/`, so a namespace
 * or an object name is never typed twice: change it in `charts/settings.ts` (or an overrides file), and
 * `npm run synth` and `npm run ops` follow together.
 */
import { readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";
import { buildApp } from "../charts/app.js";
import { KEDA_HPA_PREFIX } from "../charts/constructs/inference-scaled-object.js";
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
  /** Name of the HorizontalPodAutoscaler: ours (the Deployment's name), or KEDA's (`keda-hpa-<name>`) in requests mode. */
  readonly hpaName: string;
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
    podSelector: selectorFlag(service.selectorLabels),
    hpaName: inference.autoscaler.hpaName,
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

/** `key=value,...` in key order, as the synthesized YAML lists the labels. */
function selectorFlag(labels: Readonly<Record<string, string>>): string {
  return Object.entries(labels)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([key, value]) => `${key}=${value}`)
    .join(",");
}

/** The fields of a synthesized object that `readDeploymentTarget` looks at. */
interface ManifestObject {
  readonly kind?: string;
  readonly metadata?: { name?: string; namespace?: string; labels?: Record<string, string> };
  readonly spec?: {
    selector?: Record<string, string> & { matchLabels?: Record<string, string> };
    ports?: { port?: number }[];
    minReplicas?: number;
    maxReplicas?: number;
    /** A KEDA ScaledObject's bounds and the name of the HPA it creates. */
    minReplicaCount?: number;
    maxReplicaCount?: number;
    advanced?: { horizontalPodAutoscalerConfig?: { name?: string } };
    scaleTargetRef?: { kind?: string; name?: string };
    strategy?: { canary?: unknown; blueGreen?: unknown };
  };
}

/** Label the charts put on the inference server's objects, and values naming the monitoring stack's. */
const COMPONENT_LABEL = "app.kubernetes.io/component";
const NAME_LABEL = "app.kubernetes.io/name";

/** The objects of the directory's own `*.yaml` files, in file order (not its subdirectories'). */
function readManifestObjects(dir: string): ManifestObject[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isFile() && /\.ya?ml$/.test(entry.name))
    .map((entry) => entry.name)
    .sort()
    .flatMap((file) =>
      parseAllDocuments(readFileSync(join(dir, file), "utf8")).map((doc) => doc.toJS() as ManifestObject),
    )
    .filter((object) => object !== null && typeof object === "object");
}

/** The monitoring stack's Service labelled `name` (Grafana, Prometheus), as a port-forward target. */
function stackService(
  objects: readonly ManifestObject[],
  name: string,
  path: string,
): PortForwardTarget | undefined {
  const found = objects.find((o) => o.kind === "Service" && o.metadata?.labels?.[NAME_LABEL] === name);
  const port = found?.spec?.ports?.[0]?.port;
  if (found?.metadata?.name === undefined || found.metadata.namespace === undefined || port === undefined) {
    return undefined;
  }
  return {
    namespace: found.metadata.namespace,
    serviceName: found.metadata.name,
    servicePort: port,
    localPort: port,
    path,
  };
}

/**
 * The same target, read from a synthesized directory instead of from settings: how `--env <name>` finds the
 * names of an environment (`dist/<name>/`) without knowing how that environment's settings are built.
 * Reads the directory's own `*.yaml` files, not its subdirectories (as `kubectl apply -f DIR` does).
 *
 * @example readDeploymentTarget("dist/staging", 8080).namespace
 */
export function readDeploymentTarget(dir: string, portForwardPort: number): DeploymentTarget {
  const objects = readManifestObjects(dir);
  // The pods' controller: a Deployment, or the Argo Rollout that replaces it (rollout.strategy).
  const deployment = objects.find(
    (o) =>
      (o.kind === "Deployment" || o.kind === "Rollout") &&
      o.metadata?.labels?.[COMPONENT_LABEL] === "inference-server",
  );
  if (deployment?.metadata?.name === undefined || deployment.metadata.namespace === undefined) {
    throw new Error(`${dir} holds no inference Deployment (label ${COMPONENT_LABEL}=inference-server)`);
  }
  const namespace = deployment.metadata.namespace;
  const matchLabels = deployment.spec?.selector?.matchLabels ?? {};
  const selects = (service: ManifestObject): boolean => {
    const selector = Object.entries(service.spec?.selector ?? {});
    return selector.length > 0 && selector.every(([key, value]) => matchLabels[key] === value);
  };
  const service = objects.find(
    (o) => o.kind === "Service" && o.metadata?.namespace === namespace && selects(o),
  );
  // Our HPA, or in request-rate mode the KEDA ScaledObject that creates one (`keda-hpa-<name>` by default).
  const autoscaler = objects.find(
    (o) =>
      (o.kind === "HorizontalPodAutoscaler" || o.kind === "ScaledObject") &&
      o.metadata?.namespace === namespace &&
      o.spec?.scaleTargetRef?.name === deployment.metadata?.name,
  );
  if (service?.metadata?.name === undefined || autoscaler?.metadata?.name === undefined) {
    throw new Error(
      `${dir}: no Service or HorizontalPodAutoscaler (or KEDA ScaledObject) for Deployment ${deployment.metadata.name}`,
    );
  }
  const keda = autoscaler.kind === "ScaledObject";
  const grafana = stackService(objects, "grafana", "/dashboards");
  const prometheus = stackService(objects, "prometheus", "/targets");
  return {
    namespace,
    deploymentName: deployment.metadata.name,
    rollout:
      deployment.kind === "Rollout"
        ? {
            name: deployment.metadata.name,
            strategy: deployment.spec?.strategy?.blueGreen === undefined ? "canary" : "blueGreen",
          }
        : undefined,
    podSelector: selectorFlag(matchLabels),
    hpaName: keda
      ? (autoscaler.spec?.advanced?.horizontalPodAutoscalerConfig?.name ??
        `${KEDA_HPA_PREFIX}${autoscaler.metadata.name}`)
      : autoscaler.metadata.name,
    // KEDA's defaults: 0 and 100.
    minReplicas: (keda ? autoscaler.spec?.minReplicaCount : autoscaler.spec?.minReplicas) ?? (keda ? 0 : 1),
    maxReplicas: (keda ? autoscaler.spec?.maxReplicaCount : autoscaler.spec?.maxReplicas) ?? (keda ? 100 : 1),
    monitoringNamespace: prometheus?.namespace ?? grafana?.namespace,
    portForward: {
      api: {
        namespace,
        serviceName: service.metadata.name,
        servicePort: service.spec?.ports?.[0]?.port ?? 80,
        localPort: portForwardPort,
        path: PATHS.info,
      },
      ...(grafana && { grafana }),
      ...(prometheus && { prometheus }),
    },
  };
}
