import { Testing } from "cdk8s";
import { describe, expect, it } from "vitest";
import { RestrictedNamespace } from "./restricted-namespace.js";

function namespace(name: string, podSecurityVersion?: string) {
  const chart = Testing.chart();
  new RestrictedNamespace(chart, "ns", {
    name,
    labels: { "app.kubernetes.io/part-of": "infer8s" },
    ...(podSecurityVersion ? { podSecurityVersion } : {}),
  });
  return Testing.synth(chart)[0];
}

describe("RestrictedNamespace", () => {
  it("enforces, audits and warns on the restricted Pod Security Standard of Kubernetes 1.28", () => {
    expect(namespace("infer8s")).toEqual({
      apiVersion: "v1",
      kind: "Namespace",
      metadata: {
        name: "infer8s",
        labels: {
          "app.kubernetes.io/part-of": "infer8s",
          "pod-security.kubernetes.io/enforce": "restricted",
          "pod-security.kubernetes.io/enforce-version": "v1.28",
          "pod-security.kubernetes.io/audit": "restricted",
          "pod-security.kubernetes.io/audit-version": "v1.28",
          "pod-security.kubernetes.io/warn": "restricted",
          "pod-security.kubernetes.io/warn-version": "v1.28",
        },
      },
    });
  });

  it("rejects a name that is not a DNS-1123 label", () => {
    expect(() => namespace("ML")).toThrow(
      'RestrictedNamespace: props.name must be a DNS-1123 label, got "ML"',
    );
  });
});
