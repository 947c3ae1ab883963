import { Construct } from "constructs";
import {
  IntOrString,
  Quantity,
  type EnvVar,
  type KubeDeployment,
  type Volume,
  type KubeService,
} from "cdk8s-plus-28/lib/imports/k8s.js";
import { encodeServerConfig, type ServerConfig } from "../../src/contract/server-config.js";
import {
  API_KEYS_MOUNT_PATH,
  type AuthMode,
  ENV,
  METRICS_PORT,
  METRICS_PORT_NAME,
  MODEL_NAME,
  PATHS,
  RUN_AS_GID,
  RUN_AS_UID,
  SERVER_PORT,
  SERVER_PORT_NAME,
} from "../../src/contract/index.js";
import { isDnsLabel, isDnsSubdomain } from "./names.js";
import { httpGetProbe, type ProbeTiming } from "./restricted-pod.js";
import { RestrictedWorkload, type DeploymentJson, type WorkloadContainer } from "./restricted-workload.js";

/** CPU and memory quantities, e.g. `{ cpu: "250m", memory: "256Mi" }`. */
export interface InferenceResources {
  readonly cpu: string;
  readonly memory: string;
}

/** Timings of the server container's probes (the paths are the server's: `/health` and `/ready`). */
export interface InferenceProbes {
  /** Startup probe on `/health`: period x failureThreshold is how long the process may take to answer. */
  readonly startup: Required<ProbeTiming>;
  /** Liveness probe on `/health`: restarts a server that stopped answering. */
  readonly liveness: Required<ProbeTiming>;
  /** Readiness probe on `/ready`: takes a pod out of the Service until the model is loaded, and while draining. */
  readonly readiness: Required<ProbeTiming>;
}

export interface InferenceServiceProps {
  /** Namespace of every object. */
  readonly namespace: string;
  /** Name of the ServiceAccount, Deployment and Service. @default `${MODEL_NAME}-inference` ("iris-inference") */
  readonly name?: string;
  /** Image repository, without tag. */
  readonly imageRepository: string;
  /** Image tag; must pin a version (never "latest"). */
  readonly imageTag: string;
  /** Requests of the server container. */
  readonly requests: InferenceResources;
  /** Limits of the server container. */
  readonly limits: InferenceResources;
  /** Server configuration passed as environment variables. */
  readonly server: InferenceServerConfig;
  /** V8 old-space limit in MiB, passed as `NODE_OPTIONS=--max-old-space-size`. @default undefined: V8's choice */
  readonly heapLimitMiB?: number;
  /** Probe timings of the server container. */
  readonly probes: InferenceProbes;
  /** Seconds between SIGTERM and SIGKILL; must exceed `server.drainSeconds + server.inflightTimeoutSeconds` (checked at synth). */
  readonly terminationGracePeriodSeconds: number;
  /** Type of the Service. @default "ClusterIP" */
  readonly serviceType?: string;
  /** Port the Service listens on, forwarded to the container port named `http`. @default 80 */
  readonly servicePort?: number;
  /** Fixed replica count. @default undefined: no `replicas` field, a HorizontalPodAutoscaler owns the count */
  readonly replicas?: number;
  /**
   * API keys: in `api-key` mode the Secret is mounted read-only at `API_KEYS_MOUNT_PATH` and `/metrics`
   * moves to its own port. @default { mode: "none" }: no Secret, `/metrics` on the `http` port
   */
  readonly auth?: InferenceAuth;
}

/** How the server authenticates requests. */
export interface InferenceAuth {
  /** `none` or `api-key`. */
  readonly mode: AuthMode;
  /** The Secret holding the keys (data key = key id), created by the operator. Needed in `api-key` mode. */
  readonly secretName?: string;
}

/** Where the model lives in the image (the Dockerfile copies `model/` to the WORKDIR `/app`). */
export const IMAGE_MODEL_DIR = "/app/model";

/**
 * The server settings the chart fixes itself: the image's port, every interface, the model in the image,
 * the metrics port its Service and NetworkPolicy name.
 */
export const CHART_FIXED_SERVER_CONFIG = {
  port: SERVER_PORT,
  host: "0.0.0.0",
  modelDir: IMAGE_MODEL_DIR,
  metricsPort: METRICS_PORT,
} as const satisfies Partial<ServerConfig>;

/** Server settings the chart takes from `settings.auth` rather than `settings.server`. */
export const AUTH_SERVER_KEYS = [
  "auth.mode",
  "auth.keysDir",
  "metricsPort",
] as const satisfies readonly (keyof typeof ENV)[];

/** Server configuration the Deployment passes as environment variables: all of it but the fixed part and auth. */
export type InferenceServerConfig = Omit<ServerConfig, keyof typeof CHART_FIXED_SERVER_CONFIG | "auth">;

/**
 * The server container's environment for `server`, written by the server's own codec (every variable, in
 * the order of `SERVER_SETTINGS`). The charts' settings validation parses exactly this. The auth variables
 * are written only in api-key mode: the server's defaults are no auth, so the Deployment of a service
 * without keys stays as it was.
 */
