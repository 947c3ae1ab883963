/* eslint-disable @typescript-eslint/no-explicit-any -- tests navigate synthesized YAML freely; the schema checks type it */
import { describe, expect, it } from "vitest";
import { manifestProblems, synthObjects } from "../test/support/k8s-checks.js";
import { buildApp } from "./app.js";
import { DEFAULT_SETTINGS, resolveSettings, type SettingsOverrides } from "./settings.js";

function synth(overrides: SettingsOverrides = {}) {
  const { namespaces, inference } = buildApp(resolveSettings(overrides), "unused-outdir");
  return { namespaces: synthObjects(namespaces), inference: synthObjects(inference), chart: inference };
}
const kinds = (objects: { kind: string }[]) => objects.map((o) => o.kind);

describe("InferenceChart and NamespacesChart", () => {
  it("synthesize the default deployment (snapshot)", () => {
    const { namespaces, inference } = synth();
    expect(namespaces).toMatchSnapshot("namespaces");
    expect(inference).toMatchSnapshot("inference");
  });

  it("emit the namespaces, then the service, its autoscaler, budget and network policy", () => {
    const { namespaces, inference } = synth();
    expect(namespaces.map((o) => o.metadata.name)).toEqual(["infer8s", "monitoring"]);
    expect(kinds(inference)).toEqual([
      "ServiceAccount",
      "Deployment",
      "Service",
      "HorizontalPodAutoscaler",
      "PodDisruptionBudget",
      "NetworkPolicy",
    ]);
    expect(new Set(inference.map((o) => o.metadata.name))).toEqual(new Set(["iris-inference"]));
  });

  it("set terminationGracePeriodSeconds from the drain and in-flight settings", () => {
    const { inference } = synth({ server: { drainSeconds: 12, inflightTimeoutSeconds: 30 } });
    const deployment = inference.find((o) => o.kind === "Deployment") as any;
    expect(deployment.spec.template.spec.terminationGracePeriodSeconds).toBe(47);
  });

  it("pass the server's HTTP timeouts and a fractional drain into the container's environment", () => {
    const { inference } = synth({
      server: { drainSeconds: 2.5, http: { headersTimeoutSeconds: 4, requestTimeoutSeconds: 12.5 } },
    });
    const deployment = inference.find((o) => o.kind === "Deployment") as any;
    const env = Object.fromEntries(
      deployment.spec.template.spec.containers[0].env.map((e: any) => [e.name, e.value]),
    );
    expect(env).toMatchObject({
      SHUTDOWN_DRAIN_SECONDS: "2.5",
      HTTP_KEEP_ALIVE_TIMEOUT_SECONDS: "65",
      HTTP_HEADERS_TIMEOUT_SECONDS: "4",
      HTTP_REQUEST_TIMEOUT_SECONDS: "12.5",
    });
    expect(deployment.spec.template.spec.terminationGracePeriodSeconds).toBe(18);
  });

  it("take the HPA behavior and the server's probe timings from settings", () => {
    const { inference } = synth({
      autoscalingBehavior: {
        scaleUp: {
          stabilizationWindowSeconds: 60,
          selectPolicy: "Min",
          policies: [{ type: "Pods", value: 1, periodSeconds: 30 }],
        },
        scaleDown: DEFAULT_SETTINGS.autoscalingBehavior.scaleDown,
      },
      probes: {
        ...DEFAULT_SETTINGS.probes,
        readiness: { periodSeconds: 9, timeoutSeconds: 4, failureThreshold: 6 },
      },
    });
    const hpa = inference.find((o) => o.kind === "HorizontalPodAutoscaler") as any;
    expect(hpa.spec.behavior).toEqual({
      scaleUp: {
        stabilizationWindowSeconds: 60,
        selectPolicy: "Min",
        policies: [{ type: "Pods", value: 1, periodSeconds: 30 }],
      },
      scaleDown: {
        stabilizationWindowSeconds: 300,
        selectPolicy: "Max",
        policies: [{ type: "Percent", value: 50, periodSeconds: 15 }],
      },
    });
    const container = (inference.find((o) => o.kind === "Deployment") as any).spec.template.spec
      .containers[0];
    expect(container.readinessProbe).toMatchObject({
      periodSeconds: 9,
      timeoutSeconds: 4,
      failureThreshold: 6,
    });
    expect(container.livenessProbe).toMatchObject({
      periodSeconds: 10,
      timeoutSeconds: 3,
      failureThreshold: 3,
    });
  });

  it("add an Ingress only when a host is configured", () => {
    expect(kinds(synth().inference)).not.toContain("Ingress");
    const withHost = synth({ ingress: { host: "iris.example.com", className: "nginx" } }).inference;
    expect(withHost.find((o) => o.kind === "Ingress")?.spec).toMatchObject({
      ingressClassName: "nginx",
      rules: [{ host: "iris.example.com" }],
    });
  });

  it("create the monitoring namespace only for the standalone monitoring stack", () => {
    const names = (o: SettingsOverrides) => synth(o).namespaces.map((n) => n.metadata.name);
    expect(names({ monitoring: { mode: "operator" } })).toEqual(["infer8s"]);
    expect(names({ monitoring: { enabled: false } })).toEqual(["infer8s"]);
  });

  it("admit the monitoring namespace alongside listed clients", () => {
    const policy = synth({ clientNamespaces: ["web"] }).inference.find(
      (o) => o.kind === "NetworkPolicy",
    ) as any;
    const from = policy.spec.ingress[0].from.map(
      (p: any) => p.namespaceSelector.matchLabels["kubernetes.io/metadata.name"],
    );
    expect(from).toEqual(["web", "monitoring"]);
  });

  it("pass the schema and semantic checks in every profile", async () => {
    const profiles: SettingsOverrides[] = [
      {},
      { ingress: { host: "iris.example.com", className: "nginx", tlsSecretName: "iris-tls" } },
      { clientNamespaces: ["web"], service: { type: "LoadBalancer" } },
      { monitoring: { enabled: false }, namespace: "ml" },
    ];
    for (const profile of profiles) {
      const { namespaces, inference } = synth(profile);
      expect(await manifestProblems([...namespaces, ...inference])).toEqual([]);
    }
  });
});
