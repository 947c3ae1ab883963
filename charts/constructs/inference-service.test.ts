/* eslint-disable @typescript-eslint/no-explicit-any -- tests navigate synthesized YAML freely; the schema checks type it */
import { join } from "node:path";
import { Testing } from "cdk8s";
import { describe, expect, it } from "vitest";
import { parseServerConfig } from "../../src/contract/server-config.js";
import {
  API_KEYS_MOUNT_PATH,
  ENV,
  METRICS_PORT,
  PATHS,
  SERVER_PORT,
  SERVER_PORT_NAME,
} from "../../src/contract/index.js";
import { readDockerfile, stageNamed } from "../../test/support/dockerfile.js";
import { workloadObjects } from "../../test/support/workload-objects.js";
import { IMAGE_MODEL_DIR, InferenceService, type InferenceServiceProps } from "./inference-service.js";

const PROPS: InferenceServiceProps = {
  namespace: "ml",
  imageRepository: "registry.example.com/infer8s",
  imageTag: "1.2.3",
  requests: { cpu: "150m", memory: "200Mi" },
  limits: { cpu: "1", memory: "400Mi" },
  server: {
    logLevel: "warn",
    tfjsBackend: "wasm",
    bodyLimitBytes: 65536,
    maxRowsPerRequest: 64,
    drainSeconds: 4,
    inflightTimeoutSeconds: 6,
    batching: { enabled: false, maxRowsPerCall: 32, maxDelayMs: 2, queueRows: 512 },
    http: {
      keepAliveTimeoutSeconds: 75,
      headersTimeoutSeconds: 5.5,
      requestTimeoutSeconds: 20,
      maxConnectionAgeSeconds: 30,
      maxRequestsPerSocket: 500,
    },
  },
  probes: {
    startup: { periodSeconds: 3, timeoutSeconds: 2, failureThreshold: 40 },
    liveness: { periodSeconds: 11, timeoutSeconds: 4, failureThreshold: 5 },
    readiness: { periodSeconds: 6, timeoutSeconds: 1, failureThreshold: 3 },
  },
  terminationGracePeriodSeconds: 15,
};

function synth(props: Partial<InferenceServiceProps> = {}) {
  const chart = Testing.chart();
  const service = new InferenceService(chart, "inference", { ...PROPS, ...props });
  const { service: svc, ...parts } = workloadObjects(chart);
  return { service, svc, ...parts };
}

