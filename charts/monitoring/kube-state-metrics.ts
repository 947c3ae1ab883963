import { Construct } from "constructs";
import { KubeClusterRole, KubeRoleBinding } from "cdk8s-plus-28/lib/imports/k8s.js";
import { KUBE_STATE_METRICS_RESOURCES } from "./kube-state-metrics-series.js";
import { httpGetProbe, type ContainerResources } from "../constructs/restricted-pod.js";
import { RestrictedWorkload } from "../constructs/restricted-workload.js";

/** Pinned kube-state-metrics image. */
export const KUBE_STATE_METRICS_IMAGE = "registry.k8s.io/kube-state-metrics/kube-state-metrics:v2.16.0";

export interface KubeStateMetricsProps {
  /** Namespace of the ServiceAccount, Deployment and Service. */
  readonly namespace: string;
  /** Namespaces whose objects are reported; the RBAC grant is bound in these only. */
  readonly watchedNamespaces: readonly string[];
  /** Name of the ServiceAccount, Deployment and Service. @default "kube-state-metrics" */
  readonly name?: string;
  /**
   * Start of the ClusterRole name (`<prefix>-<name>`): cluster-scoped, so each installation sharing a
   * cluster needs its own. @default "infer8s"
   */
  readonly clusterRoleNamePrefix?: string;
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
  /** The ServiceAccount, Deployment and Service. */
  public readonly workload: RestrictedWorkload;

  constructor(scope: Construct, id: string, props: KubeStateMetricsProps) {
    super(scope, id);
    if (props.watchedNamespaces.length === 0) {
      throw new Error("KubeStateMetrics: props.watchedNamespaces must name at least one namespace");
    }
    this.namespace = props.namespace;
    this.name = props.name ?? "kube-state-metrics";
    this.clusterRoleName = `${props.clusterRoleNamePrefix ?? "infer8s"}-${this.name}`;
    this.watchedNamespaces = [...props.watchedNamespaces];
    this.image = props.image ?? KUBE_STATE_METRICS_IMAGE;
    this.address = `${this.name}.${this.namespace}.svc:${this.metricsPort}`;
    const resources = props.resources ?? {
      requests: { cpu: "10m", memory: "64Mi" },
      limits: { cpu: "200m", memory: "256Mi" },
    };
    this.workload = new RestrictedWorkload(this, "workload", {
      namespace: this.namespace,
      name: this.name,
      component: "exporter",
      image: this.image,
      uid: UID,
      automountServiceAccountToken: true,
      replicas: 1,
      containers: [
        {
          name: "kube-state-metrics",
          args: [
            `--resources=${KUBE_STATE_METRICS_RESOURCES.map((r) => r.collector).join(",")}`,
            `--namespaces=${this.watchedNamespaces.join(",")}`,
            `--port=${this.metricsPort}`,
            `--telemetry-port=${this.telemetryPort}`,
          ],
          ports: [
            { name: "http-metrics", containerPort: this.metricsPort },
            { name: "telemetry", containerPort: this.telemetryPort },
          ],
          livenessProbe: httpGetProbe("/livez", "http-metrics", { periodSeconds: 10, failureThreshold: 3 }),
          readinessProbe: httpGetProbe("/readyz", "telemetry", { periodSeconds: 5, failureThreshold: 2 }),
          resources,
        },
      ],
      service: { portName: "http-metrics", port: this.metricsPort },
    });
    this.labels = this.workload.labels;

    this.workload.addDependency(
      new KubeClusterRole(this, "cluster-role", {
        metadata: { name: this.clusterRoleName, labels: { ...this.labels } },
        rules: groupByApiGroup(KUBE_STATE_METRICS_RESOURCES).map(([apiGroup, resourceNames]) => ({
          apiGroups: [apiGroup],
          resources: resourceNames,
          verbs: ["list", "watch"],
        })),
      }),
    );
    for (const watched of this.watchedNamespaces) {
      this.workload.addDependency(
        new KubeRoleBinding(this, `role-binding-${watched}`, {
          metadata: { name: this.clusterRoleName, namespace: watched, labels: { ...this.labels } },
          roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: this.clusterRoleName },
          subjects: [{ kind: "ServiceAccount", name: this.name, namespace: this.namespace }],
        }),
      );
    }
  }
}

/** `[apiGroup, resources[]]` pairs in first-seen order, one RBAC rule per API group. */
function groupByApiGroup(resources: typeof KUBE_STATE_METRICS_RESOURCES): [string, string[]][] {
  const groups = new Map<string, string[]>();
  for (const r of resources) groups.set(r.apiGroup, [...(groups.get(r.apiGroup) ?? []), r.resource]);
  return [...groups.entries()];
}
