import { createHash } from "node:crypto";
import type { Construct } from "constructs";
import { KubeConfigMap } from "cdk8s-plus-28/lib/imports/k8s.js";
import { stringify } from "yaml";
import { renderDashboard, type GeneratedDashboard } from "./mixin/dashboards/dashboards.js";
import { PROMETHEUS_DATASOURCE_UID } from "./mixin/dashboards/inference-dashboard.js";
import { LOKI_DATASOURCE_UID, REQUEST_ID_DERIVED_FIELD } from "./mixin/dashboards/logs-row.js";
import { httpGetProbe } from "../constructs/restricted-pod.js";
import { RestrictedComponent } from "../constructs/restricted-component.js";
import type { RestrictedComponentProps, RestrictedWorkload } from "../constructs/restricted-workload.js";

/** Pinned Grafana image. */
export const GRAFANA_IMAGE = "grafana/grafana:12.1.1";

/**
 * Name of the Secret an operator may create to get an admin login. Its keys become environment variables
 * (Grafana reads `GF_<SECTION>_<KEY>` over grafana.ini); without it no admin user exists at all.
 */
export const GRAFANA_ADMIN_SECRET = "grafana-admin";

/** Pod-template annotation whose value changes whenever any provisioned file changes. */
export const GRAFANA_CHECKSUM_ANNOTATION = "checksum/config";

/** The Prometheus datasource. */
export interface PrometheusDatasource {
  readonly name: string;
  readonly type: "prometheus";
  readonly uid: string;
  readonly access: "proxy";
  readonly url: string;
  readonly isDefault: boolean;
  readonly editable: boolean;
  readonly jsonData: { readonly timeInterval: string; readonly httpMethod: "POST" | "GET" };
}

/**
 * A Loki derived field: `matcherRegex`'s first group, taken from each log line, becomes a link. With
 * `datasourceUid` the link is internal and `url` is the query it runs there, `${__value.raw}` the match.
 */
export interface LokiDerivedField {
  readonly name: string;
  readonly matcherRegex: string;
  readonly url: string;
  readonly datasourceUid?: string;
  readonly urlDisplayLabel?: string;
}

/** The Loki datasource. */
export interface LokiDatasource {
  readonly name: string;
  readonly type: "loki";
  readonly uid: string;
  readonly access: "proxy";
  readonly url: string;
  readonly isDefault: false;
  readonly editable: boolean;
  readonly jsonData: { readonly maxLines: number; readonly derivedFields: readonly LokiDerivedField[] };
}

/** A datasource provisioning file (https://grafana.com/docs/grafana/latest/administration/provisioning/). */
export interface DatasourceProvisioning {
  readonly apiVersion: 1;
  readonly datasources: readonly (PrometheusDatasource | LokiDatasource)[];
}

/** A dashboard-provider provisioning file. */
export interface DashboardProviderProvisioning {
  readonly apiVersion: 1;
  readonly providers: readonly {
    readonly name: string;
    readonly orgId: number;
    readonly folder: string;
    readonly type: "file";
    readonly disableDeletion: boolean;
    readonly allowUiUpdates: boolean;
    readonly updateIntervalSeconds: number;
    readonly options: { readonly path: string; readonly foldersFromFilesStructure: boolean };
  }[];
}

/**
 * Grafana's props. Defaults: `name` "grafana" (the ConfigMaps get suffixes), `image` GRAFANA_IMAGE,
 * `resources` requests 50m/128Mi, limits 500m/512Mi.
 */
export interface GrafanaProps extends RestrictedComponentProps {
  /** URL of the Prometheus API the datasource points at. */
  readonly prometheusUrl: string;
  /** Prometheus' scrape interval, so `$__rate_interval` spans enough samples. */
  readonly scrapeInterval: string;
  /** Dashboards to provision. */
  readonly dashboards: readonly GeneratedDashboard[];
  /** Base URL of Loki; adds the Loki datasource. @default undefined: no Loki datasource */
  readonly lokiUrl?: string;
  /** Folder the dashboards appear in. @default "infer8s" */
  readonly folder?: string;
}

const UID = 472;
const PORT = 3000;
const PATHS = {
  config: "/etc/grafana/grafana.ini",
  datasources: "/etc/grafana/provisioning/datasources",
  providers: "/etc/grafana/provisioning/dashboards",
  dashboards: "/var/lib/grafana-dashboards",
  data: "/var/lib/grafana",
  tmp: "/tmp",
} as const;

/**
 * Grafana, provisioned entirely from ConfigMaps: the Prometheus datasource (fixed uid), a dashboard
 * provider and the dashboards. Anyone who can reach it (a port-forward) sees the dashboards as an anonymous
 * Viewer; nobody can log in unless an operator creates the `grafana-admin` Secret, so there is no default
 * admin/admin and no credential in the manifests.
 */
