/* eslint-disable @typescript-eslint/no-explicit-any -- tests navigate synthesized YAML freely; the schema checks type it */
import { createHash } from "node:crypto";
import { Testing } from "cdk8s";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { prometheusInputsFor } from "../../test/monitoring/fixtures.js";
import {
  CONFIG_CHECKSUM_ANNOTATION,
  PROMETHEUS_FILES,
  PROMETHEUS_IMAGE,
  PrometheusServer,
  type PrometheusServerProps,
} from "./prometheus-server.js";

const baseProps: PrometheusServerProps = { namespace: "monitoring", ...prometheusInputsFor() };
const service = baseProps.inference;

function synth(props: Partial<PrometheusServerProps> = {}) {
  const chart = Testing.chart();
  const prometheus = new PrometheusServer(chart, "prometheus", { ...baseProps, ...props });
  const objects = Testing.synth(chart) as any[];
  const find = (kind: string, name?: string) =>
    objects.find((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
  const deployment = find("Deployment");
  const container = deployment.spec.template.spec.containers[0];
  return { prometheus, objects, find, deployment, container };
}

describe("PrometheusServer", () => {
  it("runs the pinned prom/prometheus image with the config, data dir and 15-day retention", () => {
    const { container } = synth();
    expect(PROMETHEUS_IMAGE).toMatch(/^prom\/prometheus:v\d+\.\d+\.\d+$/);
    expect(container.image).toBe(PROMETHEUS_IMAGE);
    expect(container.args).toEqual([
      `--config.file=/etc/prometheus/${PROMETHEUS_FILES.config}`,
      "--storage.tsdb.path=/prometheus",
      "--storage.tsdb.retention.time=15d",
      "--web.listen-address=:9090",
    ]);
  });

  it("probes /-/ready for readiness and startup and /-/healthy for liveness", () => {
    const { container } = synth();
    expect(container.readinessProbe.httpGet).toEqual({ path: "/-/ready", port: "web", scheme: "HTTP" });
    expect(container.startupProbe.httpGet.path).toBe("/-/ready");
    expect(container.livenessProbe.httpGet).toEqual({ path: "/-/healthy", port: "web", scheme: "HTTP" });
  });

  it("stores the TSDB in an emptyDir by default and in a claim when storage is set", () => {
    const ephemeral = synth();
    expect(ephemeral.deployment.spec.template.spec.volumes).toContainEqual({ name: "data", emptyDir: {} });
    expect(ephemeral.find("PersistentVolumeClaim")).toBeUndefined();

    const persistent = synth({ storage: { size: "20Gi", storageClassName: "fast" } });
    expect(persistent.deployment.spec.template.spec.volumes).toContainEqual({
      name: "data",
      persistentVolumeClaim: { claimName: "prometheus" },
    });
    expect(persistent.find("PersistentVolumeClaim").spec).toEqual({
      accessModes: ["ReadWriteOnce"],
      storageClassName: "fast",
      resources: { requests: { storage: "20Gi" } },
    });
  });

  it("replaces its pod rather than rolling it: one TSDB, one writer", () => {
    expect(synth().deployment.spec.strategy).toEqual({ type: "Recreate" });
  });

  it("mounts the configuration and rules from one ConfigMap, as generated", () => {
    const { prometheus, find } = synth();
    const configMap = find("ConfigMap", "prometheus");
    expect(configMap.data[PROMETHEUS_FILES.config]).toBe(prometheus.configText);
    expect(configMap.data[PROMETHEUS_FILES.rules]).toBe(prometheus.rulesText);
    expect(parse(prometheus.configText).rule_files).toEqual([PROMETHEUS_FILES.rules]);
  });

  it("annotates the pod with the sha256 of configuration and rules, so a change rolls it", () => {
    const { prometheus, deployment } = synth();
    const expected = createHash("sha256")
      .update(prometheus.configText)
      .update("\0")
      .update(prometheus.rulesText)
      .digest("hex");
    expect(deployment.spec.template.metadata.annotations[CONFIG_CHECKSUM_ANNOTATION]).toBe(expected);
    const fewerRules = synth({ ruleGroups: baseProps.ruleGroups.slice(1) });
    expect(fewerRules.prometheus.configChecksum).not.toBe(expected);
    expect(synth().prometheus.configChecksum).toBe(expected);
  });

  it("mounts its ServiceAccount token, which discovery and the cAdvisor scrape use", () => {
    const { find, deployment } = synth();
    expect(find("ServiceAccount").automountServiceAccountToken).toBe(true);
    expect(deployment.spec.template.spec.serviceAccountName).toBe("prometheus");
  });

  it("may discover only pods, services and endpoint slices, and only in the inference namespace", () => {
    const { objects } = synth();
    const role = objects.find(
      (o) => o.metadata.name === "infer8s-prometheus-discovery" && o.kind === "ClusterRole",
    );
    expect(role.rules).toEqual([
      { apiGroups: [""], resources: ["pods", "services"], verbs: ["get", "list", "watch"] },
      { apiGroups: ["discovery.k8s.io"], resources: ["endpointslices"], verbs: ["get", "list", "watch"] },
    ]);
    const binding = objects.find((o) => o.kind === "RoleBinding");
    expect(binding.metadata.namespace).toBe(service.namespace);
    expect(binding.roleRef.name).toBe("infer8s-prometheus-discovery");
    expect(objects.filter((o) => o.kind === "ClusterRoleBinding").map((b) => b.roleRef.name)).toEqual([
      "infer8s-prometheus-nodes",
    ]);
  });

  it("may read nodes and GET nodes/proxy (cAdvisor), nothing more, cluster-wide", () => {
    const { objects } = synth();
    const role = objects.find(
      (o) => o.metadata.name === "infer8s-prometheus-nodes" && o.kind === "ClusterRole",
    );
    expect(role.rules).toEqual([
      { apiGroups: [""], resources: ["nodes"], verbs: ["get", "list", "watch"] },
      { apiGroups: [""], resources: ["nodes/proxy"], verbs: ["get"] },
    ]);
  });

  it("exposes its API on a Service at a stable in-cluster URL", () => {
    const { prometheus, find } = synth();
    expect(prometheus.url).toBe("http://prometheus.monitoring.svc:9090");
    expect(find("Service").spec.ports).toEqual([
      { name: "web", port: 9090, targetPort: "web", protocol: "TCP" },
    ]);
  });

  it.each([
    [
      { retention: "two weeks" as never },
      'PrometheusServer: props.retention must be a duration such as "15d", got "two weeks"',
    ],
    [
      { storage: { size: "20GB" } },
      'PrometheusServer: props.storage.size must be a quantity in Ki, Mi, Gi or Ti such as "20Gi", got "20GB"',
    ],
  ])("rejects %o", (props, message) => {
    expect(() => synth(props)).toThrow(message);
  });
});
