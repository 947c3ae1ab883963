import { JsonPatch, Testing } from "cdk8s";
import { describe, expect, it } from "vitest";
import { InferenceNetworkPolicy, type InferenceNetworkPolicyProps } from "./inference-network-policy.js";
import { chartWithService } from "../../test/support/inference-fixtures.js";

function policy(props: Omit<InferenceNetworkPolicyProps, "service"> = {}) {
  const { chart, service } = chartWithService();
  const construct = new InferenceNetworkPolicy(chart, "netpol", { service, ...props });
  return { construct, service, spec: Testing.synth(chart).find((o) => o.kind === "NetworkPolicy").spec };
}

describe("InferenceNetworkPolicy", () => {
  it("admits ingress from any source to the http port only by default", () => {
    const { spec, service } = policy({ monitoringNamespace: "monitoring" });
    expect(spec).toEqual({
      podSelector: { matchLabels: service.selectorLabels },
      policyTypes: ["Ingress"],
      ingress: [{ ports: [{ port: "http", protocol: "TCP" }] }],
    });
  });

  it("admits only the client namespaces and the monitoring namespace when clients are listed", () => {
    const { spec, construct } = policy({
      clientNamespaces: ["web", "batch"],
      monitoringNamespace: "monitoring",
    });
    const byName = (ns: string) => ({
      namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": ns } },
    });
    expect(spec.ingress).toEqual([
      {
        from: [byName("web"), byName("batch"), byName("monitoring")],
        ports: [{ port: "http", protocol: "TCP" }],
      },
    ]);
    expect(construct.allowedNamespaces).toEqual(["web", "batch", "monitoring"]);
  });

  it("admits HBONE from the same sources in the ambient mesh, and the probes' rewritten source with listed clients", () => {
    const http = { port: "http", protocol: "TCP" };
    const hbone = { port: 15008, protocol: "TCP" };
    expect(policy({ ambientMesh: true }).spec.ingress).toEqual([{ ports: [http, hbone] }]);
    const { spec } = policy({
      ambientMesh: true,
      clientNamespaces: ["web"],
      monitoringNamespace: "monitoring",
    });
    expect(spec.ingress).toEqual([
      {
        from: ["web", "monitoring"].map((ns) => ({
          namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": ns } },
        })),
        ports: [http, hbone],
      },
      {
        from: [
          { ipBlock: { cidr: "169.254.7.127/32" } },
          { ipBlock: { cidr: "fd16:9254:7127:1337:ffff:ffff:ffff:ffff/128" } },
        ],
        ports: [http],
      },
    ]);
  });

  it("rejects an empty client list, which would admit nobody", () => {
    expect(() => policy({ clientNamespaces: [] })).toThrow(
      'InferenceNetworkPolicy: props.clientNamespaces must be "any" or a non-empty list',
    );
  });

  it("fails the synth when the policy does not admit the port the Service targets", () => {
    const { chart, service } = chartWithService();
    const construct = new InferenceNetworkPolicy(chart, "netpol", { service });
    expect(() => Testing.synth(chart)).not.toThrow();
    // The generated KubeNetworkPolicy reads an IntOrString field's `value` when it serializes.
    construct.policy.addJsonPatch(JsonPatch.replace("/spec/ingress/0/ports/0/port", { value: "metrics" }));
    expect(() => Testing.synth(chart)).toThrow(
      "Validation failed with the following errors:\n" +
        '  [test/netpol] NetworkPolicy iris-inference admits ports ["metrics"] but Service iris-inference targets ' +
        'port "http"; traffic through the Service would be dropped',
    );
  });
});
