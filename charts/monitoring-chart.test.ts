/* eslint-disable @typescript-eslint/no-explicit-any -- tests navigate synthesized YAML freely; the schema checks type it */
import { describe, expect, it } from "vitest";
import { appFor, standaloneMonitoring } from "../test/monitoring/fixtures.js";
import { manifestProblems, rbacProblems, synthObjects, type KubeObject } from "../test/support/k8s-checks.js";
import { MonitoringChart } from "./monitoring-chart.js";

/** Not `instanceof`: cdk8s' Chart defines Symbol.hasInstance as "is any chart", so every chart passes it. */
function isStandalone(chart: object | undefined): chart is MonitoringChart {
  return chart !== undefined && Object.prototype.isPrototypeOf.call(MonitoringChart.prototype, chart);
}

function standaloneObjects(overrides: Parameters<typeof appFor>[0] = {}) {
  const { namespaces, inference, monitoring } = appFor(overrides);
  if (!isStandalone(monitoring))
    throw new Error(`expected the standalone stack, got ${monitoring?.constructor.name}`);
  return {
    chart: monitoring,
    all: [...synthObjects(namespaces), ...synthObjects(inference), ...synthObjects(monitoring)],
    own: synthObjects(monitoring) as any[],
  };
}

describe("MonitoringChart", () => {
  it("emits kube-state-metrics, Prometheus, Loki, the log collector and Grafana into the monitoring namespace", () => {
    const { own } = standaloneObjects();
    expect(own.map((o) => `${o.kind} ${o.metadata.name}`)).toEqual([
      "ServiceAccount kube-state-metrics",
      "ClusterRole infer8s-kube-state-metrics",
      "RoleBinding infer8s-kube-state-metrics",
      "Deployment kube-state-metrics",
      "Service kube-state-metrics",
      "ServiceAccount prometheus",
      "ClusterRole infer8s-prometheus-discovery",
      "RoleBinding infer8s-prometheus-discovery",
      "ClusterRole infer8s-prometheus-nodes",
      "ClusterRoleBinding infer8s-prometheus-nodes",
      "ConfigMap prometheus",
      "Deployment prometheus",
      "Service prometheus",
      "ServiceAccount loki",
      "ConfigMap loki",
      "Deployment loki",
      "Service loki",
      "ServiceAccount log-collector",
      "ConfigMap log-collector",
      "ClusterRole infer8s-log-collector",
      "RoleBinding infer8s-log-collector",
      "DaemonSet log-collector",
      "ServiceAccount grafana",
      "ConfigMap grafana-config",
      "ConfigMap grafana-datasources",
      "ConfigMap grafana-dashboard-providers",
      "ConfigMap grafana-dashboards",
      "Deployment grafana",
      "Service grafana",
    ]);
    const namespaced = own.filter((o) => o.metadata.namespace !== undefined && o.kind !== "RoleBinding");
    expect(new Set(namespaced.map((o) => o.metadata.namespace))).toEqual(new Set(["monitoring"]));
  });

  it("passes the Kubernetes 1.28 schema and every semantic check, with the inference charts", async () => {
    expect(await manifestProblems(standaloneObjects().all)).toEqual([]);
  });

  it("grants RBAC with explicit verbs and resources only, never on secrets, and only read verbs", () => {
    const { own } = standaloneObjects();
    expect(rbacProblems(own as KubeObject[])).toEqual([]);
    const rules = own.filter((o) => o.kind === "ClusterRole").flatMap((r) => r.rules);
    expect(rules.length).toBeGreaterThan(0);
    for (const rule of rules) {
      expect(
        rule.verbs.every((v: string) => ["get", "list", "watch"].includes(v)),
        JSON.stringify(rule),
      ).toBe(true);
      expect(rule.resources.some((r: string) => r.includes("*") || r.startsWith("secrets"))).toBe(false);
    }
  });

  it("points Prometheus at the inference Service and kube-state-metrics the charts create", () => {
    const { chart, own } = standaloneObjects();
    // Addresses built from the synthesized Services, not from the constructs' own address fields.
    const service = (name: string) => {
      const found = own.find((o) => o.kind === "Service" && o.metadata.name === name);
      return `${found.metadata.name}.${found.metadata.namespace}.svc:${found.spec.ports[0].port}`;
    };
    const jobs = chart.prometheus.config.scrape_configs;
    expect(jobs.map((j) => j.job_name)).toContain(chart.monitored.serviceName);
    expect(JSON.stringify(jobs)).toContain(`"${service("kube-state-metrics")}"`);
    expect(chart.grafana.datasources.datasources[0]?.url).toBe(`http://${service("prometheus")}`);
  });

  it("puts Prometheus' data on a claim when the settings give a size", () => {
    const { own } = standaloneObjects({
      monitoring: {
        prometheusStorageSize: "50Gi",
        prometheusStorageClassName: "standard",
        prometheusRetention: "30d",
      },
    });
    const claim = own.find((o) => o.kind === "PersistentVolumeClaim");
    expect(claim.metadata).toMatchObject({ name: "prometheus", namespace: "monitoring" });
    expect(claim.spec).toMatchObject({
      storageClassName: "standard",
      resources: { requests: { storage: "50Gi" } },
    });
    const args = own.find((o) => o.kind === "Deployment" && o.metadata.name === "prometheus").spec.template
      .spec.containers[0].args;
    expect(args).toContain("--storage.tsdb.retention.time=30d");
  });

  it("follows the inference namespace and the monitoring namespace from the settings", () => {
    const chart = standaloneMonitoring({ namespace: "ml", monitoring: { namespace: "observability" } });
    expect(chart.monitored.namespace).toBe("ml");
    expect(chart.prometheus.url).toBe("http://prometheus.observability.svc:9090");
    expect(chart.prometheus.rulesText).toContain('namespace="ml"');
  });

  it("is absent when monitoring is disabled", () => {
    expect(appFor({ monitoring: { enabled: false } }).monitoring).toBeUndefined();
  });
});
