/**
 * Everything a user tunes about the deployment, in one typed place.
 *
 * `DEFAULT_SETTINGS` deploys as-is (`npm run synth && kubectl apply -f dist`). To change a value, edit it
 * here and re-synthesize, or pass a JSON file of overrides to the synthesizer
 * (`npm run synth -- --settings my-settings.json --outdir my-dist`). The named environments
 * (`charts/environments.ts`: development, staging, production) are overrides of these defaults too. `resolveSettings` merges overrides
 * into the defaults and rejects anything invalid with a message naming the setting, so a typo fails the
 * synth instead of producing YAML that a cluster would reject (or worse, accept).
 */
import { readFileSync } from "node:fs";
import {
  DEFAULT_CONFIG,
  parseServerConfig,
  SERVER_SETTING_KEYS,
  SERVER_SETTINGS,
  SETTING_VALUE_TYPES,
  settingValue,
} from "../src/contract/server-config.js";
import { AUTH_MODES, type AuthMode } from "../src/contract/index.js";
import {
  AUTH_SERVER_KEYS,
  CHART_FIXED_SERVER_CONFIG,
  type InferenceServerConfig,
  serverEnvironment,
  type InferenceProbes,
} from "./constructs/inference-service.js";
import {
  IMAGE_REPOSITORY,
  IMAGE_TAG,
  isPinnedTag,
  parseImageReference,
} from "./constructs/image-reference.js";
import type { ScalingBehavior } from "./constructs/inference-autoscaler.js";
import { targetRequestsPerSecondPerPod } from "./constructs/request-rate-capacity.js";
import {
  DNS_SUBDOMAIN,
  INGRESS_HOST,
  isDnsLabel,
  isDnsSubdomain,
  LABEL_KEY,
  LABEL_VALUE,
} from "./constructs/names.js";
import {
  DEFAULT_MONITORING_CONFIG,
  isDuration,
  monitoringConfigProblems,
  type MonitoringConfig,
} from "./monitoring/mixin/config.js";
import type { PrometheusDuration } from "./monitoring/prometheus-config.js";
import { ALLOY_IMAGE } from "./monitoring/logs/log-collector.js";
import { DEFAULT_LOG_COLLECTOR_RESOURCES, DEFAULT_LOKI_RESOURCES } from "./monitoring/logs/log-sizing.js";
import { LOKI_IMAGE } from "./monitoring/logs/loki.js";

/** CPU and memory for one container, as Kubernetes quantities. */
export interface ComputeResources {
  readonly cpu: string;
  readonly memory: string;
}

/** How Prometheus and Grafana are deployed alongside the service (wired by the monitoring charts). */
export type MonitoringMode = "standalone" | "operator";

/** How a new image or model reaches the pods: a Deployment's rolling update, or an Argo Rollouts strategy. */
export type RolloutStrategy = "rolling" | "canary" | "blueGreen";

/** One canary step: move `weight` percent of the pods to the new version, then pause. */
export interface CanaryStep {
  /** Percent of the pods (and so, without a mesh, of the requests) on the new version, 1 to 100. */
  readonly weight: number;
  /** Seconds to wait before the next step, or "promote": wait for `npm run ops -- rollout promote`. */
  readonly pauseSeconds: number | "promote";
}

/**
 * What drives the replica count: `resource` is our own HorizontalPodAutoscaler on CPU and memory (no operator
 * needed); `requests` is a KEDA ScaledObject on the request rate per pod, read from Prometheus (KEDA creates
 * the HPA).
 */
export type AutoscalingMode = "resource" | "requests";

/** Kubernetes Service types the inference Service may use. */
export type ServiceType = "ClusterIP" | "NodePort" | "LoadBalancer";