export function serverEnvironment(
  server: InferenceServerConfig,
  authMode: AuthMode = "none",
): Record<string, string> {
  const env = encodeServerConfig({
    ...server,
    ...CHART_FIXED_SERVER_CONFIG,
    auth: { mode: authMode, keysDir: API_KEYS_MOUNT_PATH },
  });
  if (authMode === "none") for (const key of AUTH_SERVER_KEYS) delete env[ENV[key]];
  return env;
}

/** Name of the pod volume holding the API keys. */
const API_KEYS_VOLUME = "api-keys";

/**
 * The inference server: a `RestrictedWorkload` (ServiceAccount without token, a Deployment meeting the
 * restricted Pod Security Standard, a Service in front of it) running the server image.
 *
 * Its public fields are what other constructs (autoscaler, network policy, Prometheus scrape config,
 * dashboards) need, so nothing about the service is typed twice.
 *
 * @example
 *   const inference = new InferenceService(chart, "inference", { namespace: "infer8s", ... });
 *   scrape.target(inference.namespace, inference.selectorLabels, inference.portName, inference.metricsPath);
 */
export class InferenceService extends Construct {
  /** Namespace of the ServiceAccount, Deployment and Service. */
  public readonly namespace: string;
  /** Name shared by the ServiceAccount, Deployment and Service (`svc/<name>` in port-forward). */
  public readonly name: string;
  /** Name of the Service. */
  public readonly serviceName: string;
  /** Name of the Deployment. */
  public readonly deploymentName: string;
  /** Labels selecting the server pods (stable across versions). */
  public readonly selectorLabels: Readonly<Record<string, string>>;
  /** Labels on every object and pod of the service. */
  public readonly labels: Readonly<Record<string, string>>;
  /** Name of the container port serving HTTP (and metrics, without auth). */
  public readonly portName: string = SERVER_PORT_NAME;
  /** Number of that container port. */
  public readonly containerPort: number = SERVER_PORT;
  /** Name of the container and Service port Prometheus scrapes: `metrics` in api-key mode, else `http`. */
  public readonly metricsPortName: string;
  /** Number of that container port. */
  public readonly metricsContainerPort: number;
  /** How requests are authenticated. */
  public readonly auth: Required<InferenceAuth> | { readonly mode: "none" };
  /** Path of the Prometheus exposition. */
  public readonly metricsPath: string = PATHS.metrics;
  /** Port the Service listens on. */
  public readonly servicePort: number;
  /** Full image reference `repository:tag`. */
  public readonly image: string;
  /** Seconds between SIGTERM and SIGKILL. */
  public readonly terminationGracePeriodSeconds: number;
  /** Fixed replica count, or undefined when an autoscaler owns the count. */
  public readonly replicas: number | undefined;
  /** Probe timings of the server container. */
  public readonly probes: InferenceProbes;
  /** The ServiceAccount, Deployment and Service. */
  public readonly workload: RestrictedWorkload;
  /**
   * The Deployment (an HPA's scale target). An `InferenceRollout` removes it from the chart and runs its pod
   * template instead; the object stays readable for the validations.
   */
  public readonly deployment: KubeDeployment;
  /** The Service. */
  public readonly service: KubeService;

  constructor(scope: Construct, id: string, props: InferenceServiceProps) {
    super(scope, id);
    const name = props.name ?? `${MODEL_NAME}-inference`;
    validateProps(props, name);
    this.auth =
      props.auth?.mode === "api-key"
        ? { mode: "api-key", secretName: props.auth.secretName as string }
        : { mode: "none" };
    const separateMetrics = this.auth.mode === "api-key";
    this.metricsPortName = separateMetrics ? METRICS_PORT_NAME : this.portName;
    this.metricsContainerPort = separateMetrics ? METRICS_PORT : this.containerPort;
    this.terminationGracePeriodSeconds = props.terminationGracePeriodSeconds;
    this.probes = props.probes;

    this.workload = new RestrictedWorkload(this, "workload", {
      namespace: props.namespace,
      name,
      component: "inference-server",
      image: `${props.imageRepository}:${props.imageTag}`,
      uid: RUN_AS_UID,
      gid: RUN_AS_GID,
      ...(props.replicas === undefined ? {} : { replicas: props.replicas }),
      revisionHistoryLimit: 5,
      // Surge first, never remove a serving pod before its replacement is ready.
      strategy: {
        type: "RollingUpdate",
        rollingUpdate: { maxSurge: IntOrString.fromString("25%"), maxUnavailable: IntOrString.fromNumber(0) },
      },
      podAnnotations: {
        "prometheus.io/scrape": "true",
        "prometheus.io/port": String(this.metricsContainerPort),
        "prometheus.io/path": this.metricsPath,
      },
      terminationGracePeriodSeconds: this.terminationGracePeriodSeconds,
      spreadAcrossNodes: true,
      containers: [this.serverContainer(props)],
      // The root filesystem is read-only; Node and TF.js may write temporary files.
      volumes: [
        { name: "tmp", emptyDir: { sizeLimit: Quantity.fromString("64Mi") } },
        ...(this.auth.mode === "api-key" ? [apiKeysVolume(this.auth.secretName)] : []),
      ],
      service: {
        portName: this.portName,
        port: props.servicePort ?? 80,
        type: props.serviceType ?? "ClusterIP",
        // Prometheus discovers its targets through the Service's endpoints, by port name.
        ...(separateMetrics ? { extraPorts: [{ name: METRICS_PORT_NAME, port: METRICS_PORT }] } : {}),
      },
    });
    // One name for the ServiceAccount, Deployment and Service; every field as the workload resolved it.
    ({
      namespace: this.namespace,
      name: this.name,
      image: this.image,
      replicas: this.replicas,
      servicePort: this.servicePort,
      selectorLabels: this.selectorLabels,
      labels: this.labels,
      deployment: this.deployment,
      service: this.service,
    } = this.workload);
    this.serviceName = this.name;
    this.deploymentName = this.name;

    const shutdownBound = props.server.drainSeconds + props.server.inflightTimeoutSeconds;
    this.node.addValidation({ validate: () => this.gracePeriodProblems(shutdownBound) });
  }

