import { Construct } from "constructs";
import {
  IntOrString,
  KubeDeployment,
  KubeService,
  KubeServiceAccount,
  type Container,
  type DeploymentStrategy,
  type EnvFromSource,
  type EnvVar,
  type Probe,
  type Volume,
  type VolumeMount,
} from "cdk8s-plus-28/lib/imports/k8s.js";
import { isPinnedTag, parseImageReference } from "./image-reference.js";
import { isDnsLabel } from "./names.js";
import { recommendedLabels } from "./recommended-labels.js";
import {
  resourceRequirements,
  restrictedContainerSecurity,
  restrictedPodSecurity,
  type ContainerResources,
} from "./restricted-pod.js";

/** A named TCP port of a container. */
export interface WorkloadPort {
  /** Name of the port (an IANA service name, e.g. `http`), what probes and the Service refer to. */
  readonly name: string;
  /** Port number the container listens on. */
  readonly containerPort: number;
}

/** One container of the pod; the workload adds the restricted security context and the pull policy. */
export interface WorkloadContainer {
  /** Name of the container. */
  readonly name: string;
  /** Container image. @default the workload's `image` */
  readonly image?: string;
  /** Arguments to the image's entrypoint. @default none: the image's own command */
  readonly args?: readonly string[];
  /** Environment variables. @default none */
  readonly env?: readonly EnvVar[];
  /** Sources of environment variables (ConfigMaps, Secrets). @default none */
  readonly envFrom?: readonly EnvFromSource[];
  /** Ports the container listens on. @default none */
  readonly ports?: readonly WorkloadPort[];
  /** Probe that holds back liveness and readiness until the process has started. @default none */
  readonly startupProbe?: Probe;
  /** Probe whose failures restart the container. @default none */
  readonly livenessProbe?: Probe;
  /** Probe whose failures take the pod out of the Service's endpoints. @default none */
  readonly readinessProbe?: Probe;
  /** CPU and memory requests and limits. */
  readonly resources: ContainerResources;
  /** Volumes mounted into the container. @default none */
  readonly volumeMounts?: readonly VolumeMount[];
}

/** The Service in front of the pods: its ports, each forwarded to the container port of the same name. */
export interface WorkloadServiceProps {
  /** Name of the Service port and of the container port it targets. */
  readonly portName: string;
  /** Port the Service listens on. */
  readonly port: number;
  /** Type of the Service. @default "ClusterIP" */
  readonly type?: string;
  /** More ports, e.g. a separate metrics port, each targeting the container port of its name. @default none */
  readonly extraPorts?: readonly { readonly name: string; readonly port: number }[];
}

/**
 * What a component built on a `RestrictedWorkload` (Prometheus, Grafana, kube-state-metrics) lets its user
 * set in common; each component's props name its own defaults.
 */
export interface RestrictedComponentProps {
  /** Namespace of the component's objects. */
  readonly namespace: string;
  /** Name of the ServiceAccount, Deployment and Service. @default the component's name */
  readonly name?: string;
  /** Container image. @default the component's pinned image */
  readonly image?: string;
  /** Requests and limits. @default the component's */
  readonly resources?: ContainerResources;
}

export interface RestrictedWorkloadProps {
  /** Namespace of the ServiceAccount, Deployment and Service. */
  readonly namespace: string;
  /** Name of the ServiceAccount, Deployment and Service (a DNS-1123 label). */
  readonly name: string;
  /** Role of the component, the `app.kubernetes.io/component` label, e.g. `metrics-server`. */
  readonly component: string;
  /** Image reference with a pinned tag; the tag becomes the `app.kubernetes.io/version` label. */
  readonly image: string;
  /** User id the containers run as (non-root). */
  readonly uid: number;
  /** Group id the containers run as and that owns the volumes. @default the `uid` */
  readonly gid?: number;
  /** Mount a ServiceAccount token into the pods (only for workloads that call the API server). @default false */
  readonly automountServiceAccountToken?: boolean;
  /** The pod's containers. */
  readonly containers: readonly WorkloadContainer[];
  /** Volumes of the pod (the root filesystem is read-only, so writable paths need one). @default none */
  readonly volumes?: readonly Volume[];
  /** Fixed replica count. @default undefined: no `replicas` field (a HorizontalPodAutoscaler owns the count) */
  readonly replicas?: number;
  /** Old ReplicaSets kept for `kubectl rollout undo`. @default 3 */
  readonly revisionHistoryLimit?: number;
  /** How pods are replaced on a rollout. @default undefined: Kubernetes' RollingUpdate (25 % surge, 25 % unavailable) */
  readonly strategy?: DeploymentStrategy;
  /** Annotations of the pod template (e.g. a configuration checksum that rolls the pods). @default none */
  readonly podAnnotations?: Readonly<Record<string, string>>;
  /** Seconds between SIGTERM and SIGKILL. @default undefined: Kubernetes' 30 s */
  readonly terminationGracePeriodSeconds?: number;
  /** Spread the pods across nodes where the cluster has them (never blocks scheduling). @default false */
  readonly spreadAcrossNodes?: boolean;
  /** The Service in front of the pods. */
  readonly service: WorkloadServiceProps;
}

