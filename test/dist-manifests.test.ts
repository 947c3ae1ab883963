/* eslint-disable @typescript-eslint/no-explicit-any -- tests navigate synthesized YAML freely; the schema checks type it */
import { describe, expect, it } from "vitest";
import { resolveEnvironments } from "../charts/environments.js";
import { ENV } from "../src/contract/index.js";
import { environmentDirs } from "./support/environment-dirs.js";
import { KUBERNETES_SCHEMA_VERSION } from "./support/k8s-schema.js";
import {
  loadManifestDir,
  manifestProblems,
  type KubeObject,
  type LoadedObject,
} from "./support/k8s-checks.js";

const loaded: LoadedObject[] = loadManifestDir("dist");
const objects = loaded.map((l) => l.object);

describe("dist/", () => {
  it("holds the inference deployment", () => {
    const ids = objects.map((o) => `${o.kind}/${o.metadata.namespace ?? ""}/${o.metadata.name}`);
    expect(ids).toEqual(
      expect.arrayContaining([
        "Namespace//infer8s",
        "ServiceAccount/infer8s/iris-inference",
        "Deployment/infer8s/iris-inference",
        "Service/infer8s/iris-inference",
        "HorizontalPodAutoscaler/infer8s/iris-inference",
        "PodDisruptionBudget/infer8s/iris-inference",
        "NetworkPolicy/infer8s/iris-inference",
      ]),
    );
  });

  it(`validates against the Kubernetes ${KUBERNETES_SCHEMA_VERSION} schema and passes every semantic check`, async () => {
    expect(KUBERNETES_SCHEMA_VERSION).toBe("1.28");
    expect(await manifestProblems(objects)).toEqual([]);
  });

  it("creates namespaces in the first file, before anything that lives in them", () => {
    const files = [...new Set(loaded.map((l) => l.file))];
    expect(files[0]).toBe("0000-namespaces.k8s.yaml");
    expect(loaded.filter((l) => l.object.kind === "Namespace").every((l) => l.file === files[0])).toBe(true);
    expect(files.every((f) => /^\d{4}-[a-z0-9-]+\.k8s\.yaml$/.test(f))).toBe(true);
  });

  it("carries no cdk8s bookkeeping (construct addresses, metadata files)", () => {
    const text = JSON.stringify(objects);
    expect(text).not.toContain("cdk8s.io/");
    expect(loaded.every((l) => l.file.endsWith(".yaml"))).toBe(true);
  });

  it("deploys the Service users port-forward to: svc/iris-inference port 80 in infer8s", () => {
    const service = objects.find((o) => o.kind === "Service" && o.metadata.name === "iris-inference") as any;
    expect(service.metadata.namespace).toBe("infer8s");
    expect(service.spec.ports[0]).toMatchObject({ port: 80, targetPort: "http" });
  });
});

const environments = environmentDirs().map((e) => ({
  ...e,
  loaded: loadManifestDir(e.dir),
  settings: resolveEnvironments([e.environment])[0]!.settings,
}));

describe.each(environments.map((e) => [e.dir, e.name, e]))("%s/ (environment %s)", (_dir, _name, env) => {
  const objects = env.loaded.map((l) => l.object);
  const { settings } = env;
  const find = (kind: string, name = "iris-inference") =>
    objects.find((o) => o.kind === kind && o.metadata.name === name) as any;
  const external = settings.monitoring.mode === "operator" ? [settings.monitoring.namespace] : [];

  it(`validates against the Kubernetes ${KUBERNETES_SCHEMA_VERSION} schema and passes every semantic check`, async () => {
    expect(objects.length).toBeGreaterThan(0);
    expect(await manifestProblems(objects, { externalNamespaces: external })).toEqual([]);
  });

  it("creates its namespaces in its first file, and holds no subdirectory of its own", () => {
    const files = [...new Set(env.loaded.map((l) => l.file))];
    expect(files[0]).toBe("0000-namespaces.k8s.yaml");
    expect(files.every((f) => /^\d{4}-[a-z0-9-]+\.k8s\.yaml$/.test(f))).toBe(true);
    const namespaces = objects.filter((o) => o.kind === "Namespace").map((o) => o.metadata.name);
    expect(namespaces).toEqual(
      settings.monitoring.mode === "standalone"
        ? [settings.namespace, settings.monitoring.namespace]
        : [settings.namespace],
    );
  });

  it("deploys what its settings say: image, resources, log level, replicas, ingress, monitoring mode", () => {
    const container = find("Deployment").spec.template.spec.containers[0];
    expect(container.image).toBe(`${settings.image.repository}:${settings.image.tag}`);
    expect(settings.image.tag).not.toBe("latest");
    expect(container.resources).toEqual({
      requests: settings.resources.requests,
      limits: settings.resources.limits,
    });
    expect(container.env).toContainEqual({ name: ENV.logLevel, value: settings.server.logLevel });
    expect(find("HorizontalPodAutoscaler").spec).toMatchObject({
      minReplicas: settings.autoscaling.minReplicas,
      maxReplicas: settings.autoscaling.maxReplicas,
    });
    const ingress = find("Ingress");
    expect(ingress?.spec.rules[0].host).toBe(settings.ingress.host);
    const monitoringKinds = objects.filter((o) => o.kind === "ServiceMonitor" || o.kind === "PrometheusRule");
    expect(monitoringKinds.length > 0).toBe(settings.monitoring.mode === "operator");
    expect(find("Deployment", "prometheus") !== undefined).toBe(settings.monitoring.mode === "standalone");
  });
});

describe("the environments in dist/", () => {
  it("differ where the README says: replicas, resources, log level, ingress host, image, monitoring mode", () => {
    const distinct = (pick: (s: (typeof environments)[number]["settings"]) => unknown) =>
      new Set(environments.map((e) => JSON.stringify(pick(e.settings)))).size;
    expect(environments.map((e) => e.name)).toEqual(["default", "development", "staging", "production"]);
    expect(distinct((s) => s.autoscaling)).toBe(environments.length);
    expect(distinct((s) => s.resources)).toBeGreaterThanOrEqual(3);
    expect(distinct((s) => s.server.logLevel)).toBeGreaterThanOrEqual(3);
    expect(distinct((s) => s.ingress.host)).toBe(3);
    expect(distinct((s) => s.image)).toBe(3);
    expect(distinct((s) => s.monitoring.mode)).toBe(2);
  });

  it("can share one cluster: no namespace used by two environments, no cluster-scoped name twice", () => {
    const owners = new Map<string, Set<string>>();
    const claim = (key: string, environment: string) =>
      owners.set(key, new Set([...(owners.get(key) ?? []), environment]));
    for (const env of environments) {
      for (const { object } of env.loaded) {
        const namespace = object.metadata.namespace;
        claim(namespace === undefined ? clusterScopedId(object) : `namespace ${namespace}`, env.name);
      }
    }
    const shared = [...owners]
      .filter(([, envs]) => envs.size > 1)
      .map(([key, envs]) => `${key}: ${[...envs]}`);
    expect(owners.size).toBeGreaterThan(environments.length * 2);
    expect(shared).toEqual([]);
    // The default environment keeps the names of before there were environments.
    expect(owners.get("ClusterRole infer8s-prometheus-nodes")).toEqual(new Set(["default"]));
  });
});

function clusterScopedId(object: KubeObject): string {
  return `${object.kind} ${object.metadata.name}`;
}
