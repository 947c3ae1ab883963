import { Construct } from "constructs";
import {
  IntOrString,
  KubeDeployment,
  KubeService,
  KubeServiceAccount,
  Quantity,
  type EnvVar,
} from "cdk8s-plus-28/lib/imports/k8s.js";
import { encodeServerConfig, type ServerConfig } from "../../src/contract/server-config.js";
import {
  MODEL_NAME,
  PATHS,
  RUN_AS_GID,
  RUN_AS_UID,
  SERVER_PORT,
  SERVER_PORT_NAME,
} from "../../src/contract/index.js";
import { recommendedLabels } from "./recommended-labels.js";
import {
  httpGetProbe,
  resourceRequirements,
  restrictedContainerSecurity,
  restrictedPodSecurity,
} from "./restricted-pod.js";

/** CPU and memory quantities, e.g. `{ cpu: "250m", memory: "256Mi" }`. */
export interface InferenceResources {
  readonly cpu: string;
  readonly memory: string;
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
  /** Seconds between SIGTERM and SIGKILL; must exceed `server.drainSeconds + server.inflightTimeoutSeconds`. */
  readonly terminationGracePeriodSeconds: number;
  /** Type of the Service. @default "ClusterIP" */
  readonly serviceType?: string;
  /** Port the Service listens on, forwarded to the container port named `http`. @default 80 */
  readonly servicePort?: number;
  /** Fixed replica count. @default undefined: no `replicas` field, a HorizontalPodAutoscaler owns the count */
  readonly replicas?: number;
}

/** Where the model lives in the image (the Dockerfile copies `model/` to the WORKDIR `/app`). */
export const IMAGE_MODEL_DIR = "/app/model";

/** The server settings the chart fixes itself: the image's port, every interface, the model in the image. */
export const CHART_FIXED_SERVER_CONFIG = {
  port: SERVER_PORT,
  host: "0.0.0.0",
  modelDir: IMAGE_MODEL_DIR,
} as const satisfies Partial<ServerConfig>;

/** Server configuration the Deployment passes as environment variables: all of it but the fixed part. */
export type InferenceServerConfig = Omit<ServerConfig, keyof typeof CHART_FIXED_SERVER_CONFIG>;

/**
 * The server container's environment for `server`, written by the server's own codec (every variable, in
 * the order of `SERVER_SETTINGS`). The charts' settings validation parses exactly this.
 */
export function serverEnvironment(server: InferenceServerConfig): Record<string, string> {
  return encodeServerConfig({ ...server, ...CHART_FIXED_SERVER_CONFIG });
}

