import { createHash } from "node:crypto";
import type { Construct } from "constructs";
import {
  KubeClusterRole,
  KubeClusterRoleBinding,
  KubeConfigMap,
  KubeRoleBinding,
} from "cdk8s-plus-28/lib/imports/k8s.js";
import { renderRuleFile, type RuleGroup } from "./mixin/rules/rule-file.js";
import { DEFAULT_MONITORING_CONFIG } from "./mixin/config.js";
import type { MonitoredService } from "./monitored-service.js";
import {
  buildPrometheusConfig,
  renderPrometheusConfig,
  type PrometheusConfig,
  type PrometheusDuration,
} from "./prometheus-config.js";
import {
  checkStorageSize,
  dataVolume,
  dataVolumeClaim,
  RestrictedComponent,
  type DataStorage,
} from "../constructs/restricted-component.js";
import { httpGetProbe, type ContainerResources } from "../constructs/restricted-pod.js";
import type {
  RestrictedComponentProps,
  RestrictedWorkload,
  WorkloadContainer,
} from "../constructs/restricted-workload.js";

/**
 * Name of the standalone Prometheus' ServiceAccount, ConfigMap, Deployment and Service, by default; in the
 * mesh its identity `<trust domain>/ns/<monitoring namespace>/sa/prometheus` is what may scrape the server.
 */
export const PROMETHEUS_NAME = "prometheus";

/** Port of the standalone Prometheus' web UI and API. */
export const PROMETHEUS_PORT = 9090;

/**
 * In-cluster URL of the standalone Prometheus' API, known before the monitoring chart is built (KEDA's
 * trigger in the inference chart points at it).
 *
 * @example prometheusServerUrl("monitoring") // => "http://prometheus.monitoring.svc:9090"
 */
export function prometheusServerUrl(namespace: string, name: string = PROMETHEUS_NAME): string {
  return `http://${name}.${namespace}.svc:${PROMETHEUS_PORT}`;
}

/** Pinned Prometheus image (the 3.5 long-term-support line). */
export const PROMETHEUS_IMAGE = "prom/prometheus:v3.5.0";

/** File names inside the configuration ConfigMap (and the directory it is mounted at). */
export const PROMETHEUS_FILES = { config: "prometheus.yml", rules: "alert-rules.yml" } as const;

/** Pod-template annotation whose value changes whenever the configuration or the rules change. */
export const CONFIG_CHECKSUM_ANNOTATION = "checksum/config";

/** Persistent storage for the TSDB. */
export type PrometheusStorage = DataStorage;

/**
 * Prometheus' props. Defaults: `name` "prometheus" (also the ConfigMap's), `image` PROMETHEUS_IMAGE,
 * `resources` requests 100m/512Mi, limits 1/1Gi.
 */
export interface PrometheusServerProps extends RestrictedComponentProps {
  /** The inference service to discover and scrape. */
  readonly inference: MonitoredService;
  /** `host:port` of the kube-state-metrics Service. */
  readonly kubeStateMetricsAddress: string;
  /** Rule groups written to the rules file. */
  readonly ruleGroups: readonly RuleGroup[];
  /**
   * Start of the ClusterRole names (`<prefix>-<name>-discovery`, `<prefix>-<name>-nodes`): cluster-scoped, so
   * each installation sharing a cluster needs its own. @default "infer8s"
   */
  readonly clusterRoleNamePrefix?: string;
  /** How long samples are kept (`--storage.tsdb.retention.time`). @default "15d" */
  readonly retention?: PrometheusDuration;
  /** Persistent storage. @default undefined: an emptyDir, so data lives as long as the pod */
  readonly storage?: PrometheusStorage;
  /** Default scrape interval. @default DEFAULT_MONITORING_CONFIG.scrapeInterval ("15s") */
  readonly scrapeInterval?: PrometheusDuration;
  /** Rule evaluation interval. @default DEFAULT_MONITORING_CONFIG.evaluationInterval ("15s") */
  readonly evaluationInterval?: PrometheusDuration;
}