export interface Settings {
  /** Namespace of the inference service. */
  readonly namespace: string;
  /** Container image of the inference server. `tag` defaults to the package version and is never `latest`. */
  readonly image: {
    readonly repository: string;
    readonly tag: string;
  };
  /** Requests and limits of the server container. */
  readonly resources: {
    readonly requests: ComputeResources;
    readonly limits: ComputeResources;
    /**
     * V8 old-space limit in MiB (`NODE_OPTIONS=--max-old-space-size`). Without it V8 sizes the heap from the
     * node's memory, not the container's, and lets garbage pile up towards the memory limit.
     */
    readonly heapLimitMiB: number;
  };
  /**
   * Autoscaling: the mode, the replica bounds (both modes), the CPU and memory targets of `resource` mode
   * (average utilisation, percent of the requests) and the KEDA trigger of `requests` mode.
   */
  readonly autoscaling: {
    readonly mode: AutoscalingMode;
    readonly minReplicas: number;
    readonly maxReplicas: number;
    readonly cpuUtilizationPercent: number;
    readonly memoryUtilizationPercent: number;
    /** The KEDA ScaledObject of `mode: "requests"` (ignored in `resource` mode). */
    readonly requests: {
      /**
       * Requests per second one pod should carry (the trigger's threshold; KEDA keeps
       * ceil(total rate / this) pods). Undefined derives it from `resources.requests.cpu` at
       * `cpuUtilizationPercent` by the measured CPU cost per request (`targetRequestsPerSecondPerPod` in
       * charts/constructs/request-rate-capacity.ts): 311 with the defaults.
       */
      readonly targetRequestsPerSecondPerPod: number | undefined;
      /**
       * Prometheus KEDA queries. Undefined: the standalone Prometheus this repo deploys
       * (`http://prometheus.<monitoring.namespace>.svc:9090`); required with `monitoring.mode: "operator"` or
       * monitoring disabled.
       */
      readonly prometheusUrl: string | undefined;
      /** Seconds between KEDA's checks of the trigger (`pollingInterval`). */
      readonly pollingIntervalSeconds: number;
      /** Replicas KEDA falls back to after three failed queries; undefined keeps the current count. */
      readonly fallbackReplicas: number | undefined;
    };
  };
  /** The Service in front of the pods. */
  readonly service: {
    readonly type: ServiceType;
    /** Port the Service listens on; it forwards to the container port named in `src/contract/index.ts`. */
    readonly port: number;
  };
  /** Local port in the README's `kubectl port-forward svc/<name> <portForwardPort>:<service.port>`. */
  readonly portForwardPort: number;
  /**
   * Server configuration passed to the container as environment variables: the server's own config shape
   * (`ServerConfig` in `src/contract/server-config.ts`, whose `SERVER_SETTINGS` gives each default and range)
   * minus the port, address and model directory the chart fixes. Validated by the server's own parser.
   */
  readonly server: InferenceServerConfig;
  /** Namespaces whose pods may call the service; `"any"` admits every source (port-forward, ingress, LB). */
  readonly clientNamespaces: "any" | readonly string[];
  /** Ingress, emitted only when `host` is set. */
  readonly ingress: {
    readonly host: string | undefined;
    readonly className: string | undefined;
    /** Secret holding the TLS certificate for `host`; no TLS section when undefined. */
    readonly tlsSecretName: string | undefined;
  };
  /**
   * Prometheus, kube-state-metrics and Grafana, plus the mixin's `MonitoringConfig` (documented in
   * `charts/monitoring/mixin/config.ts`): `scrapeInterval`, `evaluationInterval`, `runbookBaseUrl`, `alerts`
   * and `slo`, used alike by the standalone stack and operator mode.
   */
  readonly monitoring: MonitoringConfig & {
    readonly enabled: boolean;
    readonly mode: MonitoringMode;
    /** Namespace of the monitoring stack (created by the namespaces chart in standalone mode). */
    readonly namespace: string;
    /** Labels kube-prometheus-stack selects ServiceMonitors/rules/dashboards by (operator mode). */
    readonly operatorSelectorLabels: Readonly<Record<string, string>>;
    /** How long the standalone Prometheus keeps samples, e.g. "15d". */
    readonly prometheusRetention: string;
    /** Size of a PersistentVolumeClaim for Prometheus' data, e.g. "20Gi"; undefined keeps it in an emptyDir. */
    readonly prometheusStorageSize: string | undefined;
    /** StorageClass of that claim; undefined uses the cluster's default. Needs prometheusStorageSize. */
    readonly prometheusStorageClassName: string | undefined;
    /** Logs in Grafana: Loki and the log collector (standalone), or an existing Loki (operator). */
    readonly logs: LogsSettings;
  };
  /**
   * How fast the HorizontalPodAutoscaler scales (autoscaling/v2 `behavior`): stabilisation windows and
   * policies per direction.
   */
  readonly autoscalingBehavior: ScalingBehavior;
  /** Timings (period, timeout, failure threshold) of the inference server's startup, liveness and readiness probes. */
  readonly probes: InferenceProbes;
  /**
   * Argo CD: with `repositoryUrl` set, synth writes one `Application` per environment into `<outdir>/argocd/`,
   * pointing at that environment's directory of the committed `dist/` (see `charts/environments.ts`).
   */
  readonly gitops: GitOpsSettings;
  /**
   * Progressive delivery with Argo Rollouts (the controller is the cluster admin's to install, see README
   * "Progressive delivery"). `rolling` keeps the plain Deployment; `canary` and `blueGreen` replace it by a
   * Rollout whose analysis reads this service's own metrics from Prometheus.
   */
  readonly rollout: {
    readonly strategy: RolloutStrategy;
    /** Canary steps, increasing weights; after the last one the new version takes every pod. */
    readonly canarySteps: readonly CanaryStep[];
    /** Blue-green: switch the active Service to the new pods as soon as the analysis passes (else wait for promote). */
    readonly blueGreenAutoPromotion: boolean;
    /** The AnalysisTemplate run during a canary and before a blue-green promotion. */
    readonly analysis: {
      /** Prometheus the analysis queries; required in operator mode or without monitoring, else our own Prometheus. */
      readonly prometheusUrl: string | undefined;
      /** How often each measurement is taken, e.g. "1m". */
      readonly interval: PrometheusDuration;
      /** Range of the rates each measurement reads, e.g. "2m". */
      readonly window: PrometheusDuration;
      /** Failed measurements tolerated per metric; one more aborts the rollout and scales the new pods down. */
      readonly failureLimit: number;
      /** Highest 5xx share of the new pods' user requests, e.g. 0.01. */
      readonly maxErrorRatio: number;
      /** Highest p95 latency of the new pods' user requests, in seconds. */
      readonly maxP95LatencySeconds: number;
      /** Highest difference, for any class, between its share of the new and of the old pods' predictions. */
      readonly maxClassShareDifference: number;
    };
  };
  /** Zero-trust transport: Istio ambient mode (mTLS between all pods, identity-based authorization). */
  readonly mesh: MeshSettings;
  /**
   * API keys. `api-key`: every route but the probes needs a key from the Secret `secretName` (created by the
   * operator, one data key per key id; never in this repository), mounted as files and re-read when it
   * changes; `/metrics` moves to its own port, open to the monitoring namespace only.
   */
  readonly auth: AuthSettings;
}

/** Service meshes the deployment can join. */
export type MeshMode = "none" | "istio-ambient";

/** How the namespaces join a service mesh (see the README's "Mesh"). */
export interface MeshSettings {
  /**
   * `"istio-ambient"`: the namespaces are enrolled in Istio's ambient mesh, mTLS is STRICT and
   * AuthorizationPolicies admit only the client namespaces and Prometheus; `"none"` emits nothing of Istio.
   */
  readonly mode: MeshMode;
  /** Istio trust domain, the first part of every principal (`<trustDomain>/ns/<ns>/sa/<sa>`). */
  readonly trustDomain: string;
  /**
   * ServiceAccount of kube-prometheus-stack's Prometheus in `monitoring.namespace` (operator mode), the
   * identity admitted to `/metrics`; the standalone stack's is its own `prometheus`.
   */
  readonly operatorPrometheusServiceAccount: string;
}

/** Requests and limits of one container. */
export interface ContainerResourceSettings {
  readonly requests: ComputeResources;
  readonly limits: ComputeResources;
}

/**
 * `monitoring.logs`: in standalone mode a single-binary Loki and a Grafana Alloy DaemonSet that tails the
 * inference pods' logs through the API server, a Loki datasource in Grafana and a "Logs" dashboard row; in
 * operator mode only the dashboard row, for a Loki you already run (`lokiUrl`, see the README's "Logs").
 */
export interface LogsSettings {
  /** Collect and show logs. Standalone: Loki, collector, datasource, dashboard row; none when false. */
  readonly enabled: boolean;
  /** How long Loki keeps log lines (`limits_config.retention_period`), at least 24h, e.g. "7d". */
  readonly retention: string;
  /** Loki image with a pinned tag. */
  readonly lokiImage: string;
  /** Grafana Alloy image with a pinned tag. */
  readonly collectorImage: string;
  /** Size of a PersistentVolumeClaim for Loki's data, e.g. "10Gi"; undefined keeps it in an emptyDir. */
  readonly lokiStorageSize: string | undefined;
  /** StorageClass of that claim; undefined uses the cluster's default. Needs lokiStorageSize. */
  readonly lokiStorageClassName: string | undefined;
  /** Loki's requests and limits (sized in `charts/monitoring/logs/loki.ts`). */
  readonly lokiResources: ContainerResourceSettings;
  /** The collector's requests and limits, per node (sized in `charts/monitoring/logs/log-collector.ts`). */
  readonly collectorResources: ContainerResourceSettings;
  /**
   * Operator mode only: URL of an existing Loki (e.g. `http://loki-gateway.loki.svc`). When set, the dashboard
   * gets its logs row; the Grafana of kube-prometheus-stack needs a Loki datasource with uid `loki` at this
   * URL (README "Logs"). Must stay undefined in standalone mode, which runs its own Loki.
   */
  readonly lokiUrl: string | undefined;
}

