/* eslint-disable @typescript-eslint/no-explicit-any -- tests navigate synthesized YAML freely; the schema checks type it */
import { describe, expect, it } from "vitest";
import { operatorMonitoring, standaloneMonitoring } from "../test/monitoring/fixtures.js";
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
      { autoscaling: { mode: "requests" } },
      {
        autoscaling: {
          mode: "requests",
          requests: { prometheusUrl: "http://prometheus-operated.monitoring.svc:9090", fallbackReplicas: 6 },
        },
        monitoring: { mode: "operator" },
      },
    ];
    for (const profile of profiles) {
      const { namespaces, inference } = synth(profile);
      expect(await manifestProblems([...namespaces, ...inference])).toEqual([]);
    }
  });
});

describe("InferenceChart in autoscaling mode requests", () => {
  const requestsMode: SettingsOverrides = {
    autoscaling: { mode: "requests", minReplicas: 3, maxReplicas: 12 },
  };

  it("emits a KEDA ScaledObject instead of our HorizontalPodAutoscaler", () => {
    const { inference } = synth(requestsMode);
    expect(kinds(inference)).toEqual([
      "ServiceAccount",
      "Deployment",
      "Service",
      "ScaledObject",
      "PodDisruptionBudget",
      "NetworkPolicy",
    ]);
  });

  it("scales the Deployment on the service's user request rate from the standalone Prometheus, 311 req/s per pod", () => {
    const { inference, chart } = synth(requestsMode);
    const scaled = inference.find((o) => o.kind === "ScaledObject") as any;
    expect(scaled.spec).toMatchObject({
      scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: "iris-inference" },
      minReplicaCount: 3,
      maxReplicaCount: 12,
      advanced: {
        horizontalPodAutoscalerConfig: { behavior: { scaleDown: { stabilizationWindowSeconds: 300 } } },
      },
    });
    expect(scaled.spec.triggers[0]).toMatchObject({
      type: "prometheus",
      metricType: "AverageValue",
      metadata: {
        serverAddress: "http://prometheus.monitoring.svc:9090",
        query:
          'sum(rate(http_requests_total{job="iris-inference",namespace="infer8s",route!~"/health|/ready|/metrics"}[1m]))',
        threshold: "311",
      },
    });
    expect(chart.autoscaler.hpaName).toBe("keda-hpa-iris-inference");
  });

  it("points KEDA at the standalone Prometheus the monitoring chart deploys, in its namespace", () => {
    const { inference, monitoring } = buildApp(
      resolveSettings({ ...requestsMode, monitoring: { namespace: "observability" } }),
      "unused-outdir",
    );
    const scaled = synthObjects(inference).find((o) => o.kind === "ScaledObject") as any;
    expect(monitoring && "prometheus" in monitoring).toBe(true);
    const prometheusUrl = (monitoring as { prometheus: { url: string } }).prometheus.url;
    expect(scaled.spec.triggers[0].metadata.serverAddress).toBe(prometheusUrl);
    expect(prometheusUrl).toBe("http://prometheus.observability.svc:9090");
  });

  it("fails the strict schema check when a ScaledObject field is misspelt", async () => {
    const { namespaces, inference } = synth(requestsMode);
    const misspelt = inference.map((o: any) =>
      o.kind === "ScaledObject"
        ? { ...o, spec: { ...o.spec, triggers: [{ ...o.spec.triggers[0], metricTyp: "Value" }] } }
        : o,
    );
    expect(await manifestProblems([...namespaces, ...misspelt])).toEqual([
      "ScaledObject infer8s/iris-inference: spec.triggers[0].metricTyp: unknown field (not in IScaledObject of @kubernetes-models/keda 0.4.2)",
    ]);
  });

  it("fails the semantic checks when our HPA and the ScaledObject scale the same Deployment", async () => {
    const { namespaces, inference } = synth(requestsMode);
    const hpa = synth().inference.find((o) => o.kind === "HorizontalPodAutoscaler")!;
    expect(await manifestProblems([...namespaces, ...inference, hpa])).toEqual([
      "Deployment infer8s/iris-inference is scaled by 2 autoscalers: ScaledObject infer8s/iris-inference, HorizontalPodAutoscaler infer8s/iris-inference",
    ]);
  });
});

