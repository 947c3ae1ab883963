/* eslint-disable @typescript-eslint/no-explicit-any -- tests navigate synthesized YAML freely; the schema checks type it */
import { Testing } from "cdk8s";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { monitoredServiceFor } from "../../test/monitoring/fixtures.js";
import { credentialProblems } from "../../test/support/k8s-checks.js";
import { dashboardsFor, renderDashboard } from "./mixin/dashboards/dashboards.js";
import {
  GRAFANA_ADMIN_SECRET,
  GRAFANA_CHECKSUM_ANNOTATION,
  GRAFANA_IMAGE,
  Grafana,
  type GrafanaProps,
} from "./grafana.js";
import { PROMETHEUS_DATASOURCE_UID } from "./mixin/dashboards/inference-dashboard.js";

const dashboards = dashboardsFor(monitoredServiceFor());
const baseProps: GrafanaProps = {
  namespace: "monitoring",
  prometheusUrl: "http://prometheus.monitoring.svc:9090",
  scrapeInterval: "15s",
  dashboards,
};

function synth(props: Partial<GrafanaProps> = {}) {
  const chart = Testing.chart();
  const grafana = new Grafana(chart, "grafana", { ...baseProps, ...props });
  const objects = Testing.synth(chart) as any[];
  const configMap = (name: string) => objects.find((o) => o.kind === "ConfigMap" && o.metadata.name === name);
  const deployment = objects.find((o) => o.kind === "Deployment");
  return { grafana, objects, configMap, deployment, container: deployment.spec.template.spec.containers[0] };
}

/** grafana.ini as section → key → value. */
function ini(text: string): Record<string, Record<string, string>> {
  const sections: Record<string, Record<string, string>> = {};
  let current = "";
  for (const line of text.split("\n")) {
    const section = /^\[(.+)\]$/.exec(line);
    if (section) sections[(current = section[1]!)] = {};
    const pair = /^([a-z_]+) = (.*)$/.exec(line);
    if (pair) sections[current]![pair[1]!] = pair[2]!;
  }
  return sections;
}

describe("Grafana", () => {
  it("runs the pinned image, probed on /api/health, with its database in an emptyDir", () => {
    const { container, deployment } = synth();
    expect(GRAFANA_IMAGE).toMatch(/^grafana\/grafana:\d+\.\d+\.\d+$/);
    expect(container.image).toBe(GRAFANA_IMAGE);
    for (const probe of ["startupProbe", "readinessProbe", "livenessProbe"]) {
      expect(container[probe].httpGet, probe).toEqual({ path: "/api/health", port: "http", scheme: "HTTP" });
    }
    expect(deployment.spec.template.spec.volumes).toContainEqual({ name: "data", emptyDir: {} });
    expect(container.volumeMounts).toContainEqual({ name: "data", mountPath: "/var/lib/grafana" });
  });

  it("lets anyone who reaches it view, and nobody log in until an operator's Secret says so", () => {
    const { configMap, container } = synth();
    const settings = ini(configMap("grafana-config").data["grafana.ini"]);
    expect(settings["auth.anonymous"]).toMatchObject({ enabled: "true", org_role: "Viewer" });
    expect(settings.security).toMatchObject({ disable_initial_admin_creation: "true" });
    expect(settings.users).toMatchObject({ allow_sign_up: "false" });
    // The only source of settings beyond grafana.ini: the optional, operator-created Secret.
    expect(container.env).toBeUndefined();
    expect(container.envFrom).toEqual([{ secretRef: { name: GRAFANA_ADMIN_SECRET, optional: true } }]);
  });

  it("carries no credential", () => {
    const { objects } = synth();
    expect(credentialProblems(objects)).toEqual([]);
    expect(JSON.stringify(objects)).not.toMatch(/admin_password|admin_user|GF_SECURITY_ADMIN_PASSWORD/);
  });

  it("provisions the Prometheus datasource under its fixed uid, as the default, not editable", () => {
    const { configMap, grafana } = synth();
    const file = parse(configMap("grafana-datasources").data["datasources.yaml"]);
    expect(file).toEqual(grafana.datasources);
    expect(file.apiVersion).toBe(1);
    expect(file.datasources).toHaveLength(1);
    expect(file.datasources[0]).toMatchObject({ name: "Prometheus", type: "prometheus", access: "proxy" });
    expect(file.datasources[0]).toMatchObject({
      uid: PROMETHEUS_DATASOURCE_UID,
      isDefault: true,
      editable: false,
    });
    expect(file.datasources[0].url).toBe("http://prometheus.monitoring.svc:9090");
    expect(file.datasources[0].jsonData).toEqual({ timeInterval: "15s", httpMethod: "POST" });
  });

  it("provisions the dashboards from a ConfigMap through a file provider, read-only in the UI", () => {
    const { configMap, container } = synth();
    const provider = parse(configMap("grafana-dashboard-providers").data["providers.yaml"]).providers[0];
    expect(provider).toMatchObject({
      type: "file",
      folder: "infer8s",
      allowUiUpdates: false,
      disableDeletion: true,
    });
    const mount = container.volumeMounts.find((m: any) => m.name === "dashboards");
    expect(provider.options.path).toBe(mount.mountPath);
    expect(configMap("grafana-dashboards").data).toEqual(
      Object.fromEntries(dashboards.map((d) => [d.fileName, renderDashboard(d.dashboard)])),
    );
  });

  it("opens on the first dashboard", () => {
    const settings = ini(synth().configMap("grafana-config").data["grafana.ini"]);
    expect(settings.dashboards?.default_home_dashboard_path).toBe(
      `/var/lib/grafana-dashboards/${dashboards[0]?.fileName}`,
    );
  });

  it("rolls its pod when any provisioned file changes", () => {
    const { grafana, deployment } = synth();
    expect(deployment.spec.template.metadata.annotations[GRAFANA_CHECKSUM_ANNOTATION]).toBe(
      grafana.configChecksum,
    );
    expect(synth({ prometheusUrl: "http://elsewhere:9090" }).grafana.configChecksum).not.toBe(
      grafana.configChecksum,
    );
    expect(synth().grafana.configChecksum).toBe(grafana.configChecksum);
  });

  it("needs no ServiceAccount token", () => {
    const { objects, deployment } = synth();
    expect(objects.find((o) => o.kind === "ServiceAccount").automountServiceAccountToken).toBe(false);
    expect(deployment.spec.template.spec.automountServiceAccountToken).toBe(false);
  });

  it("rejects an empty list of dashboards", () => {
    expect(() => synth({ dashboards: [] })).toThrow("Grafana: props.dashboards must not be empty");
  });
});