/** Whether the dashboards get the logs row: standalone with logs on, or operator mode with a `lokiUrl`. */
export function logsShown(monitoring: Settings["monitoring"]): boolean {
  if (!monitoring.enabled || !monitoring.logs.enabled) return false;
  return monitoring.mode === "standalone" || monitoring.logs.lokiUrl !== undefined;
}

/** How the inference server authenticates requests (README "Authentication"). */
export interface AuthSettings {
  /** `none` (every request is served) or `api-key`. */
  readonly mode: AuthMode;
  /** Name of the Secret holding the keys in the service's namespace; data key = key id, value = key. */
  readonly secretName: string;
}

/** How Argo CD deploys an environment from this repository. */
export interface GitOpsSettings {
  /** Git URL of this repository as Argo CD clones it; no Application is emitted while it is undefined. */
  readonly repositoryUrl: string | undefined;
  /** Branch, tag or commit Argo CD follows. */
  readonly targetRevision: string;
  /** Sync on every new commit (and on drift when `selfHeal`); false leaves syncing to a person. */
  readonly automated: boolean;
  /** With automated sync, delete objects that were removed from the environment's directory. */
  readonly prune: boolean;
  /** With automated sync, undo changes made to the cluster by hand. */
  readonly selfHeal: boolean;
  /** Namespace of Argo CD (and of the Applications) in the management cluster. */
  readonly namespace: string;
  /** Argo CD project of the Applications. */
  readonly project: string;
  /** API server URL of the cluster the environment is deployed to, as registered in Argo CD. */
  readonly destinationServer: string;
}

/** A partial `T` at every depth; lists and scalars are replaced whole. */
type DeepPartial<T> = T extends readonly unknown[] | string | number | boolean | undefined
  ? T
  : { readonly [K in keyof T]?: DeepPartial<T[K]> };

/** A partial `Settings`, at any depth, as read from an overrides file. */
export type SettingsOverrides = DeepPartial<Settings>;

/** Version of this repository, which is also the image tag the Dockerfile builds. */
export const PACKAGE_VERSION: string = (
  JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string }
).version;

/** Defaults that deploy as-is on any conformant cluster. */
export const DEFAULT_SETTINGS: Settings = {
  namespace: "infer8s",
  image: { repository: "infer8s", tag: PACKAGE_VERSION },
  // Measured on the real server (compiled JS, wasm backend, loopback autocannon POST /predict, 2-core VM):
  //   idle: 5 millicores, RSS 108 MiB;  ~550 req/s: 305 millicores;  ~1,050 req/s: 414 millicores, RSS 147 MiB;
  //   saturated (16 connections, ~2,300 req/s): 934 millicores, RSS 151 MiB with the heap limit below.
  //   Without a heap limit RSS climbed to 315 MiB in 60 s of saturation (lazy GC, not a leak: capped, it stayed
  //   flat over 159k requests). The native TensorFlow backend (tfjs-node, in the image) could not be measured
  //   offline; the memory request leaves it ~170 MiB of headroom below the HPA's 80 % target (256 MiB).
  // A Node process uses about one core at most, so a larger CPU limit buys nothing; 250m requested puts the
  // HPA's 70 % CPU target at ~175 millicores. The open-loop bench (README, Benchmarks) measured 166 m at
  // 1,000 req/s and 324 m at 5,000 req/s of one-row /predict: the HPA adds a pod at ~1,200 req/s per pod
  // (~900 req/s of 32-row batches), p99 tens of ms, while the pod still fits its request.
  resources: {
    requests: { cpu: "250m", memory: "320Mi" },
    limits: { cpu: "1", memory: "640Mi" },
    heapLimitMiB: 128,
  },
  autoscaling: {
    mode: "resource",
    minReplicas: 2,
    maxReplicas: 10,
    cpuUtilizationPercent: 70,
    memoryUtilizationPercent: 80,
    // KEDA's HPA reads the trigger every 15 s (its sync period) whatever this is; 15 s keeps KEDA's own checks
    // in step with it and with the default scrape interval.
    requests: {
      targetRequestsPerSecondPerPod: undefined,
      prometheusUrl: undefined,
      pollingIntervalSeconds: 15,
      fallbackReplicas: undefined,
    },
  },
  service: { type: "ClusterIP", port: 80 },
  portForwardPort: 8080,
  // The server's own defaults (src/contract/server-config.ts), written into the Deployment so `kubectl get -o yaml` shows them.
  server: withoutChartFixed(DEFAULT_CONFIG),
  clientNamespaces: "any",
  ingress: { host: undefined, className: undefined, tlsSecretName: undefined },
  monitoring: {
    enabled: true,
    mode: "standalone",
    namespace: "monitoring",
    operatorSelectorLabels: { release: "kube-prometheus-stack" },
    prometheusRetention: "15d",
    prometheusStorageSize: undefined,
    prometheusStorageClassName: undefined,
    logs: {
      enabled: true,
      retention: "7d",
      lokiImage: LOKI_IMAGE,
      collectorImage: ALLOY_IMAGE,
      lokiStorageSize: undefined,
      lokiStorageClassName: undefined,
      lokiResources: DEFAULT_LOKI_RESOURCES,
      collectorResources: DEFAULT_LOG_COLLECTOR_RESOURCES,
      lokiUrl: undefined,
    },
    ...DEFAULT_MONITORING_CONFIG,
  },
  // Scale-up reacts at once (no stabilisation) by doubling or adding two pods per 15 s, whichever adds more,
  // because inference traffic bursts; scale-down halves at most every 15 s and only after five calm minutes,
  // so a dip between bursts does not throw away warm pods.
  autoscalingBehavior: {
    scaleUp: {
      stabilizationWindowSeconds: 0,
      selectPolicy: "Max",
      policies: [
        { type: "Percent", value: 100, periodSeconds: 15 },
        { type: "Pods", value: 2, periodSeconds: 15 },
      ],
    },
    scaleDown: {
      stabilizationWindowSeconds: 300,
      selectPolicy: "Max",
      policies: [{ type: "Percent", value: 50, periodSeconds: 15 }],
    },
  },
  // No repository URL: this repository does not know where it is hosted, so no Application is written.
  gitops: {
    repositoryUrl: undefined,
    targetRevision: "main",
    automated: true,
    prune: true,
    selfHeal: true,
    namespace: "argocd",
    project: "default",
    destinationServer: "https://kubernetes.default.svc",
  },
  // Startup allows the process 60 s (2 s x 30) to answer /health; readiness then waits for the model and
  // leaves the endpoints within 10 s (5 s x 2) of a drain; liveness restarts a server silent for 30 s.
  probes: {
    startup: { periodSeconds: 2, timeoutSeconds: 1, failureThreshold: 30 },
    liveness: { periodSeconds: 10, timeoutSeconds: 3, failureThreshold: 3 },
    readiness: { periodSeconds: 5, timeoutSeconds: 2, failureThreshold: 2 },
  },
  // 10 % then 50 % of the pods, two minutes each: two measurements of the analysis per step at a 1-minute
  // interval. The thresholds are stricter than the alerts' (5 % errors, 0.5 s p95): a canary is aborted on
  // less evidence than it takes to page someone, because rolling back costs nothing.
  rollout: {
    strategy: "rolling",
    canarySteps: [
      { weight: 10, pauseSeconds: 120 },
      { weight: 50, pauseSeconds: 120 },
    ],
    blueGreenAutoPromotion: true,
    analysis: {
      prometheusUrl: undefined,
      interval: "1m",
      window: "2m",
      failureLimit: 1,
      maxErrorRatio: 0.01,
      maxP95LatencySeconds: 0.25,
      maxClassShareDifference: 0.2,
    },
  },
  // No mesh: Istio is not part of dist/; "istio-ambient" needs Istio installed in ambient mode first.
  // kube-prometheus-stack names Prometheus' ServiceAccount `<release>-prometheus`.
  mesh: {
    mode: "none",
    trustDomain: "cluster.local",
    operatorPrometheusServiceAccount: "kube-prometheus-stack-prometheus",
  },
  // No keys by default: an API key is a secret the operator creates in the cluster, never a synthesized one.
  auth: { mode: "none", secretName: "iris-inference-api-keys" },
};