export class Grafana extends RestrictedComponent {
  /** The ServiceAccount, Deployment and Service (the UI on `portName`). */
  public readonly workload: RestrictedWorkload;
  /** Folder the dashboards appear in. */
  public readonly folder: string;
  /** Contents of grafana.ini. */
  public readonly ini: string;
  /** The datasource provisioning file, as typed data. */
  public readonly datasources: DatasourceProvisioning;
  /** The dashboard provider provisioning file, as typed data. */
  public readonly dashboardProviders: DashboardProviderProvisioning;
  /** Dashboard file name → JSON text, as mounted. */
  public readonly dashboardFiles: Readonly<Record<string, string>>;
  /** sha256 of every provisioned file, the value of `GRAFANA_CHECKSUM_ANNOTATION`. */
  public readonly configChecksum: string;

  constructor(scope: Construct, id: string, props: GrafanaProps) {
    super(scope, id, props, { name: "grafana", image: GRAFANA_IMAGE, portName: "http", port: PORT });
    if (props.dashboards.length === 0) throw new Error("Grafana: props.dashboards must not be empty");
    this.folder = props.folder ?? "infer8s";
    const resources = props.resources ?? {
      requests: { cpu: "50m", memory: "128Mi" },
      limits: { cpu: "500m", memory: "512Mi" },
    };

    this.ini = grafanaIni(`${PATHS.dashboards}/${props.dashboards[0]?.fileName}`);
    this.datasources = {
      apiVersion: 1,
      datasources: [
        prometheusDatasource(props.prometheusUrl, props.scrapeInterval),
        ...(props.lokiUrl === undefined ? [] : [lokiDatasource(props.lokiUrl)]),
      ],
    };
    this.dashboardProviders = dashboardFolder(this.folder);
    this.dashboardFiles = Object.fromEntries(
      props.dashboards.map((d) => [d.fileName, renderDashboard(d.dashboard)]),
    );
    const datasourcesText = stringify(this.datasources, { lineWidth: 0 });
    const providersText = stringify(this.dashboardProviders, { lineWidth: 0 });
    this.configChecksum = checksumOf([this.ini, datasourcesText, providersText], this.dashboardFiles);
    const provisioned = provisionedFiles({
      "grafana.ini": this.ini,
      "datasources.yaml": datasourcesText,
      "providers.yaml": providersText,
      dashboards: this.dashboardFiles,
    });

    this.workload = this.restrictedWorkload({
      component: "dashboards",
      uid: UID,
      replicas: 1,
      // The database is an emptyDir: with nothing to share, a rolling update is safe.
      podAnnotations: { [GRAFANA_CHECKSUM_ANNOTATION]: this.configChecksum },
      containers: [
        {
          name: "grafana",
          // Only the operator's Secret may add settings (the admin password); it is optional.
          envFrom: [{ secretRef: { name: GRAFANA_ADMIN_SECRET, optional: true } }],
          ports: [{ name: this.portName, containerPort: this.port }],
          ...healthProbes(this.portName),
          resources,
          volumeMounts: volumeMounts(provisioned),
        },
      ],
      volumes: volumes(this.name, provisioned),
    });
    this.workload.addDependency(
      ...provisioned.map(
        ({ volume, data }) =>
          new KubeConfigMap(this, volume, {
            metadata: {
              name: `${this.name}-${volume}`,
              namespace: this.namespace,
              labels: { ...this.labels },
            },
            data,
          }),
      ),
    );
  }
}

/** Files Grafana reads from one ConfigMap, mounted read-only at `mountPath` (only `subPath` when given). */
interface ProvisionedFiles {
  readonly volume: string;
  readonly mountPath: string;
  readonly subPath?: string;
  readonly data: Readonly<Record<string, string>>;
}

/** Grafana's configuration and dashboards, each volume mounted in this order from the ConfigMap `<name>-<volume>`. */
function provisionedFiles(files: {
  readonly "grafana.ini": string;
  readonly "datasources.yaml": string;
  readonly "providers.yaml": string;
  readonly dashboards: Readonly<Record<string, string>>;
}): readonly ProvisionedFiles[] {
  return [
    {
      volume: "config",
      mountPath: PATHS.config,
      subPath: "grafana.ini",
      data: { "grafana.ini": files["grafana.ini"] },
    },
    {
      volume: "datasources",
      mountPath: PATHS.datasources,
      data: { "datasources.yaml": files["datasources.yaml"] },
    },
    {
      volume: "dashboard-providers",
      mountPath: PATHS.providers,
      data: { "providers.yaml": files["providers.yaml"] },
    },
    { volume: "dashboards", mountPath: PATHS.dashboards, data: files.dashboards },
  ];
}