describe("api-key mode", () => {
  const AUTH = { auth: { mode: "api-key", secretName: "iris-inference-api-keys" } } as const;

  it("mounts the operator's Secret read-only as files and tells the server where they are", () => {
    const { inference } = synth(AUTH);
    const pod = (inference.find((o) => o.kind === "Deployment") as any).spec.template.spec;
    const container = pod.containers[0];
    expect(pod.volumes).toContainEqual({
      name: "api-keys",
      secret: { secretName: "iris-inference-api-keys", defaultMode: 0o440, optional: false },
    });
    expect(container.volumeMounts).toContainEqual({
      name: "api-keys",
      mountPath: "/var/run/secrets/infer8s/api-keys",
      readOnly: true,
    });
    const env = Object.fromEntries(container.env.map((e: any) => [e.name, e.value]));
    expect(env).toMatchObject({
      AUTH_MODE: "api-key",
      AUTH_KEYS_DIR: "/var/run/secrets/infer8s/api-keys",
      METRICS_PORT: "9090",
    });
    expect(container.env.every((e: any) => e.valueFrom === undefined)).toBe(true);
  });

  it("emits no Secret and no key: the operator creates the Secret", () => {
    const { inference } = synth(AUTH);
    expect(kinds(inference)).not.toContain("Secret");
    expect(JSON.stringify(inference)).not.toMatch(/"(data|stringData)"/);
  });

  it("moves /metrics to its own port, open to the monitoring namespace only", () => {
    const { inference } = synth({ ...AUTH, clientNamespaces: ["apps"] });
    const deployment = inference.find((o) => o.kind === "Deployment") as any;
    expect(deployment.spec.template.spec.containers[0].ports).toEqual([
      { name: "http", containerPort: 8080, protocol: "TCP" },
      { name: "metrics", containerPort: 9090, protocol: "TCP" },
    ]);
    expect(deployment.spec.template.metadata.annotations["prometheus.io/port"]).toBe("9090");
    const service = inference.find((o) => o.kind === "Service") as any;
    expect(service.spec.ports.map((p: any) => [p.name, p.port, p.targetPort])).toEqual([
      ["http", 80, "http"],
      ["metrics", 9090, "metrics"],
    ]);
    const policy = inference.find((o) => o.kind === "NetworkPolicy") as any;
    const byNamespace = (ns: string) => ({
      namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": ns } },
    });
    expect(policy.spec.ingress).toEqual([
      { from: [byNamespace("apps"), byNamespace("monitoring")], ports: [{ port: "http", protocol: "TCP" }] },
      { from: [byNamespace("monitoring")], ports: [{ port: "metrics", protocol: "TCP" }] },
    ]);
  });

  it("passes the Kubernetes schema and every semantic check, with monitoring on or off", async () => {
    for (const profile of [AUTH, { ...AUTH, monitoring: { enabled: false } }]) {
      const { namespaces, inference } = synth(profile);
      expect(await manifestProblems([...namespaces, ...inference])).toEqual([]);
    }
  });

  it("leaves the default deployment as it was: no auth variables, no second port", () => {
    const { inference } = synth();
    const text = JSON.stringify(inference);
    for (const absent of ["AUTH_MODE", "AUTH_KEYS_DIR", "METRICS_PORT", '"name":"metrics"', "api-keys"]) {
      expect(text).not.toContain(absent);
    }
  });

  it("fails the synth without a valid Secret name", () => {
    expect(() => synth({ auth: { mode: "api-key", secretName: "" } })).toThrow(
      'auth.secretName: must be a Secret name (a DNS-1123 subdomain), e.g. iris-inference-api-keys, got ""',
    );
  });
});

describe("api-key mode, as monitoring sees it", () => {
  const AUTH = { auth: { mode: "api-key", secretName: "iris-inference-api-keys" } } as const;

  it("scrapes the metrics port by name, in standalone and operator mode", () => {
    const standalone = standaloneMonitoring(AUTH);
    const job = standalone.prometheus.config.scrape_configs.find(
      (j) => j.job_name === standalone.monitored.serviceName,
    );
    expect(JSON.stringify(job?.relabel_configs)).toContain('"regex":"metrics"');
    const objects = synthObjects(operatorMonitoring(AUTH)) as any[];
    const monitor = objects.find((o) => o.kind === "ServiceMonitor");
    expect(monitor.spec.endpoints.map((e: any) => e.port)).toEqual(["metrics"]);
    // Without auth, the API port serves the metrics as before.
    expect(standaloneMonitoring().monitored.portName).toBe("http");
  });
});