describe("InferenceService", () => {
  it("names the ServiceAccount, Deployment and Service iris-inference in the given namespace", () => {
    const { objects, service } = synth();
    expect(objects.map((o) => [o.kind, o.metadata.namespace, o.metadata.name])).toEqual([
      ["ServiceAccount", "ml", "iris-inference"],
      ["Deployment", "ml", "iris-inference"],
      ["Service", "ml", "iris-inference"],
    ]);
    expect(service).toMatchObject({ name: "iris-inference", serviceName: "iris-inference", namespace: "ml" });
  });

  it("exposes what Prometheus needs from the contract, not retyped", () => {
    const { service } = synth();
    expect(service.portName).toBe(SERVER_PORT_NAME);
    expect(service.containerPort).toBe(SERVER_PORT);
    expect(service.metricsPath).toBe(PATHS.metrics);
    expect(service.selectorLabels).toEqual({
      "app.kubernetes.io/name": "iris-inference",
      "app.kubernetes.io/instance": "iris-inference",
      "app.kubernetes.io/component": "inference-server",
    });
  });

  it("labels every object and the pods with the recommended labels, version from the image tag", () => {
    const { objects, pod } = synth();
    const expected = {
      "app.kubernetes.io/name": "iris-inference",
      "app.kubernetes.io/instance": "iris-inference",
      "app.kubernetes.io/component": "inference-server",
      "app.kubernetes.io/version": "1.2.3",
      "app.kubernetes.io/part-of": "infer8s",
      "app.kubernetes.io/managed-by": "cdk8s",
    };
    for (const o of objects) expect(o.metadata.labels).toEqual(expected);
    expect(pod.metadata.labels).toEqual(expected);
  });

  it("leaves replicas to the autoscaler unless a fixed count is given", () => {
    expect(synth().deployment.spec).not.toHaveProperty("replicas");
    expect(synth({ replicas: 3 }).deployment.spec.replicas).toBe(3);
  });

  it("selects its pods by the stable labels only", () => {
    const { deployment, svc, service } = synth();
    expect(deployment.spec.selector).toEqual({ matchLabels: service.selectorLabels });
    expect(svc.spec.selector).toEqual(service.selectorLabels);
  });

  it("rolls out by surging and never takes a serving pod away first", () => {
    expect(synth().deployment.spec.strategy).toEqual({
      type: "RollingUpdate",
      rollingUpdate: { maxSurge: "25%", maxUnavailable: 0 },
    });
  });

  it("pins the image and pulls it only when absent", () => {
    const { container } = synth();
    expect(container.image).toBe("registry.example.com/infer8s:1.2.3");
    expect(container.imagePullPolicy).toBe("IfNotPresent");
    expect(container.ports).toEqual([{ name: "http", containerPort: 8080, protocol: "TCP" }]);
  });

  it("probes startup and liveness on /health and readiness on /ready through the named port, timed by props", () => {
    const { container } = synth();
    const get = (path: string) => ({ path, port: "http", scheme: "HTTP" });
    expect(container.startupProbe).toEqual({
      httpGet: get(PATHS.health),
      periodSeconds: 3,
      timeoutSeconds: 2,
      failureThreshold: 40,
      successThreshold: 1,
    });
    expect(container.livenessProbe).toEqual({
      httpGet: get(PATHS.health),
      periodSeconds: 11,
      timeoutSeconds: 4,
      failureThreshold: 5,
      successThreshold: 1,
    });
    expect(container.readinessProbe).toEqual({
      httpGet: get(PATHS.ready),
      periodSeconds: 6,
      timeoutSeconds: 1,
      failureThreshold: 3,
      successThreshold: 1,
    });
  });

  it("requests and limits CPU and memory as given", () => {
    expect(synth().container.resources).toEqual({
      requests: { cpu: "150m", memory: "200Mi" },
      limits: { cpu: "1", memory: "400Mi" },
    });
  });

  it("runs under the restricted Pod Security Standard as the image's uid and gid", () => {
    const { pod, container } = synth();
    const imageUser = stageNamed(readDockerfile(join(import.meta.dirname, "../..")), "runtime").user ?? "";
    const [uid, gid] = imageUser.split(":").map(Number);
    const identity = { runAsNonRoot: true, runAsUser: uid, runAsGroup: gid };
    expect(pod.spec.securityContext).toMatchObject({ ...identity, fsGroup: gid });
    expect(container.securityContext).toMatchObject({ ...identity, readOnlyRootFilesystem: true });
    expect(pod.spec.automountServiceAccountToken).toBe(false);
  });

  it("gives the read-only container a writable /tmp", () => {
    const { pod, container } = synth();
    expect(container.volumeMounts).toEqual([{ name: "tmp", mountPath: "/tmp" }]);
    expect(pod.spec.volumes).toEqual([{ name: "tmp", emptyDir: { sizeLimit: "64Mi" } }]);
  });

  it("runs as its own ServiceAccount without a token", () => {
    const { pod, serviceAccount } = synth();
    expect(pod.spec.serviceAccountName).toBe("iris-inference");
    expect(serviceAccount.automountServiceAccountToken).toBe(false);
  });

  it("passes every server setting as the environment the server's config parser accepts", () => {
    const { container } = synth();
    const env = Object.fromEntries(
      container.env.map((e: { name: string; value: string }) => [e.name, e.value]),
    );
    // Without auth the auth variables are left out: the server's defaults are no auth.
    const authVariables: string[] = [ENV["auth.mode"], ENV["auth.keysDir"], ENV.metricsPort];
    expect(Object.keys(env)).toEqual(Object.values(ENV).filter((name) => !authVariables.includes(name)));
    const parsed = parseServerConfig(env);
    expect(parsed).toEqual({
      ok: true,
      config: {
        port: SERVER_PORT,
        host: "0.0.0.0",
        modelDir: IMAGE_MODEL_DIR,
        ...PROPS.server,
        auth: { mode: "none", keysDir: API_KEYS_MOUNT_PATH },
        metricsPort: METRICS_PORT,
      },
    });
  });

  it("caps the V8 heap through NODE_OPTIONS only when a heap limit is given", () => {
    const names = (c: any) => c.env.map((e: { name: string }) => e.name);
    expect(names(synth().container)).not.toContain("NODE_OPTIONS");
    expect(synth({ heapLimitMiB: 96 }).container.env.at(-1)).toEqual({
      name: "NODE_OPTIONS",
      value: "--max-old-space-size=96",
    });
    expect(() => synth({ heapLimitMiB: 0 })).toThrow(
      "InferenceService: props.heapLimitMiB must be a positive integer, got 0",
    );
  });

  it("waits longer than drain plus in-flight before killing a pod", () => {
    expect(synth().pod.spec.terminationGracePeriodSeconds).toBe(15);
  });

  it("spreads pods across nodes without refusing to schedule on a single node", () => {
    const { pod, service } = synth();
    expect(pod.spec.topologySpreadConstraints).toEqual([
      {
        maxSkew: 1,
        topologyKey: "kubernetes.io/hostname",
        whenUnsatisfiable: "ScheduleAnyway",
        labelSelector: { matchLabels: service.selectorLabels },
        matchLabelKeys: ["pod-template-hash"],
      },
    ]);
  });

  it("annotates pods for annotation-based Prometheus discovery", () => {
    expect(synth().pod.metadata.annotations).toEqual({
      "prometheus.io/scrape": "true",
      "prometheus.io/port": "8080",
      "prometheus.io/path": "/metrics",
    });
  });

  it("serves port 80 of a ClusterIP Service by default, targeting the named container port", () => {
    expect(synth().svc.spec).toMatchObject({
      type: "ClusterIP",
      ports: [{ name: "http", port: 80, targetPort: "http", protocol: "TCP" }],
    });
    expect(synth({ serviceType: "NodePort", servicePort: 8000 }).svc.spec).toMatchObject({
      type: "NodePort",
      ports: [{ port: 8000 }],
    });
  });

  it("rejects invalid props with a message naming the prop", () => {
    expect(() => synth({ imageTag: "latest" })).toThrow(
      'InferenceService: props.imageTag must pin a version, got "latest"',
    );
    expect(() => synth({ name: "Iris" })).toThrow(
      'InferenceService: props.name must be a DNS-1123 label, got "Iris"',
    );
    expect(() => synth({ terminationGracePeriodSeconds: 15.5 })).toThrow(
      "InferenceService: props.terminationGracePeriodSeconds must be whole seconds, got 15.5",
    );
    expect(() => synth({ replicas: 0 })).toThrow(
      "InferenceService: props.replicas must be a positive integer, got 0",
    );
  });

  it("fails the synth when the grace period does not exceed drain plus in-flight", () => {
    expect(() => synth({ terminationGracePeriodSeconds: 10 })).toThrow(
      "Validation failed with the following errors:\n" +
        "  [test/inference] Deployment iris-inference: terminationGracePeriodSeconds (10) must exceed " +
        "server.drainSeconds + server.inflightTimeoutSeconds (10), or Kubernetes kills pods still finishing requests",
    );
    expect(() => synth({ terminationGracePeriodSeconds: 11 })).not.toThrow();
  });
});
