import {
  IntOrString,
  Quantity,
  type PodSecurityContext,
  type Probe,
  type ResourceRequirements,
  type SecurityContext,
  type VolumeMount,
} from "cdk8s-plus-28/lib/imports/k8s.js";

/**
 * Pieces every pod of these charts shares, so the inference server, Prometheus, kube-state-metrics and Grafana
 * meet the restricted Pod Security Standard (enforced on their namespaces) in the same way.
 */

/** CPU and memory quantities, e.g. `{ cpu: "100m", memory: "256Mi" }`. */
export interface ComputeQuantities {
  readonly cpu: string;
  readonly memory: string;
}

/** Requests and limits of one container. */
export interface ContainerResources {
  readonly requests: ComputeQuantities;
  readonly limits: ComputeQuantities;
}

/** Who every process of the pod runs as: a fixed non-root uid/gid under the RuntimeDefault seccomp profile. */
function nonRootIdentity(uid: number, gid: number) {
  return { runAsNonRoot: true, runAsUser: uid, runAsGroup: gid, seccompProfile: { type: "RuntimeDefault" } };
}

/** Pod-level security context: a fixed non-root uid/gid, volumes group-owned by it, RuntimeDefault seccomp. */
export function restrictedPodSecurity(uid: number, gid = uid): PodSecurityContext {
  return { ...nonRootIdentity(uid, gid), fsGroup: gid };
}

/** Container-level security context: no privilege escalation, no capabilities, read-only root filesystem. */
export function restrictedContainerSecurity(uid: number, gid = uid): SecurityContext {
  return {
    ...nonRootIdentity(uid, gid),
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
    capabilities: { drop: ["ALL"] },
  };
}

/** Kubernetes resource requirements from plain quantities. */
export function resourceRequirements(resources: ContainerResources): ResourceRequirements {
  return {
    requests: {
      cpu: Quantity.fromString(resources.requests.cpu),
      memory: Quantity.fromString(resources.requests.memory),
    },
    limits: {
      cpu: Quantity.fromString(resources.limits.cpu),
      memory: Quantity.fromString(resources.limits.memory),
    },
  };
}

/** How often a probe runs, how long one attempt may take, and how many failures in a row count. */
export interface ProbeTiming {
  /** Seconds between attempts. */
  readonly periodSeconds: number;
  /** Consecutive failures before the probe counts as failed. */
  readonly failureThreshold: number;
  /** Seconds one attempt may take. @default 3 */
  readonly timeoutSeconds?: number;
}

/** An HTTP GET probe on a named container port. */
export function httpGetProbe(path: string, portName: string, timing: ProbeTiming): Probe {
  return {
    httpGet: { path, port: IntOrString.fromString(portName), scheme: "HTTP" },
    periodSeconds: timing.periodSeconds,
    timeoutSeconds: timing.timeoutSeconds ?? 3,
    failureThreshold: timing.failureThreshold,
    successThreshold: 1,
  };
}

/** The startup, readiness and liveness probes of a process with one readiness endpoint. */
export interface ReadyEndpointProbes {
  readonly startupProbe: Probe;
  readonly readinessProbe: Probe;
  readonly livenessProbe: Probe;
}

/**
 * All three probes on one readiness endpoint: startup every 5 s, up to `startupFailures` times; then readiness
 * every 10 s (3 failures take the pod out of the Service's endpoints) and liveness every 30 s (5 failures
 * restart the container).
 */
export function readyEndpointProbes(
  path: string,
  portName: string,
  startupFailures: number,
): ReadyEndpointProbes {
  return {
    startupProbe: httpGetProbe(path, portName, { periodSeconds: 5, failureThreshold: startupFailures }),
    readinessProbe: httpGetProbe(path, portName, { periodSeconds: 10, failureThreshold: 3 }),
    livenessProbe: httpGetProbe(path, portName, { periodSeconds: 30, failureThreshold: 5 }),
  };
}

/**
 * The mounts of a process that reads its configuration and writes a data directory under a read-only root
 * filesystem: the volume "config" read-only at `configDir`, "data" at `dataDir`, "tmp" at /tmp.
 */
export function configDataTmpMounts(configDir: string, dataDir: string): VolumeMount[] {
  return [
    { name: "config", mountPath: configDir, readOnly: true },
    { name: "data", mountPath: dataDir },
    { name: "tmp", mountPath: "/tmp" },
  ];
}