const UID = 65534;
const CONFIG_DIR = "/etc/prometheus";
const DATA_DIR = "/prometheus";
const DURATION = /^[0-9]+(ms|s|m|h|d|w|y)$/;

/**
 * A single Prometheus that discovers the inference pods, scrapes them, itself, kube-state-metrics and the
 * kubelets' cAdvisor, and evaluates the inference alert rules.
 *
 * RBAC is split by scope: discovery of pods, services and endpoint slices is granted by a RoleBinding in
 * the inference namespace only; nodes (for cAdvisor through the API server proxy) by a ClusterRoleBinding.
 * The pod template carries a checksum of the configuration, so any change to it rolls the pod.
 */
export class PrometheusServer extends RestrictedComponent {
  /** TSDB retention. */
  public readonly retention: PrometheusDuration;
  /** Persistent storage, or undefined for an emptyDir. */
  public readonly storage: PrometheusStorage | undefined;
  /** The configuration file, as typed data. */
  public readonly config: PrometheusConfig;
  /** The configuration file, as written. */
  public readonly configText: string;
  /** The rules file, as written. */
  public readonly rulesText: string;
  /** sha256 of the configuration and rules, the value of `CONFIG_CHECKSUM_ANNOTATION`. */
  public readonly configChecksum: string;
  /** The ServiceAccount, Deployment and Service (the web UI and API on `portName`; `url` is Grafana's datasource). */
  public readonly workload: RestrictedWorkload;

  constructor(scope: Construct, id: string, props: PrometheusServerProps) {
    super(scope, id, props, {
      name: PROMETHEUS_NAME,
      image: PROMETHEUS_IMAGE,
      portName: "web",
      port: PROMETHEUS_PORT,
    });
    this.retention = props.retention ?? "15d";
    this.storage = props.storage;
    validate(this.retention, this.storage);
    const resources = props.resources ?? {
      requests: { cpu: "100m", memory: "512Mi" },
      limits: { cpu: "1", memory: "1Gi" },
    };

    this.config = buildPrometheusConfig({
      inference: props.inference,
      kubeStateMetricsAddress: props.kubeStateMetricsAddress,
      selfAddress: `localhost:${this.port}`,
      cadvisorNamespaces: [props.inference.namespace, this.namespace],
      scrapeInterval: props.scrapeInterval ?? DEFAULT_MONITORING_CONFIG.scrapeInterval,
      evaluationInterval: props.evaluationInterval ?? DEFAULT_MONITORING_CONFIG.evaluationInterval,
      ruleFiles: [PROMETHEUS_FILES.rules],
    });
    this.configText = renderPrometheusConfig(this.config);
    this.rulesText = renderRuleFile(props.ruleGroups);
    this.configChecksum = createHash("sha256")
      .update(this.configText)
      .update("\0")
      .update(this.rulesText)
      .digest("hex");

    this.workload = this.restrictedWorkload({
      component: "metrics-server",
      uid: UID,
      // Kubernetes service discovery and the cAdvisor scrape authenticate with this token.
      automountServiceAccountToken: true,
      replicas: 1,
      // One TSDB, one writer: the old pod must release the data directory (and a ReadWriteOnce volume)
      // before the new one starts.
      strategy: { type: "Recreate" },
      podAnnotations: { [CONFIG_CHECKSUM_ANNOTATION]: this.configChecksum },
      terminationGracePeriodSeconds: 60,
      containers: [this.container(resources)],
      volumes: [{ name: "config", configMap: { name: this.name } }, dataVolume(this.name, this.storage)],
    });
    this.addServiceDiscoveryAccess(props.inference.namespace, props.clusterRoleNamePrefix ?? "infer8s");
    this.addFiles();
  }