/**
 * Seconds Kubernetes waits after SIGTERM before SIGKILL: the server's drain period plus its in-flight
 * bound plus a margin for process exit, so a pod is never killed while finishing requests.
 */
export function terminationGracePeriodSeconds(server: Settings["server"]): number {
  // Kubernetes takes whole seconds; drain and in-flight may be fractions.
  return Math.ceil(server.drainSeconds + server.inflightTimeoutSeconds + TERMINATION_MARGIN_SECONDS);
}
const TERMINATION_MARGIN_SECONDS = 5;

function withoutChartFixed(config: typeof DEFAULT_CONFIG): InferenceServerConfig {
  const server: Record<string, unknown> = { ...config };
  for (const key of [...Object.keys(CHART_FIXED_SERVER_CONFIG), "auth"]) delete server[key];
  return server as unknown as InferenceServerConfig;
}

/**
 * The server settings under `settings.server`: every key of the server's table but those the chart fixes
 * and those it takes from `settings.auth`.
 */
export const SERVER_SETTING_KEYS_IN_SETTINGS = SERVER_SETTING_KEYS.filter(
  (key) => !(key in CHART_FIXED_SERVER_CONFIG) && !(AUTH_SERVER_KEYS as readonly string[]).includes(key),
);

/**
 * Checks `settings.server` with the server's own parser, on the environment the chart will write, so the
 * chart accepts exactly what the server does. JavaScript types are checked first: the environment would
 * hide the difference between `"5"` and `5`.
 */
function serverSettingProblems(server: InferenceServerConfig): string[] {
  const typeProblems = SERVER_SETTING_KEYS_IN_SETTINGS.flatMap((key) => {
    const value = settingValue(server, key);
    const type = SETTING_VALUE_TYPES[SERVER_SETTINGS[key].kind];
    return typeof value === type ? [] : [`server.${key}: must be a ${type}, got ${describe(value)}`];
  });
  if (typeProblems.length > 0) return typeProblems;
  const parsed = parseServerConfig(serverEnvironment(server));
  if (parsed.ok) return [];
  return parsed.errors.map(
    (problem) =>
      `server.${problem.key}: ${problem.expectation}, got ${describe(settingValue(server, problem.key))}`,
  );
}

/**
 * Merges `overrides` into `DEFAULT_SETTINGS` and validates the result. `of` names whose settings these are
 * in the message (e.g. `environment "staging"`).
 *
 * @throws Error listing every invalid setting by its dotted path, e.g.
 *   `Invalid settings:\n  - autoscaling.maxReplicas: must be >= autoscaling.minReplicas (2), got 1`, or
 *   `Invalid settings for environment "staging":\n  - ...` when `of` is given
 * @example
 *   const settings = resolveSettings({ image: { tag: "1.2.3" } });
 */
export function resolveSettings(overrides: SettingsOverrides = {}, of?: string): Settings {
  const problems: string[] = [];
  const merged = mergeInto(DEFAULT_SETTINGS, overrides, "", problems) as Settings;
  if (problems.length === 0) problems.push(...validateSettings(merged));
  if (problems.length > 0) {
    const heading = of === undefined ? "Invalid settings:" : `Invalid settings for ${of}:`;
    throw new Error(`${heading}\n${problems.map((p) => `  - ${p}`).join("\n")}`);
  }
  return merged;
}

/** Reads a JSON overrides file for `resolveSettings`. */
export function readSettingsOverrides(path: string): SettingsOverrides {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, "utf8"));
  } catch (error) {
    throw new Error(`Cannot read settings file ${path}: ${(error as Error).message}`, { cause: error });
  }
  if (!isPlainObject(parsed)) throw new Error(`Settings file ${path} must contain a JSON object`);
  return parsed as SettingsOverrides;
}

/** Keys whose value is a free-form map rather than a fixed set of settings. */
const MAP_SETTINGS = new Set(["monitoring.operatorSelectorLabels"]);

function mergeInto(defaults: unknown, overrides: unknown, path: string, problems: string[]): unknown {
  if (overrides === undefined) return defaults;
  if (!isPlainObject(defaults) || MAP_SETTINGS.has(path)) return overrides;
  if (!isPlainObject(overrides)) {
    problems.push(`${path}: must be an object, got ${describe(overrides)}`);
    return defaults;
  }
  const result: Record<string, unknown> = { ...defaults };
  for (const [key, value] of Object.entries(overrides)) {
    const childPath = path === "" ? key : `${path}.${key}`;
    if (!(key in defaults)) {
      problems.push(`${childPath}: unknown setting`);
      continue;
    }
    result[key] = mergeInto(defaults[key], value, childPath, problems);
  }
  return result;
}