/** The provisioned files, read-only, then Grafana's writable database and /tmp. */
function volumeMounts(provisioned: readonly ProvisionedFiles[]) {
  return [
    ...provisioned.map(({ volume, mountPath, subPath }) => ({
      name: volume,
      mountPath,
      ...(subPath === undefined ? {} : { subPath }),
      readOnly: true,
    })),
    { name: "data", mountPath: PATHS.data },
    { name: "tmp", mountPath: PATHS.tmp },
  ];
}

/** A ConfigMap volume `<name>-<volume>` for each provisioned volume, then two emptyDirs. */
function volumes(name: string, provisioned: readonly ProvisionedFiles[]) {
  return [
    ...provisioned.map(({ volume }) => ({ name: volume, configMap: { name: `${name}-${volume}` } })),
    { name: "data", emptyDir: {} },
    { name: "tmp", emptyDir: {} },
  ];
}

/** sha256 over the configuration texts and every dashboard file (name and text), so a change rolls the pod. */
function checksumOf(texts: readonly string[], dashboardFiles: Readonly<Record<string, string>>): string {
  const hash = createHash("sha256").update(texts.join("\0"));
  for (const [file, text] of Object.entries(dashboardFiles)) hash.update("\0").update(file).update(text);
  return hash.digest("hex");
}

/** Prometheus at `url`, the default datasource, with `$__rate_interval` floored at the scrape interval. */
function prometheusDatasource(url: string, scrapeInterval: string): PrometheusDatasource {
  return {
    name: "Prometheus",
    type: "prometheus",
    uid: PROMETHEUS_DATASOURCE_UID,
    access: "proxy",
    url,
    isDefault: true,
    editable: false,
    jsonData: { timeInterval: scrapeInterval, httpMethod: "POST" },
  };
}

/**
 * The Loki datasource at `url` (uid `loki`, what the Logs row reads); a request id in a log line links to
 * every line of that request.
 */
export function lokiDatasource(url: string): LokiDatasource {
  return {
    name: "Loki",
    type: "loki",
    uid: LOKI_DATASOURCE_UID,
    access: "proxy",
    url,
    isDefault: false,
    editable: false,
    jsonData: { maxLines: 1000, derivedFields: [REQUEST_ID_DERIVED_FIELD] },
  };
}

/** The dashboard files as one read-only folder, reread every minute. */
function dashboardFolder(folder: string): DashboardProviderProvisioning {
  return {
    apiVersion: 1,
    providers: [
      {
        name: folder,
        orgId: 1,
        folder,
        type: "file",
        disableDeletion: true,
        allowUiUpdates: false,
        updateIntervalSeconds: 60,
        options: { path: PATHS.dashboards, foldersFromFilesStructure: false },
      },
    ],
  };
}

/** Startup (up to 2 minutes), readiness and liveness probes on Grafana's health endpoint. */
function healthProbes(portName: string) {
  return {
    startupProbe: httpGetProbe("/api/health", portName, { periodSeconds: 5, failureThreshold: 24 }),
    readinessProbe: httpGetProbe("/api/health", portName, { periodSeconds: 10, failureThreshold: 3 }),
    livenessProbe: httpGetProbe("/api/health", portName, { periodSeconds: 15, failureThreshold: 4 }),
  };
}

/**
 * grafana.ini: anonymous read-only access, no sign-up, no initial admin user (an operator's Secret can set
 * `GF_SECURITY_DISABLE_INITIAL_ADMIN_CREATION=false` and `GF_SECURITY_ADMIN_PASSWORD`), no phoning home.
 */
function grafanaIni(homeDashboardPath: string): string {
  const sections: Record<string, Record<string, string | boolean>> = {
    paths: { data: PATHS.data, provisioning: "/etc/grafana/provisioning" },
    log: { mode: "console" },
    analytics: { reporting_enabled: false, check_for_updates: false, check_for_plugin_updates: false },
    news: { news_feed_enabled: false },
    "auth.anonymous": { enabled: true, org_name: "Main Org.", org_role: "Viewer", hide_version: true },
    users: { allow_sign_up: false, allow_org_create: false },
    security: { disable_initial_admin_creation: true, disable_gravatar: true, cookie_samesite: "strict" },
    dashboards: { default_home_dashboard_path: homeDashboardPath },
  };
  return Object.entries(sections)
    .map(([section, keys]) =>
      [`[${section}]`, ...Object.entries(keys).map(([key, value]) => `${key} = ${String(value)}`)].join("\n"),
    )
    .join("\n\n")
    .concat("\n");
}