  /** Prometheus with its config read-only and its TSDB in the data volume, on `this.port`. */
  private container(resources: ContainerResources): WorkloadContainer {
    return {
      name: "prometheus",
      args: [
        `--config.file=${CONFIG_DIR}/${PROMETHEUS_FILES.config}`,
        `--storage.tsdb.path=${DATA_DIR}`,
        `--storage.tsdb.retention.time=${this.retention}`,
        `--web.listen-address=:${this.port}`,
      ],
      ports: [{ name: this.portName, containerPort: this.port }],
      // Replaying the write-ahead log after a restart can take a while: allow 5 minutes.
      startupProbe: httpGetProbe("/-/ready", this.portName, { periodSeconds: 5, failureThreshold: 60 }),
      readinessProbe: httpGetProbe("/-/ready", this.portName, { periodSeconds: 5, failureThreshold: 3 }),
      livenessProbe: httpGetProbe("/-/healthy", this.portName, {
        periodSeconds: 15,
        failureThreshold: 4,
        timeoutSeconds: 10,
      }),
      resources,
      volumeMounts: [
        { name: "config", mountPath: CONFIG_DIR, readOnly: true },
        { name: "data", mountPath: DATA_DIR },
      ],
    };
  }

  /**
   * Read access for the ServiceAccount: pods, services and endpoint slices in the inference namespace
   * (service discovery), nodes and their cAdvisor metrics cluster-wide.
   */
  private addServiceDiscoveryAccess(inferenceNamespace: string, clusterRoleNamePrefix: string): void {
    const clusterLabels = { labels: { ...this.labels } };
    const subjects = [{ kind: "ServiceAccount", name: this.name, namespace: this.namespace }];

    const clusterRolePrefix = `${clusterRoleNamePrefix}-${this.name}`;
    const discoveryRole = `${clusterRolePrefix}-discovery`;
    this.workload.addDependency(
      new KubeClusterRole(this, "discovery-role", {
        metadata: { name: discoveryRole, ...clusterLabels },
        rules: [
          { apiGroups: [""], resources: ["pods", "services"], verbs: ["get", "list", "watch"] },
          { apiGroups: ["discovery.k8s.io"], resources: ["endpointslices"], verbs: ["get", "list", "watch"] },
        ],
      }),
      new KubeRoleBinding(this, "discovery-binding", {
        metadata: { name: discoveryRole, namespace: inferenceNamespace, ...clusterLabels },
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: discoveryRole },
        subjects,
      }),
    );
    const nodesRole = `${clusterRolePrefix}-nodes`;
    this.workload.addDependency(
      new KubeClusterRole(this, "nodes-role", {
        metadata: { name: nodesRole, ...clusterLabels },
        rules: [
          { apiGroups: [""], resources: ["nodes"], verbs: ["get", "list", "watch"] },
          // cAdvisor through the API server: GET /api/v1/nodes/<node>/proxy/metrics/cadvisor.
          { apiGroups: [""], resources: ["nodes/proxy"], verbs: ["get"] },
        ],
      }),
      new KubeClusterRoleBinding(this, "nodes-binding", {
        metadata: { name: nodesRole, ...clusterLabels },
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: nodesRole },
        subjects,
      }),
    );
  }

  /** The ConfigMap with the configuration and rules, and the data volume's claim when storage is set. */
  private addFiles(): void {
    const metadata = this.objectMeta();
    this.workload.addDependency(
      new KubeConfigMap(this, "config", {
        metadata,
        data: { [PROMETHEUS_FILES.config]: this.configText, [PROMETHEUS_FILES.rules]: this.rulesText },
      }),
    );
    if (this.storage) this.workload.addDependency(dataVolumeClaim(this, metadata, this.storage));
  }
}

function validate(retention: string, storage: PrometheusStorage | undefined): void {
  if (!DURATION.test(retention)) {
    throw new Error(`PrometheusServer: props.retention must be a duration such as "15d", got "${retention}"`);
  }
  checkStorageSize("PrometheusServer", storage, "20Gi");
}
