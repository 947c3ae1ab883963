import type { Panel, RowPanel } from "@grafana/grafana-foundation-sdk/dashboard";
import { describe, expect, it } from "vitest";
import { METRICS } from "../../../../src/contract/index.js";
import { monitoredServiceFor, standaloneMonitoring } from "../../../../test/monitoring/fixtures.js";
import { parsePromql } from "../../../../test/monitoring/promql-syntax.js";
import {
  dashboardQueries,
  expandGrafanaVariables,
  variableQueries,
} from "../../../../test/monitoring/query-inventory.js";
import { KUBE_STATE_METRICS } from "../../kube-state-metrics-series.js";
import {
  INFERENCE_DASHBOARD_UID,
  inferenceDashboard,
  PROMETHEUS_DATASOURCE_UID,
} from "./inference-dashboard.js";
import { CADVISOR_METRICS } from "../../prometheus-config.js";

const service = monitoredServiceFor();
const dashboard = inferenceDashboard(service);
const all = (dashboard.panels ?? []) as (Panel | RowPanel)[];
const panels = all.filter((p): p is Panel => p.type !== "row");
const queries = dashboardQueries("inference.json", dashboard);
const expanded = (expr: string) =>
  expandGrafanaVariables(expr, { namespace: "infer8s", pod: ".*", rateInterval: "1m", range: "1h" });

describe("the inference dashboard", () => {
  it("has a stable uid and is read-only (edits belong in code)", () => {
    expect(dashboard.uid).toBe(INFERENCE_DASHBOARD_UID);
    expect(dashboard.editable).toBe(false);
  });

  it("shows every panel the seeds show, and more", () => {
    const titles = panels.map((p) => p.title);
    expect(titles).toEqual(
      expect.arrayContaining([
        "Request rate by route and status",
        "Error rate",
        "Request latency",
        "Predictions by class",
        "Predictions by class (time range)",
        "In-flight requests",
        "Model version and backend",
        "Ready pods",
        "Autoscaler replicas",
        "CPU per pod",
        "Memory per pod",
        "Container restarts (last hour)",
        "Uptime per pod",
      ]),
    );
    expect(panels.find((p) => p.title === "Predictions by class (time range)")?.type).toBe("piechart");
    expect(panels.find((p) => p.title === "Predictions by class")?.type).toBe("timeseries");
  });

  it("draws latency p50, p95 and p99 from the histogram", () => {
    const latency = queries.filter((q) => q.origin.startsWith("inference.json / Request latency /"));
    expect(latency.map((q) => q.expr.slice(0, 24))).toEqual([
      "histogram_quantile(0.5, ",
      "histogram_quantile(0.95,",
      "histogram_quantile(0.99,",
    ]);
    for (const q of latency) expect(q.expr).toContain(`${METRICS.httpRequestDuration}_bucket`);
  });

  it("shows HPA current, desired, min and max replicas", () => {
    const hpa = queries.filter((q) => q.origin.startsWith("inference.json / Autoscaler replicas /"));
    expect(hpa.map((q) => parsePromql(q.expr).metricNames[0])).toEqual([
      KUBE_STATE_METRICS.hpaCurrentReplicas,
      KUBE_STATE_METRICS.hpaDesiredReplicas,
      KUBE_STATE_METRICS.hpaMinReplicas,
      KUBE_STATE_METRICS.hpaMaxReplicas,
    ]);
  });

  it("uses every metric of the contract, and cAdvisor CPU and memory", () => {
    const used = new Set(queries.flatMap((q) => parsePromql(q.expr).metricNames));
    const base = new Set([...used].map((name) => name.replace(/_(bucket|sum|count)$/, "")));
    for (const metric of [...Object.values(METRICS), ...Object.values(CADVISOR_METRICS)]) {
      expect(base.has(metric), metric).toBe(true);
    }
  });

  it("has namespace and pod variables, pod multi-valued with All matching every pod", () => {
    const list = dashboard.templating?.list ?? [];
    expect(list.map((v) => v.name)).toEqual(["namespace", "pod"]);
    expect(list[0]?.current).toEqual({ text: service.namespace, value: service.namespace });
    expect(list[1]).toMatchObject({ multi: true, includeAll: true, allValue: ".*" });
    expect(variableQueries("inference.json", dashboard).map((v) => v.label)).toEqual(["namespace", "pod"]);
  });

  it("filters every inference query by the namespace and pod variables", () => {
    for (const q of queries) expect(q.expr, q.origin).toContain('namespace="$namespace"');
    for (const q of queries)
      expect(q.expr, q.origin).toMatch(/pod=~"\$pod"|deployment=|horizontalpodautoscaler=/);
  });

  it("references the Prometheus datasource by its fixed uid in every panel and query", () => {
    for (const panel of panels) {
      expect(panel.datasource, panel.title).toEqual({ type: "prometheus", uid: PROMETHEUS_DATASOURCE_UID });
      for (const target of panel.targets ?? []) {
        expect((target as { datasource?: unknown }).datasource, panel.title).toEqual({
          type: "prometheus",
          uid: PROMETHEUS_DATASOURCE_UID,
        });
      }
    }
    for (const variable of dashboard.templating?.list ?? []) {
      expect(variable.datasource).toEqual({ type: "prometheus", uid: PROMETHEUS_DATASOURCE_UID });
    }
  });

  it("has only valid PromQL, once Grafana's variables are filled in", () => {
    expect(queries.length).toBeGreaterThan(25);
    for (const q of queries) expect(parsePromql(expanded(q.expr)).errorsAt, q.origin).toEqual([]);
  });

  it("gives every panel a unique id and title and keeps it inside the 24-column grid", () => {
    const ids = all.map((p) => p.id);
    expect(new Set(ids).size).toBe(all.length);
    expect(new Set(panels.map((p) => p.title)).size).toBe(panels.length);
    for (const p of all) expect((p.gridPos?.x ?? 0) + (p.gridPos?.w ?? 0), p.title).toBeLessThanOrEqual(24);
  });

  it("is the same on every build", () => {
    expect(JSON.stringify(inferenceDashboard(service))).toBe(JSON.stringify(dashboard));
  });
});

