import { createHash } from "node:crypto";
import type { Construct } from "constructs";
import { KubeConfigMap } from "cdk8s-plus-28/lib/imports/k8s.js";
import { DEFAULT_LOKI_RESOURCES } from "./log-sizing.js";
import { buildLokiConfig, renderLokiConfig, type LokiConfig } from "./loki-config.js";
import {
  checkStorageSize,
  dataVolume,
  dataVolumeClaim,
  RestrictedComponent,
  type DataStorage,
} from "../../constructs/restricted-component.js";
import { configDataTmpMounts, readyEndpointProbes } from "../../constructs/restricted-pod.js";
import type { RestrictedComponentProps, RestrictedWorkload } from "../../constructs/restricted-workload.js";

/** Pinned Loki image (single binary). */
export const LOKI_IMAGE = "grafana/loki:3.7.6";

/** Persistent storage for Loki's chunks and index. */
export type LokiStorage = DataStorage;

/**
 * Loki's props. Defaults: `name` "loki" (also the ConfigMap's and the claim's), `image` LOKI_IMAGE,
 * `resources` DEFAULT_LOKI_RESOURCES.
 */
export interface LokiProps extends RestrictedComponentProps {
  /** How long log lines are kept (`limits_config.retention_period`, at least 24h), e.g. "7d". */
  readonly retention: string;
  /** Persistent storage. @default undefined: an emptyDir, so logs live as long as the pod */
  readonly storage?: LokiStorage;
}

const UID = 10001; // the user the Loki image runs as
const HTTP_PORT = 3100;
const GRPC_PORT = 9095;
const CONFIG_DIR = "/etc/loki";
const CONFIG_FILE = "loki.yaml";
const DATA_DIR = "/loki";
const RETENTION = /^[1-9][0-9]*(h|d|w)$/;

/**
 * A single-binary Loki (every component in one process) with filesystem storage, the TSDB index and
 * retention applied by its compactor; runs as non-root under the restricted Pod Security Standard.
 */
export class Loki extends RestrictedComponent {
  /** Where the collector pushes. */
  public readonly pushUrl: string;
  /** Retention period. */
  public readonly retention: string;
  /** Persistent storage, or undefined for an emptyDir. */
  public readonly storage: LokiStorage | undefined;
  /** The configuration, as typed data. */
  public readonly config: LokiConfig;
  /** The configuration file, as written. */
  public readonly configText: string;
  /** The ServiceAccount, Deployment and Service (the HTTP API on `portName`; `url` is Grafana's datasource). */
  public readonly workload: RestrictedWorkload;

  constructor(scope: Construct, id: string, props: LokiProps) {
    super(scope, id, props, { name: "loki", image: LOKI_IMAGE, portName: "http", port: HTTP_PORT });
    this.retention = props.retention;
    this.storage = props.storage;
    if (!RETENTION.test(this.retention) || retentionHours(this.retention) < 24) {
      throw new Error(
        `Loki: props.retention must be a duration of at least 24h such as "7d", got "${this.retention}"`,
      );
    }
    checkStorageSize("Loki", this.storage, "10Gi");
    this.pushUrl = `${this.url}/loki/api/v1/push`;
    this.config = buildLokiConfig({
      httpPort: HTTP_PORT,
      grpcPort: GRPC_PORT,
      dataDir: DATA_DIR,
      retention: this.retention,
    });
    this.configText = renderLokiConfig(this.config);
    const checksum = createHash("sha256").update(this.configText).digest("hex");

    this.workload = this.restrictedWorkload({
      component: "log-store",
      uid: UID,
      replicas: 1,
      // One writer of the data directory (and of a ReadWriteOnce volume): the old pod goes first.
      strategy: { type: "Recreate" },
      podAnnotations: { "checksum/config": checksum },
      // The ingester flushes its in-memory chunks on SIGTERM.
      terminationGracePeriodSeconds: 60,
      containers: [
        {
          name: "loki",
          args: [`-config.file=${CONFIG_DIR}/${CONFIG_FILE}`],
          ports: [{ name: this.portName, containerPort: this.port }],
          // /ready answers 503 for the ingester's first ~15 s and while the WAL replays: allow 5 minutes.
          ...readyEndpointProbes("/ready", this.portName, 60),
          resources: props.resources ?? DEFAULT_LOKI_RESOURCES,
          volumeMounts: configDataTmpMounts(CONFIG_DIR, DATA_DIR),
        },
      ],
      volumes: [
        { name: "config", configMap: { name: this.name } },
        dataVolume(this.name, this.storage),
        { name: "tmp", emptyDir: {} },
      ],
    });
    const metadata = this.objectMeta();
    this.workload.addDependency(
      new KubeConfigMap(this, "config", { metadata, data: { [CONFIG_FILE]: this.configText } }),
    );
    if (this.storage) this.workload.addDependency(dataVolumeClaim(this, metadata, this.storage));
  }
}

function retentionHours(retention: string): number {
  const hours: Record<string, number> = { h: 1, d: 24, w: 168 };
  return Number.parseInt(retention, 10) * (hours[retention.slice(-1)] ?? 0);
}
