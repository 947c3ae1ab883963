/* eslint-disable @typescript-eslint/no-explicit-any -- tests navigate synthesized YAML freely; the schema checks type it */
import { spawnSync } from "node:child_process";
import { readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { appFor, operatorMonitoring, standaloneMonitoring, tempDir } from "../test/monitoring/fixtures.js";
import { loadManifestDir, manifestProblems, synthObjects } from "../test/support/k8s-checks.js";
import { PROMETHEUS_FILES } from "./monitoring/prometheus-server.js";

const scratch = tempDir("operator");
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe("OperatorMonitoringChart", () => {
  it("synthesizes the operator profile (snapshot)", () => {
    expect(synthObjects(operatorMonitoring())).toMatchSnapshot();
  });

  it("emits a ServiceMonitor, a PrometheusRule and the dashboard ConfigMap, and no Prometheus or Grafana", () => {
    const objects = synthObjects(operatorMonitoring()) as any[];
    expect(objects.map((o) => o.kind)).toEqual(["ServiceMonitor", "PrometheusRule", "ConfigMap"]);
  });

  it("labels everything for the configured kube-prometheus-stack release", () => {
    const objects = synthObjects(
      operatorMonitoring({ monitoring: { operatorSelectorLabels: { release: "monitoring-stack" } } }),
    ) as any[];
    expect(objects).toHaveLength(3);
    for (const o of objects) expect(o.metadata.labels.release, o.kind).toBe("monitoring-stack");
  });

  it("ships the same rules as the standalone Prometheus", () => {
    // Compare what each profile emits: the PrometheusRule's groups against the rule file in the standalone
    // Prometheus' ConfigMap (not the chart's ruleGroups field against the function that computed it).
    const emitted = synthObjects(operatorMonitoring()) as any[];
    const operatorGroups = emitted.find((o) => o.kind === "PrometheusRule").spec.groups;
    const standalone = synthObjects(standaloneMonitoring()) as any[];
    const configMap = standalone.find((o) => o.kind === "ConfigMap" && o.metadata.name === "prometheus");
    const standaloneGroups = parse(configMap.data[PROMETHEUS_FILES.rules]).groups;
    expect(operatorGroups.length).toBeGreaterThan(0);
    // The operator's groups carry the evaluation interval that the standalone config sets globally.
    const standaloneInterval = parse(configMap.data[PROMETHEUS_FILES.config]).global.evaluation_interval;
    for (const group of operatorGroups) expect(group.interval).toBe(standaloneInterval);
    expect(operatorGroups.map(({ interval: _, ...group }: any) => group)).toEqual(standaloneGroups);
  });

  it("passes the schema (prometheus-operator models included) and every semantic check", async () => {
    const { namespaces, inference, monitoring } = appFor({ monitoring: { mode: "operator" } });
    const objects = [namespaces, inference, monitoring!].flatMap((c) => synthObjects(c));
    expect(objects.some((o) => o.kind === "Namespace" && o.metadata.name === "monitoring")).toBe(false);
    expect(await manifestProblems(objects, { externalNamespaces: ["monitoring"] })).toEqual([]);
  });

  it("is produced by `npm run synth -- --settings <file> --outdir <dir>` as the README says", async () => {
    const settings = join(scratch, "operator.json");
    const outdir = join(scratch, "dist-operator");
    writeFileSync(settings, JSON.stringify({ monitoring: { mode: "operator" } }));
    const result = spawnSync(
      process.execPath,
      ["--import", "tsx", "charts/main.ts", "--settings", settings, "--outdir", outdir],
      { encoding: "utf8" },
    );
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    expect(readdirSync(outdir)).toEqual([
      "0000-namespaces.k8s.yaml",
      "0001-inference.k8s.yaml",
      "0002-monitoring.k8s.yaml",
    ]);
    const loaded = loadManifestDir(outdir);
    expect(loaded.filter((l) => l.file === "0002-monitoring.k8s.yaml").map((l) => l.object.kind)).toEqual([
      "ServiceMonitor",
      "PrometheusRule",
      "ConfigMap",
    ]);
    expect(await manifestProblems(loaded, { externalNamespaces: ["monitoring"] })).toEqual([]);
  });
});