/**
 * A ServiceAccount, a Deployment whose pods meet the restricted Pod Security Standard (fixed non-root
 * uid/gid, RuntimeDefault seccomp, read-only root filesystem, no capabilities, no privilege escalation)
 * and a Service on a named port, all carrying the recommended labels.
 *
 * At synth time it checks that the Deployment and the Service select its pods and that the Service targets
 * a port the containers declare.
 *
 * @example
 *   const workload = new RestrictedWorkload(this, "workload", {
 *     namespace: "monitoring", name: "grafana", component: "dashboards", image: "grafana/grafana:12.1.1",
 *     uid: 472, containers: [{ name: "grafana", ports: [{ name: "http", containerPort: 3000 }], resources }],
 *     service: { portName: "http", port: 3000 },
 *   });
 */
export class RestrictedWorkload extends Construct {
  /** Namespace of the ServiceAccount, Deployment and Service. */
  public readonly namespace: string;
  /** Name of the ServiceAccount, Deployment and Service. */
  public readonly name: string;
  /** Image reference of the workload. */
  public readonly image: string;
  /** Image tag, the `app.kubernetes.io/version` label. */
  public readonly version: string;
  /** User id of the containers. */
  public readonly uid: number;
  /** Group id of the containers and the volumes. */
  public readonly gid: number;
  /** Whether the pods get a ServiceAccount token. */
  public readonly automountServiceAccountToken: boolean;
  /** Fixed replica count, or undefined when the Deployment has no `replicas` field. */
  public readonly replicas: number | undefined;
  /** Labels selecting the pods (stable across versions). */
  public readonly selectorLabels: Readonly<Record<string, string>>;
  /** Labels on every object and pod. */
  public readonly labels: Readonly<Record<string, string>>;
  /** Name of the Service port and the container port it targets. */
  public readonly portName: string;
  /** Port the Service listens on. */
  public readonly servicePort: number;
  /** Type of the Service. */
  public readonly serviceType: string;
  /** The ServiceAccount. */
  public readonly serviceAccount: KubeServiceAccount;
  /** The Deployment. */
  public readonly deployment: KubeDeployment;
  /** The Service. */
  public readonly service: KubeService;

  constructor(scope: Construct, id: string, props: RestrictedWorkloadProps) {
    super(scope, id);
    this.namespace = props.namespace;
    this.name = props.name;
    this.image = props.image;
    this.uid = props.uid;
    this.gid = props.gid ?? props.uid;
    this.automountServiceAccountToken = props.automountServiceAccountToken ?? false;
    this.replicas = props.replicas;
    this.portName = props.service.portName;
    this.servicePort = props.service.port;
    this.serviceType = props.service.type ?? "ClusterIP";
    const tag = parseImageReference(this.image).tag;
    if (!isDnsLabel(this.name)) {
      throw new Error(`RestrictedWorkload: props.name must be a DNS-1123 label, got "${this.name}"`);
    }
    if (!isPinnedTag(tag)) {
      throw new Error(`RestrictedWorkload: props.image must pin a version tag, got "${this.image}"`);
    }
    if (props.containers.length === 0) {
      throw new Error("RestrictedWorkload: props.containers must not be empty");
    }
    this.version = tag;

    const labels = recommendedLabels({ name: this.name, component: props.component, version: this.version });
    this.selectorLabels = labels.selector;
    this.labels = labels.all;
    const metadata = { name: this.name, namespace: this.namespace, labels: { ...this.labels } };

    this.serviceAccount = new KubeServiceAccount(this, "service-account", {
      metadata,
      automountServiceAccountToken: this.automountServiceAccountToken,
    });

    this.deployment = new KubeDeployment(this, "deployment", {
      metadata,
      spec: {
        ...(this.replicas === undefined ? {} : { replicas: this.replicas }),
        revisionHistoryLimit: props.revisionHistoryLimit ?? 3,
        ...(props.strategy ? { strategy: props.strategy } : {}),
        selector: { matchLabels: { ...this.selectorLabels } },
        template: this.podTemplate(props),
      },
    });

    this.service = new KubeService(this, "service", {
      metadata,
      spec: {
        type: this.serviceType,
        selector: { ...this.selectorLabels },
        ports: [
          {
            name: this.portName,
            port: this.servicePort,
            targetPort: IntOrString.fromString(this.portName),
            protocol: "TCP",
          },
          ...(props.service.extraPorts ?? []).map((p) => ({
            name: p.name,
            port: p.port,
            targetPort: IntOrString.fromString(p.name),
            protocol: "TCP",
          })),
        ],
      },
    });

    this.node.addValidation({ validate: () => this.selectionProblems() });
  }

  /**
   * Orders objects the pods use (ConfigMaps, volume claims, RBAC) before the Deployment in the synthesized
   * YAML, so `kubectl apply` creates them before the pods that need them.
   */
  public addDependency(...dependencies: Construct[]): void {
    for (const dependency of dependencies) this.deployment.node.addDependency(dependency);
  }