  /** The server: its settings as environment variables, probed on `/health` and `/ready`. */
  private serverContainer(props: InferenceServiceProps): WorkloadContainer {
    return {
      name: "server",
      ports: [
        { name: this.portName, containerPort: this.containerPort },
        ...(this.metricsPortName === this.portName
          ? []
          : [{ name: this.metricsPortName, containerPort: this.metricsContainerPort }]),
      ],
      env: [
        ...serverEnv(props.server, this.auth.mode),
        ...(props.heapLimitMiB === undefined
          ? []
          : [{ name: "NODE_OPTIONS", value: `--max-old-space-size=${props.heapLimitMiB}` }]),
      ],
      resources: { requests: props.requests, limits: props.limits },
      startupProbe: httpGetProbe(PATHS.health, this.portName, this.probes.startup),
      livenessProbe: httpGetProbe(PATHS.health, this.portName, this.probes.liveness),
      readinessProbe: httpGetProbe(PATHS.ready, this.portName, this.probes.readiness),
      volumeMounts: [
        { name: "tmp", mountPath: "/tmp" },
        ...(this.auth.mode === "api-key"
          ? [{ name: API_KEYS_VOLUME, mountPath: API_KEYS_MOUNT_PATH, readOnly: true }]
          : []),
      ],
    };
  }

  /** Kubernetes must wait out the server's drain and in-flight bound before it kills a pod. */
  private gracePeriodProblems(shutdownBound: number): string[] {
    const grace = (this.deployment.toJson() as DeploymentJson).spec.template.spec
      .terminationGracePeriodSeconds;
    return grace !== undefined && grace > shutdownBound
      ? []
      : [
          `Deployment ${this.deploymentName}: terminationGracePeriodSeconds (${grace}) must exceed server.drainSeconds + server.inflightTimeoutSeconds (${shutdownBound}), or Kubernetes kills pods still finishing requests`,
        ];
  }
}

function serverEnv(server: InferenceServerConfig, authMode: AuthMode): EnvVar[] {
  return Object.entries(serverEnvironment(server, authMode)).map(([name, value]) => ({ name, value }));
}

/**
 * The operator's Secret as files, one per data key (= key id), readable by the server's group only. A
 * Secret volume, not a `subPath` mount or an env variable: kubelet swaps the files atomically when the
 * Secret changes (`..data` symlink), and the server re-reads them without a restart. `optional: false`
 * keeps the pod from starting at all without the Secret.
 */
function apiKeysVolume(secretName: string): Volume {
  return {
    name: API_KEYS_VOLUME,
    secret: { secretName, defaultMode: 0o440, optional: false },
  };
}

function validateProps(props: InferenceServiceProps, name: string): void {
  const fail = (prop: string, problem: string): never => {
    throw new Error(`InferenceService: props.${prop} ${problem}`);
  };
  if (!isDnsLabel(name)) {
    fail("name", `must be a DNS-1123 label, got "${name}"`);
  }
  if (props.imageTag === "latest" || props.imageTag === "") {
    fail("imageTag", `must pin a version, got "${props.imageTag}"`);
  }
  if (!Number.isInteger(props.terminationGracePeriodSeconds)) {
    fail(
      "terminationGracePeriodSeconds",
      `must be whole seconds, got ${props.terminationGracePeriodSeconds}`,
    );
  }
  if (props.heapLimitMiB !== undefined && !(Number.isInteger(props.heapLimitMiB) && props.heapLimitMiB > 0)) {
    fail("heapLimitMiB", `must be a positive integer, got ${props.heapLimitMiB}`);
  }
  if (props.auth?.mode === "api-key" && !isDnsSubdomain(props.auth.secretName)) {
    fail(
      "auth.secretName",
      `must name the API-key Secret in api-key mode, got ${JSON.stringify(props.auth.secretName)}`,
    );
  }
  if (props.replicas !== undefined && !(Number.isInteger(props.replicas) && props.replicas >= 1)) {
    fail("replicas", `must be a positive integer, got ${props.replicas}`);
  }
}
