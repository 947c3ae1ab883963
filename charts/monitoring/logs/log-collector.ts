import { createHash } from "node:crypto";
import { Construct } from "constructs";
import {
  IntOrString,
  KubeClusterRole,
  KubeConfigMap,
  KubeDaemonSet,
  KubeRoleBinding,
  KubeServiceAccount,
} from "cdk8s-plus-28/lib/imports/k8s.js";
import { DEFAULT_LOG_COLLECTOR_RESOURCES } from "./log-sizing.js";
import { logCollectorConfig, renderAlloy, type AlloyBlock } from "./alloy-config.js";
import { isPinnedTag, parseImageReference } from "../../constructs/image-reference.js";
import { recommendedLabels } from "../../constructs/recommended-labels.js";
import {
  configDataTmpMounts,
  readyEndpointProbes,
  resourceRequirements,
  restrictedContainerSecurity,
  restrictedPodSecurity,
  type ContainerResources,
} from "../../constructs/restricted-pod.js";

/** Pinned Grafana Alloy image. */
export const ALLOY_IMAGE = "grafana/alloy:v1.20.1";

export interface LogCollectorProps {
  /** Namespace of the ServiceAccount, ConfigMap and DaemonSet. */
  readonly namespace: string;
  /** Namespace whose pods' logs are read (the only one the RBAC grants). */
  readonly watchedNamespace: string;
  /** Label selector of the pods whose logs are collected. */
  readonly podSelector: Readonly<Record<string, string>>;
  /** Loki's push URL. */
  readonly pushUrl: string;
  /** Start of the ClusterRole's name (cluster-scoped, so per installation). @default "infer8s" */
  readonly clusterRoleNamePrefix?: string;
  /** Name of the ServiceAccount, ConfigMap and DaemonSet. @default "log-collector" */
  readonly name?: string;
  /** Container image. @default ALLOY_IMAGE */
  readonly image?: string;
  /** Requests and limits. @default DEFAULT_LOG_COLLECTOR_RESOURCES */
  readonly resources?: ContainerResources;
}

const UID = 473; // the `alloy` user of the image
const HTTP_PORT = 12345;
const CONFIG_DIR = "/etc/alloy";
const CONFIG_FILE = "config.alloy";
const DATA_DIR = "/var/lib/alloy/data";
const NODE_NAME_ENV = "NODE_NAME";

/**
 * Grafana Alloy as a DaemonSet that reads the inference pods' logs through the Kubernetes API
 * (`loki.source.kubernetes`), not from the node's disk: no hostPath, no root, so it runs under the
 * restricted Pod Security Standard in the monitoring namespace. Each Alloy discovers only the pods on its
 * own node (a `spec.nodeName` field selector), so the tailing load spreads with the pods.
 *
 * RBAC: get/list/watch pods and get pods/log, granted by a RoleBinding in the watched namespace only.
 */
export class LogCollector extends Construct {
  /** Namespace of the ServiceAccount, ConfigMap and DaemonSet. */
  public readonly namespace: string;
  /** Name of the ServiceAccount, ConfigMap and DaemonSet. */
  public readonly name: string;
  /** Container image. */
  public readonly image: string;
  /** The pipeline, as typed blocks. */
  public readonly config: readonly AlloyBlock[];
  /** The configuration file, as written. */
  public readonly configText: string;
  /** The ClusterRole's rules. */
  public readonly rules: readonly { apiGroups: string[]; resources: string[]; verbs: string[] }[];
  /** Labels on every object. */
  public readonly labels: Readonly<Record<string, string>>;
  /** The DaemonSet. */
  public readonly daemonSet: KubeDaemonSet;

  constructor(scope: Construct, id: string, props: LogCollectorProps) {
    super(scope, id);
    this.namespace = props.namespace;
    this.name = props.name ?? "log-collector";
    this.image = props.image ?? ALLOY_IMAGE;
    const tag = parseImageReference(this.image).tag;
    if (!isPinnedTag(tag)) {
      throw new Error(`LogCollector: props.image must pin a version tag, got "${this.image}"`);
    }
    const labels = recommendedLabels({ name: this.name, component: "log-collector", version: tag });
    this.labels = labels.all;
    this.config = logCollectorConfig({
      namespace: props.watchedNamespace,
      podSelector: props.podSelector,
      nodeNameEnv: NODE_NAME_ENV,
      pushUrl: props.pushUrl,
    });
    this.configText = renderAlloy(this.config);
    const metadata = { name: this.name, namespace: this.namespace, labels: { ...this.labels } };

    const serviceAccount = new KubeServiceAccount(this, "service-account", {
      metadata,
      // loki.source.kubernetes and discovery.kubernetes call the API server with this token.
      automountServiceAccountToken: true,
    });
    const configMap = new KubeConfigMap(this, "config", {
      metadata,
      data: { [CONFIG_FILE]: this.configText },
    });
    this.rules = [
      { apiGroups: [""], resources: ["pods"], verbs: ["get", "list", "watch"] },
      { apiGroups: [""], resources: ["pods/log"], verbs: ["get"] },
    ];
    const roleName = `${props.clusterRoleNamePrefix ?? "infer8s"}-${this.name}`;
    const role = new KubeClusterRole(this, "role", {
      metadata: { name: roleName, labels: { ...this.labels } },
      rules: this.rules.map((r) => ({ ...r })),
    });
    const binding = new KubeRoleBinding(this, "binding", {
      metadata: { name: roleName, namespace: props.watchedNamespace, labels: { ...this.labels } },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: roleName },
      subjects: [{ kind: "ServiceAccount", name: this.name, namespace: this.namespace }],
    });

    const checksum = createHash("sha256").update(this.configText).digest("hex");
    this.daemonSet = new KubeDaemonSet(this, "daemon-set", {
      metadata,
      spec: {
        selector: { matchLabels: { ...labels.selector } },
        updateStrategy: {
          type: "RollingUpdate",
          rollingUpdate: { maxUnavailable: IntOrString.fromNumber(1) },
        },
        template: {
          metadata: { labels: { ...this.labels }, annotations: { "checksum/config": checksum } },
          spec: {
            serviceAccountName: this.name,
            automountServiceAccountToken: true,
            enableServiceLinks: false,
            securityContext: restrictedPodSecurity(UID),
            containers: [
              {
                name: "alloy",
                image: this.image,
                imagePullPolicy: "IfNotPresent",
                args: [
                  "run",
                  `${CONFIG_DIR}/${CONFIG_FILE}`,
                  `--storage.path=${DATA_DIR}`,
                  `--server.http.listen-addr=0.0.0.0:${HTTP_PORT}`,
                ],
                env: [{ name: NODE_NAME_ENV, valueFrom: { fieldRef: { fieldPath: "spec.nodeName" } } }],
                ports: [{ name: "http", containerPort: HTTP_PORT, protocol: "TCP" }],
                ...readyEndpointProbes("/-/ready", "http", 24),
                resources: resourceRequirements(props.resources ?? DEFAULT_LOG_COLLECTOR_RESOURCES),
                securityContext: restrictedContainerSecurity(UID),
                volumeMounts: configDataTmpMounts(CONFIG_DIR, DATA_DIR),
              },
            ],
            volumes: [
              { name: "config", configMap: { name: this.name } },
              // Positions (where each tail stopped) survive a container restart, not a pod replacement.
              { name: "data", emptyDir: {} },
              { name: "tmp", emptyDir: {} },
            ],
          },
        },
      },
    });
    this.daemonSet.node.addDependency(serviceAccount, configMap, role, binding);
  }
}