/**
 * The inference server: a ServiceAccount without token, a Deployment meeting the restricted Pod Security
 * Standard, and a Service in front of it.
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
  /** Name of the container port serving HTTP and metrics. */
  public readonly portName: string = SERVER_PORT_NAME;
  /** Number of that container port. */
  public readonly containerPort: number = SERVER_PORT;
  /** Path of the Prometheus exposition. */
  public readonly metricsPath: string = PATHS.metrics;
  /** Port the Service listens on. */
  public readonly servicePort: number;
  /** Full image reference `repository:tag`. */
  public readonly image: string;
  /** Seconds between SIGTERM and SIGKILL. */
  public readonly terminationGracePeriodSeconds: number;
  /** The Deployment (an HPA's scale target). */
  public readonly deployment: KubeDeployment;
  /** The Service. */
  public readonly service: KubeService;

  constructor(scope: Construct, id: string, props: InferenceServiceProps) {
    super(scope, id);
    this.namespace = props.namespace;
    this.name = props.name ?? `${MODEL_NAME}-inference`;
    this.serviceName = this.name;
    this.deploymentName = this.name;
    this.servicePort = props.servicePort ?? 80;
    this.image = `${props.imageRepository}:${props.imageTag}`;
    this.terminationGracePeriodSeconds = props.terminationGracePeriodSeconds;
    const serviceType = props.serviceType ?? "ClusterIP";
    validateProps(props, this.name);

    const labels = recommendedLabels({
      name: this.name,
      component: "inference-server",
      version: props.imageTag,
    });
    this.selectorLabels = labels.selector;
    this.labels = labels.all;
    const metadata = { name: this.name, namespace: this.namespace, labels: { ...this.labels } };

    new KubeServiceAccount(this, "service-account", { metadata, automountServiceAccountToken: false });

    this.deployment = new KubeDeployment(this, "deployment", {
      metadata,
      spec: {
        ...(props.replicas === undefined ? {} : { replicas: props.replicas }),
        revisionHistoryLimit: 5,
        selector: { matchLabels: { ...this.selectorLabels } },
        // Surge first, never remove a serving pod before its replacement is ready.
        strategy: {
          type: "RollingUpdate",
          rollingUpdate: {
            maxSurge: IntOrString.fromString("25%"),
            maxUnavailable: IntOrString.fromNumber(0),
          },
        },
        template: {
          metadata: {
            labels: { ...this.labels },
            annotations: {
              "prometheus.io/scrape": "true",
              "prometheus.io/port": String(this.containerPort),
              "prometheus.io/path": this.metricsPath,
            },
          },
          spec: {
            serviceAccountName: this.name,
            automountServiceAccountToken: false,
            enableServiceLinks: false,
            terminationGracePeriodSeconds: this.terminationGracePeriodSeconds,
            securityContext: restrictedPodSecurity(RUN_AS_UID, RUN_AS_GID),
            // ScheduleAnyway: spread when the cluster has the nodes, still schedule on a one-node cluster.
            topologySpreadConstraints: [
              {
                maxSkew: 1,
                topologyKey: "kubernetes.io/hostname",
                whenUnsatisfiable: "ScheduleAnyway",
                labelSelector: { matchLabels: { ...this.selectorLabels } },
                matchLabelKeys: ["pod-template-hash"],
              },
            ],
            containers: [
              {
                name: "server",
                image: this.image,
                imagePullPolicy: "IfNotPresent",
                ports: [{ name: this.portName, containerPort: this.containerPort, protocol: "TCP" }],
                env: [
                  ...serverEnv(props.server),
                  ...(props.heapLimitMiB === undefined
                    ? []
                    : [{ name: "NODE_OPTIONS", value: `--max-old-space-size=${props.heapLimitMiB}` }]),
                ],
                resources: resourceRequirements({ requests: props.requests, limits: props.limits }),
                // Allow up to 60 s for the process to start answering; readiness then waits for the model.
                startupProbe: httpGetProbe(PATHS.health, this.portName, {
                  periodSeconds: 2,
                  timeoutSeconds: 1,
                  failureThreshold: 30,
                }),
                livenessProbe: httpGetProbe(PATHS.health, this.portName, {
                  periodSeconds: 10,
                  timeoutSeconds: 3,
                  failureThreshold: 3,
                }),
                readinessProbe: httpGetProbe(PATHS.ready, this.portName, {
                  periodSeconds: 5,
                  timeoutSeconds: 2,
                  failureThreshold: 2,
                }),
                securityContext: restrictedContainerSecurity(RUN_AS_UID, RUN_AS_GID),
                volumeMounts: [{ name: "tmp", mountPath: "/tmp" }],
              },
            ],
            // The root filesystem is read-only; Node and TF.js may write temporary files.
            volumes: [{ name: "tmp", emptyDir: { sizeLimit: Quantity.fromString("64Mi") } }],
          },
        },
      },
    });

    this.service = new KubeService(this, "service", {
      metadata,
      spec: {
        type: serviceType,
        selector: { ...this.selectorLabels },
        ports: [
          {
            name: this.portName,
            port: this.servicePort,
            targetPort: IntOrString.fromString(this.portName),
            protocol: "TCP",
          },
        ],
      },
    });
  }
}

function serverEnv(server: InferenceServerConfig): EnvVar[] {
  return Object.entries(serverEnvironment(server)).map(([name, value]) => ({ name, value }));
}

function validateProps(props: InferenceServiceProps, name: string): void {
  const fail = (prop: string, problem: string): never => {
    throw new Error(`InferenceService: props.${prop} ${problem}`);
  };
  if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(name) || name.length > 63) {
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
  const bound = props.server.drainSeconds + props.server.inflightTimeoutSeconds;
  if (!(props.terminationGracePeriodSeconds > bound)) {
    fail(
      "terminationGracePeriodSeconds",
      `must exceed server.drainSeconds + server.inflightTimeoutSeconds (${bound}), got ${props.terminationGracePeriodSeconds}`,
    );
  }
  if (props.heapLimitMiB !== undefined && !(Number.isInteger(props.heapLimitMiB) && props.heapLimitMiB > 0)) {
    fail("heapLimitMiB", `must be a positive integer, got ${props.heapLimitMiB}`);
  }
  if (props.replicas !== undefined && !(Number.isInteger(props.replicas) && props.replicas >= 1)) {
    fail("replicas", `must be a positive integer, got ${props.replicas}`);
  }
}
