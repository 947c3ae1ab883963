import { stringify } from "yaml";

/**
 * The subset of Loki 3.x's configuration file (https://grafana.com/docs/loki/latest/configure/) the
 * single-binary Loki uses, field names as the reference spells them. Loki refuses unknown fields at
 * start-up, so a typo here would stop the pod; the types keep the names in one checked place.
 */
export interface LokiConfig {
  /** false: single tenant ("fake"), no `X-Scope-OrgID` needed by the collector or Grafana. */
  readonly auth_enabled: false;
  readonly server: {
    readonly http_listen_port: number;
    readonly grpc_listen_port: number;
    readonly log_level: string;
  };
  readonly common: {
    /** Address the in-memory ring advertises; the loopback, since nothing else joins it. */
    readonly instance_addr: string;
    readonly path_prefix: string;
    readonly replication_factor: 1;
    readonly ring: { readonly kvstore: { readonly store: "inmemory" } };
    readonly storage: {
      readonly filesystem: { readonly chunks_directory: string; readonly rules_directory: string };
    };
  };
  readonly schema_config: {
    readonly configs: readonly {
      /** First day the period applies to, `YYYY-MM-DD`. */
      readonly from: string;
      readonly store: "tsdb";
      readonly object_store: "filesystem";
      readonly schema: "v13";
      /** Retention needs the 24h index period. */
      readonly index: { readonly prefix: string; readonly period: "24h" };
    }[];
  };
  readonly limits_config: {
    /** How long log lines are kept (a Prometheus-style duration; at least 24h). */
    readonly retention_period: string;
    /** Structured metadata (where the request id goes) needs schema v13 and this. */
    readonly allow_structured_metadata: true;
  };
  readonly compactor: {
    readonly working_directory: string;
    /** Without it the compactor only compacts and log lines live forever. */
    readonly retention_enabled: true;
    /** Where delete requests are kept; Loki 3 refuses retention without it. */
    readonly delete_request_store: "filesystem";
  };
  /** No usage reports to stats.grafana.org. */
  readonly analytics: { readonly reporting_enabled: false };
}

/** Options of {@link buildLokiConfig}. */
export interface LokiConfigOptions {
  /** HTTP port of the push and query API. */
  readonly httpPort: number;
  /** gRPC port (unused outside the pod, but Loki always listens). */
  readonly grpcPort: number;
  /** Data directory (a volume): chunks, index, WAL, compactor state. */
  readonly dataDir: string;
  /** `limits_config.retention_period`, e.g. "7d". */
  readonly retention: string;
}

/** The date the one schema period starts; fixed, because changing it would orphan the stored index. */
export const LOKI_SCHEMA_FROM = "2024-04-01";

/**
 * Loki's configuration for one single-binary pod: filesystem storage under `dataDir`, the TSDB index with
 * schema v13, retention applied by the compactor, no authentication (single tenant; only Grafana and the
 * collector call it, inside the cluster), no usage reporting.
 *
 * @example renderLokiConfig(buildLokiConfig({ httpPort: 3100, grpcPort: 9095, dataDir: "/loki", retention: "7d" }))
 */
export function buildLokiConfig(options: LokiConfigOptions): LokiConfig {
  const dir = options.dataDir;
  return {
    auth_enabled: false,
    server: { http_listen_port: options.httpPort, grpc_listen_port: options.grpcPort, log_level: "info" },
    common: {
      instance_addr: "127.0.0.1",
      path_prefix: dir,
      replication_factor: 1,
      ring: { kvstore: { store: "inmemory" } },
      storage: { filesystem: { chunks_directory: `${dir}/chunks`, rules_directory: `${dir}/rules` } },
    },
    schema_config: {
      configs: [
        {
          from: LOKI_SCHEMA_FROM,
          store: "tsdb",
          object_store: "filesystem",
          schema: "v13",
          index: { prefix: "index_", period: "24h" },
        },
      ],
    },
    limits_config: { retention_period: options.retention, allow_structured_metadata: true },
    compactor: {
      working_directory: `${dir}/compactor`,
      retention_enabled: true,
      delete_request_store: "filesystem",
    },
    analytics: { reporting_enabled: false },
  };
}

/** The configuration file as Loki reads it (`-config.file`). */
export function renderLokiConfig(config: LokiConfig): string {
  return stringify(config, { lineWidth: 0 });
}