const CPU_QUANTITY = /^([0-9]+m|[0-9]+(\.[0-9]{1,3})?)$/;
// A single-unit Prometheus duration, as `--storage.tsdb.retention.time` takes it.
const DURATION = /^[1-9][0-9]*(ms|s|m|h|d|w|y)$/;
const MEMORY_QUANTITY = /^[0-9]+(Ki|Mi|Gi|Ti)$/;

/** Problems with settings, each `setting: expectation, got value`, in the order they are found. */
class SettingProblems {
  readonly list: string[] = [];

  add(...problems: string[]): void {
    this.list.push(...problems);
  }

  check(ok: boolean, setting: string, expectation: string, value: unknown): void {
    if (!ok) this.add(`${setting}: ${expectation}, got ${describe(value)}`);
  }

  dnsLabel(setting: string, value: unknown): void {
    this.check(
      isDnsLabel(value),
      setting,
      "must be a DNS-1123 label (lowercase letters, digits and '-', at most 63 characters)",
      value,
    );
  }

  integer(setting: string, value: unknown, min: number, max: number): void {
    this.check(
      Number.isInteger(value) && (value as number) >= min && (value as number) <= max,
      setting,
      `must be an integer from ${min} to ${max}`,
      value,
    );
  }

  oneOf(setting: string, value: unknown, allowed: readonly string[]): void {
    this.check(
      allowed.includes(value as string),
      setting,
      `must be one of ${allowed.map((a) => `"${a}"`).join(", ")}`,
      value,
    );
  }

  optionalString(setting: string, value: unknown, pattern: RegExp, expectation: string): void {
    if (value !== undefined)
      this.check(typeof value === "string" && pattern.test(value), setting, expectation, value);
  }
}

function validateSettings(s: Settings): string[] {
  const problems = new SettingProblems();
  problems.dnsLabel("namespace", s.namespace);
  validateImage(problems, s.image);
  validateResources(problems, s.resources);
  validateAutoscaling(problems, s.autoscaling);
  validateRequestScaling(problems, s);
  problems.oneOf("service.type", s.service.type, ["ClusterIP", "NodePort", "LoadBalancer"]);
  problems.integer("service.port", s.service.port, 1, 65535);
  problems.integer("portForwardPort", s.portForwardPort, 1, 65535);
  problems.add(...serverSettingProblems(s.server));
  validateClientNamespaces(problems, s.clientNamespaces);
  validateIngress(problems, s.ingress);
  validateMonitoring(problems, s.monitoring, s.namespace);
  validateAutoscalingBehavior(problems, s.autoscalingBehavior);
  validateProbes(problems, s.probes);
  problems.add(...monitoringConfigProblems(s.monitoring, "monitoring"));
  problems.add(...gitOpsProblems(s.gitops));
  validateRollout(problems, s);
  validateMesh(problems, s);
  validateAuth(problems, s.auth);
  return problems.list;
}

function validateAuth(problems: SettingProblems, auth: Settings["auth"]): void {
  problems.oneOf("auth.mode", auth.mode, AUTH_MODES);
  problems.check(
    isDnsSubdomain(auth.secretName),
    "auth.secretName",
    "must be a Secret name (a DNS-1123 subdomain), e.g. iris-inference-api-keys",
    auth.secretName,
  );
}

function validateImage(problems: SettingProblems, image: Settings["image"]): void {
  problems.check(
    typeof image.repository === "string" && IMAGE_REPOSITORY.test(image.repository),
    "image.repository",
    "must be an image name without tag, e.g. registry.example.com/team/infer8s",
    image.repository,
  );
  problems.check(
    typeof image.tag === "string" && IMAGE_TAG.test(image.tag),
    "image.tag",
    "must be a Docker tag (letters, digits, '_', '.', '-'; at most 128 characters)",
    image.tag,
  );
  problems.check(image.tag !== "latest", "image.tag", 'must pin a version, not "latest"', image.tag);
}

/** Quantities first; limits against requests and the heap against the limit only when nothing failed yet. */
function validateResources(problems: SettingProblems, resources: Settings["resources"]): void {
  for (const kind of ["requests", "limits"] as const) {
    const r = resources[kind];
    problems.check(
      typeof r.cpu === "string" && CPU_QUANTITY.test(r.cpu) && cpuMillis(r.cpu) > 0,
      `resources.${kind}.cpu`,
      'must be a positive CPU quantity such as "250m" or "1"',
      r.cpu,
    );
    problems.check(
      typeof r.memory === "string" && MEMORY_QUANTITY.test(r.memory) && memoryBytes(r.memory) > 0,
      `resources.${kind}.memory`,
      'must be a positive memory quantity in Ki, Mi, Gi or Ti such as "256Mi"',
      r.memory,
    );
  }
  const { requests, limits, heapLimitMiB } = resources;
  if (problems.list.length === 0) {
    problems.check(
      cpuMillis(limits.cpu) >= cpuMillis(requests.cpu),
      "resources.limits.cpu",
      `must be >= resources.requests.cpu (${requests.cpu})`,
      limits.cpu,
    );
    problems.check(
      memoryBytes(limits.memory) >= memoryBytes(requests.memory),
      "resources.limits.memory",
      `must be >= resources.requests.memory (${requests.memory})`,
      limits.memory,
    );
  }
  problems.integer("resources.heapLimitMiB", heapLimitMiB, 32, 65_536);
  if (Number.isInteger(heapLimitMiB) && problems.list.length === 0) {
    const limitMiB = memoryBytes(limits.memory) / 2 ** 20;
    problems.check(
      heapLimitMiB <= limitMiB / 2,
      "resources.heapLimitMiB",
      `must be at most half of resources.limits.memory (${limits.memory}), leaving room for code, buffers and the TF.js backend`,
      heapLimitMiB,
    );
  }
}

function validateAutoscaling(problems: SettingProblems, a: Settings["autoscaling"]): void {
  // A PodDisruptionBudget keeps one pod; with a single replica it would block every node drain.
  problems.integer("autoscaling.minReplicas", a.minReplicas, 2, 1000);
  problems.integer("autoscaling.maxReplicas", a.maxReplicas, 2, 1000);
  if (Number.isInteger(a.minReplicas) && Number.isInteger(a.maxReplicas)) {
    problems.check(
      a.maxReplicas >= a.minReplicas,
      "autoscaling.maxReplicas",
      `must be >= autoscaling.minReplicas (${a.minReplicas})`,
      a.maxReplicas,
    );
  }
  problems.integer("autoscaling.cpuUtilizationPercent", a.cpuUtilizationPercent, 1, 100);
  problems.integer("autoscaling.memoryUtilizationPercent", a.memoryUtilizationPercent, 1, 100);
  problems.oneOf("autoscaling.mode", a.mode, ["resource", "requests"]);
}