describe("the inference dashboard in request-rate autoscaling mode", () => {
  const requestsService = standaloneMonitoring({
    autoscaling: { mode: "requests", maxReplicas: 12 },
  }).monitored;
  const requestsDashboard = inferenceDashboard(requestsService);
  const requestsAll = (requestsDashboard.panels ?? []) as (Panel | RowPanel)[];
  const requestsQueries = dashboardQueries("inference.json", requestsDashboard);
  const of = (title: string) =>
    requestsQueries.filter((q) => q.origin.startsWith(`inference.json / ${title} /`)).map((q) => q.expr);

  it("adds a last row with the per-pod rate against KEDA's target, and KEDA's replicas", () => {
    expect(requestsAll.map((p) => p.title).slice(all.length)).toEqual([
      "Request-rate autoscaling",
      "Requests per pod vs KEDA target",
      "KEDA replicas",
    ]);
    // The panels both modes share keep their ids and titles.
    expect(requestsAll.slice(0, all.length).map((p) => [p.id, p.title])).toEqual(
      all.map((p) => [p.id, p.title]),
    );
    const [perPod, target] = of("Requests per pod vs KEDA target");
    expect(perPod).toContain(`sum(rate(${METRICS.httpRequests}{`);
    expect(perPod).toContain('count(up{job="iris-inference",namespace="$namespace"} == 1)');
    expect(target).toBe("vector(311)");
    const [wanted, desired, current] = of("KEDA replicas");
    expect(wanted).toMatch(
      /^clamp\(ceil\(sum\(rate\(http_requests_total\{.*\}\[\$__rate_interval\]\)\) \/ 311\), 2, 12\)$/,
    );
    expect([desired, current].map((e) => parsePromql(e ?? "").metricNames[0])).toEqual([
      KUBE_STATE_METRICS.hpaDesiredReplicas,
      KUBE_STATE_METRICS.hpaCurrentReplicas,
    ]);
    expect(desired).toContain('horizontalpodautoscaler="keda-hpa-iris-inference"');
  });

  it("points the shared HPA panel at KEDA's HPA, in valid PromQL", () => {
    for (const expr of of("Autoscaler replicas")) expect(expr).toContain('"keda-hpa-iris-inference"');
    for (const q of requestsQueries) expect(parsePromql(expanded(q.expr)).errorsAt, q.origin).toEqual([]);
  });

  it("has no such row with our own HPA", () => {
    expect(all.map((p) => p.title)).not.toContain("Request-rate autoscaling");
  });
});

describe("parsePromql", () => {
  it("reports a syntax error (so the checks above can fail)", () => {
    expect(parsePromql("sum(rate(http_requests_total[5m])").errorsAt.length).toBeGreaterThan(0);
    expect(parsePromql("rate(up[5m]) +").errorsAt.length).toBeGreaterThan(0);
  });
});
