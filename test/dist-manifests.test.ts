/* eslint-disable @typescript-eslint/no-explicit-any -- tests navigate synthesized YAML freely; the schema checks type it */
import { describe, expect, it } from "vitest";
import { KUBERNETES_SCHEMA_VERSION } from "./support/k8s-schema.js";
import { loadManifestDir, manifestProblems, type LoadedObject } from "./support/k8s-checks.js";

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
