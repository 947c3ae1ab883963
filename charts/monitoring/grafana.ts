import { createHash } from "node:crypto";
import { Construct } from "constructs";
import { KubeConfigMap } from "cdk8s-plus-28/lib/imports/k8s.js";
import { stringify } from "yaml";
import { renderDashboard, type GeneratedDashboard } from "./mixin/dashboards/dashboards.js";
import { PROMETHEUS_DATASOURCE_UID } from "./mixin/dashboards/inference-dashboard.js";
import { httpGetProbe, type ContainerResources } from "../constructs/restricted-pod.js";
import { RestrictedWorkload } from "../constructs/restricted-workload.js";

/** Pinned Grafana image. */
export const GRAFANA_IMAGE = "grafana/grafana:12.1.1";

/**
 * Name of the Secret an operator may create to get an admin login. Its keys become environment variables
 * (Grafana reads `GF_<SECTION>_<KEY>` over grafana.ini); without it no admin user exists at all.
 */
export const GRAFANA_ADMIN_SECRET = "grafana-admin";

/** Pod-template annotation whose value changes whenever any provisioned file changes. */
export const GRAFANA_CHECKSUM_ANNOTATION = "checksum/config";

/** A datasource provisioning file (https://grafana.com/docs/grafana/latest/administration/provisioning/). */
export interface DatasourceProvisioning {
  readonly apiVersion: 1;
  readonly datasources: readonly {
    readonly name: string;
    readonly type: "prometheus";
    readonly uid: string;
    readonly access: "proxy";
    readonly url: string;
    readonly isDefault: boolean;
    readonly editable: boolean;
    readonly jsonData: { readonly timeInterval: string; readonly httpMethod: "POST" | "GET" };
  }[];
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

export interface GrafanaProps {
  /** Namespace of every object. */
  readonly namespace: string;
  /** URL of the Prometheus API the datasource points at. */
  readonly prometheusUrl: string;
  /** Prometheus' scrape interval, so `$__rate_interval` spans enough samples. */
  readonly scrapeInterval: string;
  /** Dashboards to provision. */
  readonly dashboards: readonly GeneratedDashboard[];
  /** Name of the ServiceAccount, Deployment and Service (ConfigMaps get suffixes). @default "grafana" */
  readonly name?: string;
  /** Container image. @default GRAFANA_IMAGE */
  readonly image?: string;
  /** Folder the dashboards appear in. @default "infer8s" */
  readonly folder?: string;
  /** Requests and limits. @default requests 50m/128Mi, limits 500m/512Mi */
  readonly resources?: ContainerResources;
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
export class Grafana extends Construct {
  /** Namespace of every object. */
  public readonly namespace: string;
  /** Name of the ServiceAccount, Deployment and Service. */
  public readonly name: string;
  /** Container image. */
  public readonly image: string;
  /** The ServiceAccount, Deployment and Service. */
  public readonly workload: RestrictedWorkload;
  /** Named container and Service port. */
  public readonly portName = "http";
  /** Number of that port. */
  public readonly port = PORT;
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
  /** Labels on every object. */
  public readonly labels: Readonly<Record<string, string>>;

  constructor(scope: Construct, id: string, props: GrafanaProps) {
    super(scope, id);
    if (props.dashboards.length === 0) throw new Error("Grafana: props.dashboards must not be empty");
    this.namespace = props.namespace;
    this.name = props.name ?? "grafana";
    this.image = props.image ?? GRAFANA_IMAGE;
    this.folder = props.folder ?? "infer8s";
    const resources = props.resources ?? {
      requests: { cpu: "50m", memory: "128Mi" },
      limits: { cpu: "500m", memory: "512Mi" },
    };

    this.ini = grafanaIni(`${PATHS.dashboards}/${props.dashboards[0]?.fileName}`);
    this.datasources = {
      apiVersion: 1,
      datasources: [
        {
          name: "Prometheus",
          type: "prometheus",
          uid: PROMETHEUS_DATASOURCE_UID,
          access: "proxy",
          url: props.prometheusUrl,
          isDefault: true,
          editable: false,
          jsonData: { timeInterval: props.scrapeInterval, httpMethod: "POST" },
        },
      ],
    };
    this.dashboardProviders = {
      apiVersion: 1,
      providers: [
        {
          name: this.folder,
          orgId: 1,
          folder: this.folder,
          type: "file",
          disableDeletion: true,
          allowUiUpdates: false,
          updateIntervalSeconds: 60,
          options: { path: PATHS.dashboards, foldersFromFilesStructure: false },
        },
      ],
    };
    this.dashboardFiles = Object.fromEntries(
      props.dashboards.map((d) => [d.fileName, renderDashboard(d.dashboard)]),
    );
    const datasourcesText = stringify(this.datasources, { lineWidth: 0 });
    const providersText = stringify(this.dashboardProviders, { lineWidth: 0 });
    const hash = createHash("sha256").update(this.ini).update("\0").update(datasourcesText);
    hash.update("\0").update(providersText);
    for (const [file, text] of Object.entries(this.dashboardFiles))
      hash.update("\0").update(file).update(text);
    this.configChecksum = hash.digest("hex");

    const names = {
      config: `${this.name}-config`,
      datasources: `${this.name}-datasources`,
      providers: `${this.name}-dashboard-providers`,
      dashboards: `${this.name}-dashboards`,
    };

    this.workload = new RestrictedWorkload(this, "workload", {
      namespace: this.namespace,
      name: this.name,
      component: "dashboards",
      image: this.image,
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
          startupProbe: httpGetProbe("/api/health", this.portName, {
            periodSeconds: 5,
            failureThreshold: 24,
          }),
          readinessProbe: httpGetProbe("/api/health", this.portName, {
            periodSeconds: 10,
            failureThreshold: 3,
          }),
          livenessProbe: httpGetProbe("/api/health", this.portName, {
            periodSeconds: 15,
            failureThreshold: 4,
          }),
          resources,
          volumeMounts: [
            { name: "config", mountPath: PATHS.config, subPath: "grafana.ini", readOnly: true },
            { name: "datasources", mountPath: PATHS.datasources, readOnly: true },
            { name: "dashboard-providers", mountPath: PATHS.providers, readOnly: true },
            { name: "dashboards", mountPath: PATHS.dashboards, readOnly: true },
            { name: "data", mountPath: PATHS.data },
            { name: "tmp", mountPath: PATHS.tmp },
          ],
        },
      ],
      volumes: [
        { name: "config", configMap: { name: names.config } },
        { name: "datasources", configMap: { name: names.datasources } },
        { name: "dashboard-providers", configMap: { name: names.providers } },
        { name: "dashboards", configMap: { name: names.dashboards } },
        { name: "data", emptyDir: {} },
        { name: "tmp", emptyDir: {} },
      ],
      service: { portName: this.portName, port: this.port },
    });
    this.labels = this.workload.labels;
    const metadata = (name: string) => ({ name, namespace: this.namespace, labels: { ...this.labels } });
    this.workload.addDependency(
      new KubeConfigMap(this, "config", {
        metadata: metadata(names.config),
        data: { "grafana.ini": this.ini },
      }),
      new KubeConfigMap(this, "datasources", {
        metadata: metadata(names.datasources),
        data: { "datasources.yaml": datasourcesText },
      }),
      new KubeConfigMap(this, "dashboard-providers", {
        metadata: metadata(names.providers),
        data: { "providers.yaml": providersText },
      }),
      new KubeConfigMap(this, "dashboards", {
        metadata: metadata(names.dashboards),
        data: this.dashboardFiles,
      }),
    );
  }
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
