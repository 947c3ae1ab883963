import { Construct } from "constructs";
import {
  IntOrString,
  KubeClusterRole,
  KubeDeployment,
  KubeRoleBinding,
  KubeService,
  KubeServiceAccount,
} from "cdk8s-plus-28/lib/imports/k8s.js";
import { recommendedLabels } from "../constructs/recommended-labels.js";
import { KUBE_STATE_METRICS_RESOURCES } from "./kube-state-metrics-series.js";
import {
  httpGetProbe,
  resourceRequirements,
  restrictedContainerSecurity,
  restrictedPodSecurity,
  type ContainerResources,
} from "../constructs/restricted-pod.js";

/** Pinned kube-state-metrics image. */
export const KUBE_STATE_METRICS_IMAGE = "registry.k8s.io/kube-state-metrics/kube-state-metrics:v2.16.0";

export interface KubeStateMetricsProps {
  /** Namespace of the ServiceAccount, Deployment and Service. */
  readonly namespace: string;
  /** Namespaces whose objects are reported; the RBAC grant is bound in these only. */
  readonly watchedNamespaces: readonly string[];
  /** Name of the ServiceAccount, Deployment and Service. @default "kube-state-metrics" */
  readonly name?: string;
  /** Container image. @default KUBE_STATE_METRICS_IMAGE */
  readonly image?: string;
  /** Requests and limits. @default requests 10m/64Mi, limits 200m/256Mi */
  readonly resources?: ContainerResources;
}

const UID = 65534;

/**
 * kube-state-metrics limited to what the dashboards and alerts read: Deployments, HorizontalPodAutoscalers
 * and Pods of the watched namespaces. Its ClusterRole allows only list and watch of those three, and is
 * bound by a RoleBinding in each watched namespace, never cluster-wide.
 */
export class KubeStateMetrics extends Construct {
  /** Namespace of the Deployment and Service. */
  public readonly namespace: string;
  /** Name of the ServiceAccount, Deployment and Service. */
  public readonly name: string;
  /** Name of the ClusterRole (cluster-scoped, so prefixed to avoid clashing with other installations). */
  public readonly clusterRoleName: string;
  /** Namespaces reported on. */
  public readonly watchedNamespaces: readonly string[];
  /** Container image. */
  public readonly image: string;
  /** Port serving the metrics about Kubernetes objects. */
  public readonly metricsPort = 8080;
  /** Port serving kube-state-metrics' own metrics and readiness. */
  public readonly telemetryPort = 8081;
  /** `host:port` at which Prometheus scrapes it. */
  public readonly address: string;
  /** Labels on every object. */
  public readonly labels: Readonly<Record<string, string>>;

  constructor(scope: Construct, id: string, props: KubeStateMetricsProps) {
    super(scope, id);
    if (props.watchedNamespaces.length === 0) {
      throw new Error("KubeStateMetrics: props.watchedNamespaces must name at least one namespace");
    }
    this.namespace = props.namespace;
    this.name = props.name ?? "kube-state-metrics";
    this.clusterRoleName = `infer8s-${this.name}`;
    this.watchedNamespaces = [...props.watchedNamespaces];
    this.image = props.image ?? KUBE_STATE_METRICS_IMAGE;
    this.address = `${this.name}.${this.namespace}.svc:${this.metricsPort}`;
    const resources = props.resources ?? {
      requests: { cpu: "10m", memory: "64Mi" },
      limits: { cpu: "200m", memory: "256Mi" },
    };
    const labels = recommendedLabels({
      name: this.name,
      component: "exporter",
      version: this.image.slice(this.image.lastIndexOf(":") + 1),
    });
    this.labels = labels.all;
    const metadata = { name: this.name, namespace: this.namespace, labels: { ...this.labels } };

    new KubeServiceAccount(this, "service-account", { metadata, automountServiceAccountToken: true });

    new KubeClusterRole(this, "cluster-role", {
      metadata: { name: this.clusterRoleName, labels: { ...this.labels } },
      rules: groupByApiGroup(KUBE_STATE_METRICS_RESOURCES).map(([apiGroup, resourceNames]) => ({
        apiGroups: [apiGroup],
        resources: resourceNames,
        verbs: ["list", "watch"],
      })),
    });
    for (const watched of this.watchedNamespaces) {
      new KubeRoleBinding(this, `role-binding-${watched}`, {
        metadata: { name: this.clusterRoleName, namespace: watched, labels: { ...this.labels } },
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: this.clusterRoleName },
        subjects: [{ kind: "ServiceAccount", name: this.name, namespace: this.namespace }],
      });
    }

    new KubeDeployment(this, "deployment", {
      metadata,
      spec: {
        replicas: 1,
        revisionHistoryLimit: 3,
        selector: { matchLabels: { ...labels.selector } },
        template: {
          metadata: { labels: { ...this.labels } },
          spec: {
            serviceAccountName: this.name,
            automountServiceAccountToken: true,
            enableServiceLinks: false,
            securityContext: restrictedPodSecurity(UID),
            containers: [
              {
                name: "kube-state-metrics",
                image: this.image,
                imagePullPolicy: "IfNotPresent",
                args: [
                  `--resources=${KUBE_STATE_METRICS_RESOURCES.map((r) => r.collector).join(",")}`,
                  `--namespaces=${this.watchedNamespaces.join(",")}`,
                  `--port=${this.metricsPort}`,
                  `--telemetry-port=${this.telemetryPort}`,
                ],
                ports: [
                  { name: "http-metrics", containerPort: this.metricsPort, protocol: "TCP" },
                  { name: "telemetry", containerPort: this.telemetryPort, protocol: "TCP" },
                ],
                livenessProbe: httpGetProbe("/livez", "http-metrics", {
                  periodSeconds: 10,
                  failureThreshold: 3,
                }),
                readinessProbe: httpGetProbe("/readyz", "telemetry", {
                  periodSeconds: 5,
                  failureThreshold: 2,
                }),
                resources: resourceRequirements(resources),
                securityContext: restrictedContainerSecurity(UID),
              },
            ],
          },
        },
      },
    });

    new KubeService(this, "service", {
      metadata,
      spec: {
        type: "ClusterIP",
        selector: { ...labels.selector },
        ports: [
          {
            name: "http-metrics",
            port: this.metricsPort,
            targetPort: IntOrString.fromString("http-metrics"),
            protocol: "TCP",
          },
        ],
      },
    });
  }
}

/** `[apiGroup, resources[]]` pairs in first-seen order, one RBAC rule per API group. */
function groupByApiGroup(resources: typeof KUBE_STATE_METRICS_RESOURCES): [string, string[]][] {
  const groups = new Map<string, string[]>();
  for (const r of resources) groups.set(r.apiGroup, [...(groups.get(r.apiGroup) ?? []), r.resource]);
  return [...groups.entries()];
}
