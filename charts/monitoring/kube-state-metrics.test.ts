/* eslint-disable @typescript-eslint/no-explicit-any -- tests navigate synthesized YAML freely; the schema checks type it */
import { Testing } from "cdk8s";
import { describe, expect, it } from "vitest";
import {
  KUBE_STATE_METRICS_IMAGE,
  KubeStateMetrics,
  type KubeStateMetricsProps,
} from "./kube-state-metrics.js";

function synth(props: Partial<KubeStateMetricsProps> = {}) {
  const chart = Testing.chart();
  const ksm = new KubeStateMetrics(chart, "ksm", {
    namespace: "monitoring",
    watchedNamespaces: ["infer8s"],
    ...props,
  });
  const objects = Testing.synth(chart) as any[];
  const container = objects.find((o) => o.kind === "Deployment").spec.template.spec.containers[0];
  return { ksm, objects, container };
}

describe("KubeStateMetrics", () => {
  it("runs the pinned image, reporting only deployments, HPAs and pods of the watched namespaces", () => {
    const { container } = synth({ watchedNamespaces: ["infer8s", "other"] });
    expect(KUBE_STATE_METRICS_IMAGE).toMatch(
      /^registry\.k8s\.io\/kube-state-metrics\/kube-state-metrics:v\d+\.\d+\.\d+$/,
    );
    expect(container.image).toBe(KUBE_STATE_METRICS_IMAGE);
    expect(container.args).toEqual([
      "--resources=deployments,horizontalpodautoscalers,pods",
      "--namespaces=infer8s,other",
      "--port=8080",
      "--telemetry-port=8081",
    ]);
  });

  it("may only list and watch those three resources", () => {
    const role = synth().objects.find((o) => o.kind === "ClusterRole");
    expect(role.metadata.name).toBe("infer8s-kube-state-metrics");
    expect(role.rules).toEqual([
      { apiGroups: ["apps"], resources: ["deployments"], verbs: ["list", "watch"] },
      { apiGroups: ["autoscaling"], resources: ["horizontalpodautoscalers"], verbs: ["list", "watch"] },
      { apiGroups: [""], resources: ["pods"], verbs: ["list", "watch"] },
    ]);
  });

  it("is granted them by a RoleBinding per watched namespace, never cluster-wide", () => {
    const { objects } = synth({ watchedNamespaces: ["infer8s", "other"] });
    expect(objects.filter((o) => o.kind === "ClusterRoleBinding")).toEqual([]);
    const bindings = objects.filter((o) => o.kind === "RoleBinding");
    expect(bindings.map((b) => b.metadata.namespace)).toEqual(["infer8s", "other"]);
    for (const b of bindings) {
      expect(b.subjects).toEqual([
        { kind: "ServiceAccount", name: "kube-state-metrics", namespace: "monitoring" },
      ]);
    }
  });

  it("probes /livez on the metrics port and /readyz on the telemetry port", () => {
    const { container } = synth();
    expect(container.livenessProbe.httpGet).toEqual({ path: "/livez", port: "http-metrics", scheme: "HTTP" });
    expect(container.readinessProbe.httpGet).toEqual({ path: "/readyz", port: "telemetry", scheme: "HTTP" });
  });

  it("is scraped through its Service", () => {
    const { ksm, objects } = synth();
    expect(ksm.address).toBe("kube-state-metrics.monitoring.svc:8080");
    expect(objects.find((o) => o.kind === "Service").spec.ports[0]).toMatchObject({
      port: 8080,
      targetPort: "http-metrics",
    });
  });

  it("rejects an empty list of watched namespaces", () => {
    expect(() => synth({ watchedNamespaces: [] })).toThrow(
      "KubeStateMetrics: props.watchedNamespaces must name at least one namespace",
    );
  });
});