function validateClientNamespaces(
  problems: SettingProblems,
  clientNamespaces: Settings["clientNamespaces"],
): void {
  if (clientNamespaces === "any") return;
  problems.check(
    Array.isArray(clientNamespaces) && clientNamespaces.length > 0,
    "clientNamespaces",
    'must be "any" or a non-empty list of namespace names',
    clientNamespaces,
  );
  if (Array.isArray(clientNamespaces)) {
    clientNamespaces.forEach((ns, i) => problems.dnsLabel(`clientNamespaces[${i}]`, ns));
  }
}

function validateIngress(problems: SettingProblems, ingress: Settings["ingress"]): void {
  problems.optionalString(
    "ingress.host",
    ingress.host,
    INGRESS_HOST,
    "must be a DNS name such as iris.example.com",
  );
  for (const key of ["className", "tlsSecretName"] as const) {
    const value = ingress[key];
    if (value !== undefined)
      problems.check(isDnsLabel(value), `ingress.${key}`, "must be a DNS-1123 label", value);
  }
  if (ingress.host === undefined) {
    for (const key of ["className", "tlsSecretName"] as const) {
      problems.check(
        ingress[key] === undefined,
        `ingress.${key}`,
        "needs ingress.host to be set",
        ingress[key],
      );
    }
  }
}

/** The monitoring stack's own settings; the mixin's thresholds are `monitoringConfigProblems`'. */
function validateMonitoring(
  problems: SettingProblems,
  monitoring: Settings["monitoring"],
  inferenceNamespace: string,
): void {
  problems.check(
    typeof monitoring.enabled === "boolean",
    "monitoring.enabled",
    "must be true or false",
    monitoring.enabled,
  );
  problems.oneOf("monitoring.mode", monitoring.mode, ["standalone", "operator"]);
  problems.dnsLabel("monitoring.namespace", monitoring.namespace);
  if (monitoring.namespace === inferenceNamespace) {
    problems.add(`monitoring.namespace: must differ from namespace ("${inferenceNamespace}")`);
  }
  problems.check(
    typeof monitoring.prometheusRetention === "string" && DURATION.test(monitoring.prometheusRetention),
    "monitoring.prometheusRetention",
    'must be a Prometheus duration such as "15d" or "12h"',
    monitoring.prometheusRetention,
  );
  validatePrometheusStorage(problems, monitoring);
  validateOperatorSelectorLabels(problems, monitoring.operatorSelectorLabels);
  validateLogs(problems, monitoring.logs, monitoring.mode);
}

const LOG_RETENTION = /^[1-9][0-9]*(h|d|w)$/;
const RETENTION_HOURS: Readonly<Record<string, number>> = { h: 1, d: 24, w: 168 };