  /** The restricted pod: its own ServiceAccount, no service links, the workload's uid and gid. */
  private podTemplate(props: RestrictedWorkloadProps) {
    return {
      metadata: {
        labels: { ...this.labels },
        ...(props.podAnnotations ? { annotations: { ...props.podAnnotations } } : {}),
      },
      spec: {
        serviceAccountName: this.name,
        automountServiceAccountToken: this.automountServiceAccountToken,
        enableServiceLinks: false,
        securityContext: restrictedPodSecurity(this.uid, this.gid),
        ...(props.terminationGracePeriodSeconds === undefined
          ? {}
          : { terminationGracePeriodSeconds: props.terminationGracePeriodSeconds }),
        ...(props.spreadAcrossNodes ? { topologySpreadConstraints: [this.spreadAcrossNodes()] } : {}),
        containers: props.containers.map((c) => this.container(c)),
        ...(props.volumes ? { volumes: [...props.volumes] } : {}),
      },
    };
  }

  /** ScheduleAnyway: spread when the cluster has the nodes, still schedule on a one-node cluster. */
  private spreadAcrossNodes() {
    return {
      maxSkew: 1,
      topologyKey: "kubernetes.io/hostname",
      whenUnsatisfiable: "ScheduleAnyway",
      labelSelector: { matchLabels: { ...this.selectorLabels } },
      matchLabelKeys: ["pod-template-hash"],
    };
  }

  private container(c: WorkloadContainer): Container {
    return {
      name: c.name,
      image: c.image ?? this.image,
      imagePullPolicy: "IfNotPresent",
      ...(c.args ? { args: [...c.args] } : {}),
      ...(c.env ? { env: [...c.env] } : {}),
      ...(c.envFrom ? { envFrom: [...c.envFrom] } : {}),
      ...(c.ports
        ? { ports: c.ports.map((p) => ({ name: p.name, containerPort: p.containerPort, protocol: "TCP" })) }
        : {}),
      ...(c.startupProbe ? { startupProbe: c.startupProbe } : {}),
      ...(c.livenessProbe ? { livenessProbe: c.livenessProbe } : {}),
      ...(c.readinessProbe ? { readinessProbe: c.readinessProbe } : {}),
      resources: resourceRequirements(c.resources),
      securityContext: restrictedContainerSecurity(this.uid, this.gid),
      ...(c.volumeMounts ? { volumeMounts: [...c.volumeMounts] } : {}),
    };
  }

  /** The Deployment and the Service select the pods, and the Service targets a declared container port. */
  private selectionProblems(): string[] {
    const deployment = this.deployment.toJson() as DeploymentJson;
    const service = this.service.toJson() as ServiceJson;
    const podLabels = deployment.spec.template.metadata?.labels ?? {};
    const problems: string[] = [];
    const matchLabels = deployment.spec.selector.matchLabels ?? {};
    if (!selects(matchLabels, podLabels)) {
      problems.push(
        `Deployment ${this.name}: spec.selector ${formatLabels(matchLabels)} does not select its own pods (labels ${formatLabels(podLabels)})`,
      );
    }
    const selector = service.spec.selector ?? {};
    if (Object.keys(selector).length === 0 || !selects(selector, podLabels)) {
      problems.push(
        `Service ${this.name}: spec.selector ${formatLabels(selector)} does not select the pods of Deployment ${this.name} (labels ${formatLabels(podLabels)})`,
      );
    }
    const declared = deployment.spec.template.spec.containers.flatMap((c) =>
      (c.ports ?? []).flatMap((p) => [p.name, p.containerPort]),
    );
    for (const port of service.spec.ports) {
      if (!declared.includes(port.targetPort)) {
        problems.push(
          `Service ${this.name}: port ${port.name} targets ${JSON.stringify(port.targetPort)}, which no container of Deployment ${this.name} declares`,
        );
      }
    }
    return problems;
  }
}

/** The parts of a synthesized Deployment the validations read. */
export interface DeploymentJson {
  readonly spec: {
    readonly replicas?: number;
    readonly selector: { readonly matchLabels?: Record<string, string> };
    readonly template: {
      readonly metadata?: { readonly labels?: Record<string, string> };
      readonly spec: {
        readonly terminationGracePeriodSeconds?: number;
        readonly containers: readonly {
          readonly ports?: readonly { readonly name?: string; readonly containerPort: number }[];
        }[];
      };
    };
  };
}

/** The parts of a synthesized Service the validations read. */
export interface ServiceJson {
  readonly spec: {
    readonly selector?: Record<string, string>;
    readonly ports: readonly { readonly name?: string; readonly targetPort?: string | number }[];
  };
}

function selects(selector: Record<string, string>, labels: Record<string, string>): boolean {
  return Object.entries(selector).every(([key, value]) => labels[key] === value);
}

function formatLabels(labels: Record<string, string>): string {
  return `{${Object.entries(labels)
    .map(([key, value]) => `${key}=${value}`)
    .join(", ")}}`;
}
