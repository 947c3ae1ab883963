/* eslint-disable @typescript-eslint/no-explicit-any -- tests navigate synthesized YAML freely; the schema checks type it */
import { describe, expect, it } from "vitest";
import { manifestProblems, synthObjects, type KubeObject } from "../test/support/k8s-checks.js";
import { buildApp } from "./app.js";
import { resolveSettings, type SettingsOverrides } from "./settings.js";

const ISTIO_KINDS = ["PeerAuthentication", "AuthorizationPolicy"];

function synth(overrides: SettingsOverrides = {}): any[] {
  const { app } = buildApp(resolveSettings(overrides), "unused-outdir");
  return app.charts.flatMap((chart) => synthObjects(chart));
}
const ambient = (overrides: SettingsOverrides = {}) =>
  synth({ ...overrides, mesh: { mode: "istio-ambient", ...overrides.mesh } });
const ofKind = (objects: any[], kind: string) => objects.filter((o) => o.kind === kind);
const named = (objects: any[], kind: string, name: string) =>
  objects.find((o) => o.kind === kind && o.metadata.name === name);
const selector = {
  matchLabels: {
    "app.kubernetes.io/component": "inference-server",
    "app.kubernetes.io/instance": "iris-inference",
    "app.kubernetes.io/name": "iris-inference",
  },
};

describe('mesh.mode "none" (the default)', () => {
  it("emits nothing of Istio: no policies, no ambient label, no HBONE port", () => {
    const objects = synth();
    expect(objects.filter((o) => ISTIO_KINDS.includes(o.kind))).toEqual([]);
    for (const ns of ofKind(objects, "Namespace")) {
      expect(ns.metadata.labels).not.toHaveProperty("istio.io/dataplane-mode");
    }
    expect(named(objects, "NetworkPolicy", "iris-inference").spec.ingress).toEqual([
      { ports: [{ port: "http", protocol: "TCP" }] },
    ]);
  });
});