function validateLogs(problems: SettingProblems, logs: LogsSettings, mode: MonitoringMode): void {
  problems.check(
    typeof logs.enabled === "boolean",
    "monitoring.logs.enabled",
    "must be true or false",
    logs.enabled,
  );
  problems.check(
    typeof logs.retention === "string" &&
      LOG_RETENTION.test(logs.retention) &&
      Number.parseInt(logs.retention, 10) * (RETENTION_HOURS[logs.retention.slice(-1)] ?? 0) >= 24,
    "monitoring.logs.retention",
    'must be a duration in h, d or w of at least 24h (Loki\'s minimum), such as "7d"',
    logs.retention,
  );
  for (const key of ["lokiImage", "collectorImage"] as const) {
    const image = logs[key];
    problems.check(
      typeof image === "string" && isPinnedTag(parseImageReference(image).tag),
      `monitoring.logs.${key}`,
      "must be an image reference with a pinned tag (not latest), e.g. grafana/loki:3.7.6",
      image,
    );
  }
  problems.optionalString(
    "monitoring.logs.lokiStorageSize",
    logs.lokiStorageSize,
    MEMORY_QUANTITY,
    'must be a quantity in Ki, Mi, Gi or Ti such as "10Gi"',
  );
  problems.optionalString(
    "monitoring.logs.lokiStorageClassName",
    logs.lokiStorageClassName,
    DNS_SUBDOMAIN,
    "must be a DNS-1123 subdomain",
  );
  if (logs.lokiStorageSize === undefined && logs.lokiStorageClassName !== undefined) {
    problems.add(
      `monitoring.logs.lokiStorageClassName: needs monitoring.logs.lokiStorageSize to be set, got ${describe(logs.lokiStorageClassName)}`,
    );
  }
  for (const key of ["lokiResources", "collectorResources"] as const) {
    validateContainerResources(problems, `monitoring.logs.${key}`, logs[key]);
  }
  problems.optionalString(
    "monitoring.logs.lokiUrl",
    logs.lokiUrl,
    /^https?:\/\/[^\s#?]+$/,
    "must be an http(s) URL without query or fragment, e.g. http://loki-gateway.loki.svc",
  );
  if (mode === "standalone" && logs.lokiUrl !== undefined) {
    problems.add(
      `monitoring.logs.lokiUrl: only for monitoring.mode "operator" (standalone runs its own Loki), got ${describe(logs.lokiUrl)}`,
    );
  }
}

/** Quantities of one container's requests and limits, then limits against requests. */
function validateContainerResources(
  problems: SettingProblems,
  path: string,
  resources: ContainerResourceSettings,
): void {
  const before = problems.list.length;
  for (const kind of ["requests", "limits"] as const) {
    const r = resources[kind];
    problems.check(
      typeof r.cpu === "string" && CPU_QUANTITY.test(r.cpu) && cpuMillis(r.cpu) > 0,
      `${path}.${kind}.cpu`,
      'must be a positive CPU quantity such as "250m" or "1"',
      r.cpu,
    );
    problems.check(
      typeof r.memory === "string" && MEMORY_QUANTITY.test(r.memory) && memoryBytes(r.memory) > 0,
      `${path}.${kind}.memory`,
      'must be a positive memory quantity in Ki, Mi, Gi or Ti such as "256Mi"',
      r.memory,
    );
  }
  if (problems.list.length > before) return;
  problems.check(
    cpuMillis(resources.limits.cpu) >= cpuMillis(resources.requests.cpu),
    `${path}.limits.cpu`,
    `must be >= ${path}.requests.cpu (${resources.requests.cpu})`,
    resources.limits.cpu,
  );
  problems.check(
    memoryBytes(resources.limits.memory) >= memoryBytes(resources.requests.memory),
    `${path}.limits.memory`,
    `must be >= ${path}.requests.memory (${resources.requests.memory})`,
    resources.limits.memory,
  );
}

function validatePrometheusStorage(problems: SettingProblems, monitoring: Settings["monitoring"]): void {
  problems.optionalString(
    "monitoring.prometheusStorageSize",
    monitoring.prometheusStorageSize,
    MEMORY_QUANTITY,
    'must be a storage quantity in Ki, Mi, Gi or Ti such as "20Gi"',
  );
  problems.optionalString(
    "monitoring.prometheusStorageClassName",
    monitoring.prometheusStorageClassName,
    DNS_SUBDOMAIN,
    "must be a DNS-1123 subdomain",
  );
  if (monitoring.prometheusStorageSize === undefined) {
    problems.check(
      monitoring.prometheusStorageClassName === undefined,
      "monitoring.prometheusStorageClassName",
      "needs monitoring.prometheusStorageSize to be set",
      monitoring.prometheusStorageClassName,
    );
  }
}

function validateOperatorSelectorLabels(problems: SettingProblems, selector: unknown): void {
  if (!isPlainObject(selector)) {
    problems.add(`monitoring.operatorSelectorLabels: must be an object of label names to values`);
    return;
  }
  for (const [key, value] of Object.entries(selector)) {
    problems.check(LABEL_KEY.test(key), `monitoring.operatorSelectorLabels`, "keys must be label names", key);
    problems.check(
      typeof value === "string" && LABEL_VALUE.test(value),
      `monitoring.operatorSelectorLabels.${key}`,
      "must be a label value",
      value,
    );
  }
}

function validateAutoscalingBehavior(
  problems: SettingProblems,
  behavior: Settings["autoscalingBehavior"],
): void {
  for (const direction of ["scaleUp", "scaleDown"] as const) {
    const rules = behavior[direction];
    const path = `autoscalingBehavior.${direction}`;
    problems.integer(`${path}.stabilizationWindowSeconds`, rules.stabilizationWindowSeconds, 0, 3600);
    problems.oneOf(`${path}.selectPolicy`, rules.selectPolicy, ["Max", "Min", "Disabled"]);
    problems.check(
      Array.isArray(rules.policies) && rules.policies.length > 0,
      `${path}.policies`,
      "must be a non-empty list of policies",
      rules.policies,
    );
    if (Array.isArray(rules.policies)) {
      rules.policies.forEach((policy, i) => {
        if (!isPlainObject(policy)) {
          problems.add(`${path}.policies[${i}]: must be an object with type, value and periodSeconds`);
          return;
        }
        problems.oneOf(`${path}.policies[${i}].type`, policy.type, ["Percent", "Pods"]);
        problems.integer(`${path}.policies[${i}].value`, policy.value, 1, 1000);
        problems.integer(`${path}.policies[${i}].periodSeconds`, policy.periodSeconds, 1, 1800);
      });
    }
  }
}

function validateProbes(problems: SettingProblems, probes: Settings["probes"]): void {
  for (const probe of ["startup", "liveness", "readiness"] as const) {
    const timing = probes[probe];
    problems.integer(`probes.${probe}.periodSeconds`, timing.periodSeconds, 1, 300);
    problems.integer(`probes.${probe}.timeoutSeconds`, timing.timeoutSeconds, 1, 300);
    problems.integer(`probes.${probe}.failureThreshold`, timing.failureThreshold, 1, 1000);
  }
}

/** The mesh's own settings, then what joining the mesh asks of the rest. */
function validateMesh(problems: SettingProblems, s: Settings): void {
  const { mesh } = s;
  problems.oneOf("mesh.mode", mesh.mode, ["none", "istio-ambient"]);
  problems.check(
    isDnsSubdomain(mesh.trustDomain),
    "mesh.trustDomain",
    'must be a DNS-1123 subdomain such as "cluster.local"',
    mesh.trustDomain,
  );
  problems.check(
    isDnsSubdomain(mesh.operatorPrometheusServiceAccount),
    "mesh.operatorPrometheusServiceAccount",
    "must be a ServiceAccount name (a DNS-1123 subdomain)",
    mesh.operatorPrometheusServiceAccount,
  );
  if (mesh.mode !== "istio-ambient") return;
  // STRICT mTLS refuses plaintext, and what a NodePort or LoadBalancer brings from outside is plaintext.
  problems.check(
    s.service.type === "ClusterIP",
    "service.type",
    'must be "ClusterIP" with mesh.mode "istio-ambient" (STRICT mTLS refuses the plaintext traffic a NodePort or LoadBalancer brings from outside the mesh; expose the service through an ingress in the mesh)',
    s.service.type,
  );
}

// https://, ssh:// or scp-like git@host:path, as Argo CD accepts repositories.
const GIT_URL = /^(https:\/\/[^\s/]+\/\S+|ssh:\/\/\S+|[a-z0-9_.-]+@[a-z0-9.-]+:\S+)$/i;
const GIT_REVISION = /^[A-Za-z0-9][A-Za-z0-9._/-]{0,254}$/;
const HTTPS_URL = /^https:\/\/[^\s/]+(\/\S*)?$/;

function gitOpsProblems(g: GitOpsSettings): string[] {
  const problems: string[] = [];
  const check = (ok: boolean, setting: string, expectation: string, value: unknown): void => {
    if (!ok) problems.push(`gitops.${setting}: ${expectation}, got ${describe(value)}`);
  };
  const checkPattern = (setting: keyof GitOpsSettings, pattern: RegExp, expectation: string): void => {
    const value = g[setting];
    check(typeof value === "string" && pattern.test(value), setting, expectation, value);
  };
  if (g.repositoryUrl !== undefined) {
    checkPattern(
      "repositoryUrl",
      GIT_URL,
      "must be a Git URL such as https://github.com/OWNER/infer8s.git or git@github.com:OWNER/infer8s.git",
    );
  }
  checkPattern("targetRevision", GIT_REVISION, "must be a branch, tag or commit such as main or v1.2.3");
  for (const key of ["automated", "prune", "selfHeal"] as const) {
    check(typeof g[key] === "boolean", key, "must be true or false", g[key]);
  }
  check(isDnsLabel(g.namespace), "namespace", "must be a DNS-1123 label", g.namespace);
  checkPattern("project", DNS_SUBDOMAIN, "must be a DNS-1123 subdomain");
  checkPattern(
    "destinationServer",
    HTTPS_URL,
    "must be an https:// URL such as https://kubernetes.default.svc",
  );
  return problems;
}

/** Argo Rollouts settings; the analysis needs a Prometheus unless ours (standalone) is deployed. */
function validateRollout(problems: SettingProblems, s: Settings): void {
  const r = s.rollout;
  problems.oneOf("rollout.strategy", r.strategy, ["rolling", "canary", "blueGreen"]);
  if (!Array.isArray(r.canarySteps) || r.canarySteps.length === 0) {
    problems.add(`rollout.canarySteps: must be a non-empty list of steps, got ${describe(r.canarySteps)}`);
  } else {
    let previous = 0;
    r.canarySteps.forEach((step, i) => {
      const path = `rollout.canarySteps[${i}]`;
      if (!isPlainObject(step) || Object.keys(step).some((k) => k !== "weight" && k !== "pauseSeconds")) {
        problems.add(`${path}: must be an object with weight and pauseSeconds, got ${describe(step)}`);
        return;
      }
      const { weight, pauseSeconds } = step;
      problems.check(
        Number.isInteger(weight) && (weight as number) > previous && (weight as number) <= 100,
        `${path}.weight`,
        `must be an integer above the previous step's (${previous}) and at most 100`,
        weight,
      );
      if (Number.isInteger(weight)) previous = weight as number;
      problems.check(
        pauseSeconds === "promote" ||
          (Number.isInteger(pauseSeconds) &&
            (pauseSeconds as number) >= 1 &&
            (pauseSeconds as number) <= 86_400),
        `${path}.pauseSeconds`,
        'must be an integer from 1 to 86400 or "promote"',
        pauseSeconds,
      );
    });
  }
  problems.check(
    typeof r.blueGreenAutoPromotion === "boolean",
    "rollout.blueGreenAutoPromotion",
    "must be true or false",
    r.blueGreenAutoPromotion,
  );
  const a = r.analysis;
  if (a.prometheusUrl !== undefined) {
    problems.check(
      typeof a.prometheusUrl === "string" && HTTP_URL.test(a.prometheusUrl),
      "rollout.analysis.prometheusUrl",
      "must be an http(s) URL such as http://prometheus-operated.monitoring.svc:9090",
      a.prometheusUrl,
    );
  } else if (r.strategy !== "rolling" && !(s.monitoring.enabled && s.monitoring.mode === "standalone")) {
    problems.add(
      `rollout.analysis.prometheusUrl: must be set when rollout.strategy is "${r.strategy}" and monitoring is ${s.monitoring.enabled ? 'in "operator" mode' : "disabled"} (the analysis needs a Prometheus that scrapes this service)`,
    );
  }
  for (const key of ["interval", "window"] as const) {
    problems.check(isDuration(a[key]), `rollout.analysis.${key}`, 'must be a duration such as "1m"', a[key]);
  }
  problems.integer("rollout.analysis.failureLimit", a.failureLimit, 0, 100);
  for (const key of ["maxErrorRatio", "maxClassShareDifference"] as const) {
    problems.check(
      typeof a[key] === "number" && a[key] > 0 && a[key] < 1,
      `rollout.analysis.${key}`,
      "must be a number between 0 and 1 (exclusive)",
      a[key],
    );
  }
  problems.check(
    typeof a.maxP95LatencySeconds === "number" && a.maxP95LatencySeconds > 0 && a.maxP95LatencySeconds <= 60,
    "rollout.analysis.maxP95LatencySeconds",
    "must be a number of seconds above 0 and at most 60",
    a.maxP95LatencySeconds,
  );
}

const HTTP_URL = /^https?:\/\/[^\s/]+(\/\S*)?$/;

/**
 * `autoscaling.requests`: checked in both modes (a typo should not wait for the switch); what requests mode
 * needs (a Prometheus to query, a derivable target) only in that mode.
 */
function validateRequestScaling(problems: SettingProblems, s: Settings): void {
  const r = s.autoscaling.requests;
  const path = "autoscaling.requests";
  const target = r.targetRequestsPerSecondPerPod;
  if (target !== undefined)
    problems.check(
      typeof target === "number" && Number.isFinite(target) && target > 0 && target <= 1_000_000,
      `${path}.targetRequestsPerSecondPerPod`,
      "must be a number of requests per second above 0 and at most 1000000",
      target,
    );
  problems.optionalString(
    `${path}.prometheusUrl`,
    r.prometheusUrl,
    HTTP_URL,
    "must be an http(s) URL such as http://prometheus-operated.monitoring.svc:9090",
  );
  problems.integer(`${path}.pollingIntervalSeconds`, r.pollingIntervalSeconds, 1, 3600);
  const { minReplicas, maxReplicas } = s.autoscaling;
  if (r.fallbackReplicas !== undefined)
    problems.check(
      Number.isInteger(r.fallbackReplicas) &&
        r.fallbackReplicas >= minReplicas &&
        r.fallbackReplicas <= maxReplicas,
      `${path}.fallbackReplicas`,
      `must be an integer from autoscaling.minReplicas (${minReplicas}) to autoscaling.maxReplicas (${maxReplicas})`,
      r.fallbackReplicas,
    );
  if (s.autoscaling.mode !== "requests") return;
  const ourPrometheus = s.monitoring.enabled && s.monitoring.mode === "standalone";
  if (r.prometheusUrl === undefined && !ourPrometheus)
    problems.add(
      `${path}.prometheusUrl: must be set when autoscaling.mode is "requests" without the standalone monitoring stack (monitoring.enabled ${String(s.monitoring.enabled)}, monitoring.mode "${s.monitoring.mode}"): there is no Prometheus of ours for KEDA to query`,
    );
  const cpuRequest = s.resources.requests.cpu;
  const cpuPercent = s.autoscaling.cpuUtilizationPercent;
  const derivable =
    typeof cpuRequest === "string" && CPU_QUANTITY.test(cpuRequest) && Number.isInteger(cpuPercent);
  if (target === undefined && derivable) {
    try {
      targetRequestsPerSecondPerPod(cpuMillis(cpuRequest), cpuPercent);
    } catch (error) {
      problems.add(`${path}.targetRequestsPerSecondPerPod: must be set: ${(error as Error).message}`);
    }
  }
}

/**
 * The per-pod request rate of `mode: "requests"`: the setting, or derived from the CPU request at the CPU
 * target by the measured cost per request.
 *
 * @example requestRateTarget(DEFAULT_SETTINGS) // => 311
 */
export function requestRateTarget(s: Settings): number {
  return (
    s.autoscaling.requests.targetRequestsPerSecondPerPod ??
    targetRequestsPerSecondPerPod(cpuMillis(s.resources.requests.cpu), s.autoscaling.cpuUtilizationPercent)
  );
}

/** Millicores of a CPU quantity already matched by `CPU_QUANTITY`. */
export function cpuMillis(quantity: string): number {
  return quantity.endsWith("m") ? Number(quantity.slice(0, -1)) : Math.round(Number(quantity) * 1000);
}

/** Bytes of a memory quantity already matched by `MEMORY_QUANTITY`. */
export function memoryBytes(quantity: string): number {
  const units: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40 };
  return Number(quantity.slice(0, -2)) * (units[quantity.slice(-2)] ?? Number.NaN);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  return value === undefined ? "undefined" : JSON.stringify(value);
}
