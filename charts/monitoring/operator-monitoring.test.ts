/* eslint-disable @typescript-eslint/no-explicit-any -- tests navigate synthesized YAML freely; the schema checks type it */
import { Testing } from "cdk8s";
import { describe, expect, it } from "vitest";
import { monitoredServiceFor } from "../../test/monitoring/fixtures.js";
import { inferenceMixin } from "./mixin/mixin.js";
import { renderDashboard } from "./mixin/dashboards/dashboards.js";
import { OperatorMonitoring, type OperatorMonitoringProps } from "./operator-monitoring.js";

const service = monitoredServiceFor();
const mixin = inferenceMixin(service);
const baseProps: OperatorMonitoringProps = {
  service,
  ruleGroups: mixin.ruleGroups,
  dashboards: mixin.dashboards,
  dashboardNamespace: "monitoring",
  selectorLabels: { release: "kube-prometheus-stack" },
  version: "1.2.3",
};

function synth(props: Partial<OperatorMonitoringProps> = {}) {
  const chart = Testing.chart();
  new OperatorMonitoring(chart, "operator", { ...baseProps, ...props });
  const objects = Testing.synth(chart) as any[];
  const find = (kind: string) => objects.find((o) => o.kind === kind);
  return { objects, find };
}

describe("OperatorMonitoring", () => {
  it("selects the inference Service's metrics port with a ServiceMonitor the stack picks up", () => {
    const monitor = synth().find("ServiceMonitor");
    expect(monitor.apiVersion).toBe("monitoring.coreos.com/v1");
    expect(monitor.metadata).toMatchObject({
      name: service.serviceName,
      namespace: service.namespace,
      labels: { release: "kube-prometheus-stack" },
    });
    expect(monitor.spec).toEqual({
      selector: { matchLabels: service.selectorLabels },
      namespaceSelector: { matchNames: [service.namespace] },
      endpoints: [{ port: service.portName, path: service.metricsPath, scheme: "http" }],
    });
  });

  it("ships the same rule groups as the standalone Prometheus in a PrometheusRule", () => {
    const rule = synth().find("PrometheusRule");
    expect(rule.metadata.labels).toMatchObject({ release: "kube-prometheus-stack" });
    expect(rule.spec.groups).toEqual(JSON.parse(JSON.stringify(mixin.ruleGroups)));
  });

  it("ships each dashboard as a ConfigMap for the Grafana sidecar in the stack's namespace", () => {
    const configMaps = synth().objects.filter((o) => o.kind === "ConfigMap");
    expect(configMaps).toHaveLength(baseProps.dashboards.length);
    const [first] = configMaps;
    expect(first.metadata.namespace).toBe("monitoring");
    expect(first.metadata.labels).toMatchObject({ grafana_dashboard: "1", release: "kube-prometheus-stack" });
    const dashboard = baseProps.dashboards[0]!;
    expect(first.data).toEqual({ [dashboard.fileName]: renderDashboard(dashboard.dashboard) });
  });

  it("leaves the intervals to the stack unless given, then sets them on the endpoint and every group", () => {
    const plain = synth();
    expect(plain.find("ServiceMonitor").spec.endpoints[0].interval).toBeUndefined();
    expect(plain.find("PrometheusRule").spec.groups.map((g: any) => g.interval)).toEqual([
      undefined,
      undefined,
    ]);
    const tuned = synth({ scrapeInterval: "30s", evaluationInterval: "1m" });
    expect(tuned.find("ServiceMonitor").spec.endpoints[0].interval).toBe("30s");
    expect(tuned.find("PrometheusRule").spec.groups.map((g: any) => g.interval)).toEqual(["1m", "1m"]);
  });

  it("uses the configured selector and dashboard labels", () => {
    const { objects } = synth({
      selectorLabels: { prometheus: "main" },
      dashboardLabel: { dashboards: "yes" },
    });
    for (const o of objects) expect(o.metadata.labels.prometheus, o.kind).toBe("main");
    expect(objects.find((o) => o.kind === "ConfigMap").metadata.labels.dashboards).toBe("yes");
  });

  it("rejects empty selector labels, which kube-prometheus-stack would never match", () => {
    expect(() => synth({ selectorLabels: {} })).toThrow(
      "OperatorMonitoring: props.selectorLabels must not be empty (kube-prometheus-stack selects by label)",
    );
  });
});