describe('mesh.mode "istio-ambient"', () => {
  const clients = { clientNamespaces: ["web", "batch"] } as const;

  it("passes every manifest check, the restricted Pod Security profile included", async () => {
    for (const objects of [ambient(clients), ambient(), ambient({ monitoring: { mode: "operator" } })]) {
      const external = objects.some((o) => o.kind === "ServiceMonitor") ? ["monitoring"] : [];
      expect(await manifestProblems(objects as KubeObject[], { externalNamespaces: external })).toEqual([]);
    }
  });

  it("enrols both namespaces in the ambient mesh and keeps them restricted (no sidecar, no NET_ADMIN)", () => {
    for (const ns of ofKind(ambient(), "Namespace")) {
      expect(ns.metadata.labels).toMatchObject({
        "istio.io/dataplane-mode": "ambient",
        "pod-security.kubernetes.io/enforce": "restricted",
      });
      expect(ns.metadata.labels).not.toHaveProperty("istio-injection");
    }
  });

  it("requires STRICT mTLS namespace-wide in both namespaces", () => {
    const policies = ofKind(ambient(), "PeerAuthentication");
    expect(policies.map((p) => [p.apiVersion, p.metadata.namespace, p.metadata.name, p.spec])).toEqual([
      ["security.istio.io/v1", "infer8s", "default", { mtls: { mode: "STRICT" } }],
      ["security.istio.io/v1", "monitoring", "default", { mtls: { mode: "STRICT" } }],
    ]);
  });

  it("admits only the client namespaces to the API port and only Prometheus' principal to the metrics port", () => {
    const policies = ofKind(ambient(clients), "AuthorizationPolicy");
    expect(policies.map((p) => [p.metadata.namespace, p.metadata.name, p.spec])).toEqual([
      [
        "infer8s",
        "iris-inference-api",
        {
          selector,
          action: "ALLOW",
          rules: [
            {
              from: [{ source: { namespaces: ["web", "batch"] } }],
              to: [{ operation: { ports: ["8080"] } }],
            },
          ],
        },
      ],
      [
        "infer8s",
        "iris-inference-metrics",
        {
          selector,
          action: "ALLOW",
          rules: [
            {
              from: [{ source: { principals: ["cluster.local/ns/monitoring/sa/prometheus"] } }],
              to: [{ operation: { ports: ["8080"] } }],
            },
          ],
        },
      ],
    ]);
  });

  it("names the ServiceAccount the standalone Prometheus really runs as", () => {
    const objects = ambient();
    const prometheus = named(objects, "Deployment", "prometheus");
    const principal = named(objects, "AuthorizationPolicy", "iris-inference-metrics").spec.rules[0].from[0]
      .source.principals[0];
    expect(principal).toBe(
      `cluster.local/ns/${prometheus.metadata.namespace}/sa/${prometheus.spec.template.spec.serviceAccountName}`,
    );
  });

  it("fails the synth when the metrics policy and the Prometheus ServiceAccount drift apart", () => {
    const { inference, monitoring } = buildApp(
      resolveSettings({ mesh: { mode: "istio-ambient" } }),
      "unused-outdir",
    );
    expect(() => synthObjects(inference)).not.toThrow();
    (monitoring as any).prometheus.name = "prometheus-server";
    expect(() => synthObjects(inference)).toThrow(
      "AuthorizationPolicy admits cluster.local/ns/monitoring/sa/prometheus to the metrics port, but Prometheus runs as cluster.local/ns/monitoring/sa/prometheus-server",
    );
  });

  it('admits any workload with a mesh identity when clientNamespaces is "any"', () => {
    const api = named(ambient(), "AuthorizationPolicy", "iris-inference-api");
    expect(api.spec.rules).toEqual([
      { from: [{ source: { principals: ["*"] } }], to: [{ operation: { ports: ["8080"] } }] },
    ]);
  });

  it("admits kube-prometheus-stack's ServiceAccount in operator mode, in the configured trust domain", () => {
    const objects = ambient({
      monitoring: { mode: "operator", namespace: "observability" },
      mesh: { trustDomain: "corp.example", operatorPrometheusServiceAccount: "kps-prometheus" },
    });
    expect(named(objects, "AuthorizationPolicy", "iris-inference-metrics").spec.rules[0].from).toEqual([
      { source: { principals: ["corp.example/ns/observability/sa/kps-prometheus"] } },
    ]);
    // kube-prometheus-stack's namespace is not ours: no label and no PeerAuthentication for it.
    expect(ofKind(objects, "PeerAuthentication").map((p) => p.metadata.namespace)).toEqual(["infer8s"]);
    expect(ofKind(objects, "Namespace").map((n) => n.metadata.name)).toEqual(["infer8s"]);
  });

  it("emits no metrics policy when monitoring is off", () => {
    const objects = ambient({ monitoring: { enabled: false } });
    expect(ofKind(objects, "AuthorizationPolicy").map((p) => p.metadata.name)).toEqual([
      "iris-inference-api",
    ]);
  });

  it("keeps the NetworkPolicy and admits HBONE (15008) and the probes' link-local source", () => {
    expect(named(ambient(clients), "NetworkPolicy", "iris-inference").spec.ingress).toEqual([
      {
        from: ["web", "batch", "monitoring"].map((ns) => ({
          namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": ns } },
        })),
        ports: [
          { port: "http", protocol: "TCP" },
          { port: 15008, protocol: "TCP" },
        ],
      },
      {
        from: [
          { ipBlock: { cidr: "169.254.7.127/32" } },
          { ipBlock: { cidr: "fd16:9254:7127:1337:ffff:ffff:ffff:ffff/128" } },
        ],
        ports: [{ port: "http", protocol: "TCP" }],
      },
    ]);
    // Without `from` peers the probes are admitted already: no extra rule.
    expect(named(ambient(), "NetworkPolicy", "iris-inference").spec.ingress).toEqual([
      {
        ports: [
          { port: "http", protocol: "TCP" },
          { port: 15008, protocol: "TCP" },
        ],
      },
    ]);
  });
});
