/* eslint-disable @typescript-eslint/no-explicit-any -- tests navigate synthesized YAML freely */
import { Testing } from "cdk8s";
import { describe, expect, it } from "vitest";
import { chartWithService } from "../../test/support/inference-fixtures.js";
import { InferenceAuthorizationPolicy } from "./inference-authorization-policy.js";

describe("InferenceAuthorizationPolicy", () => {
  it("admits the client namespaces to the API port and Prometheus' principal to the metrics port", () => {
    const { chart, service } = chartWithService();
    new InferenceAuthorizationPolicy(chart, "authz", {
      service,
      clientNamespaces: ["web"],
      prometheusPrincipal: "cluster.local/ns/monitoring/sa/prometheus",
    });
    const policies = Testing.synth(chart).filter((o) => o.kind === "AuthorizationPolicy");
    expect(policies).toMatchSnapshot();
    expect(policies.map((p) => [p.metadata.name, p.spec.action, p.spec.rules])).toEqual([
      [
        "iris-inference-api",
        "ALLOW",
        [{ from: [{ source: { namespaces: ["web"] } }], to: [{ operation: { ports: ["8080"] } }] }],
      ],
      [
        "iris-inference-metrics",
        "ALLOW",
        [
          {
            from: [{ source: { principals: ["cluster.local/ns/monitoring/sa/prometheus"] } }],
            to: [{ operation: { ports: ["8080"] } }],
          },
        ],
      ],
    ]);
    // Only L4 attributes: an HTTP one without a waypoint would make ztunnel drop all traffic.
    const operations = policies.flatMap((p) =>
      p.spec.rules.flatMap((r: any) => r.to.map((t: any) => t.operation)),
    );
    expect(operations.flatMap((o: any) => Object.keys(o))).toEqual(["ports", "ports"]);
  });

  it("says whether /metrics is kept from clients: only when it has a port of its own", () => {
    const shared = chartWithService();
    const sharedPolicy = new InferenceAuthorizationPolicy(shared.chart, "authz", {
      service: shared.service,
      clientNamespaces: ["web"],
      prometheusPrincipal: "cluster.local/ns/monitoring/sa/prometheus",
    });
    expect(sharedPolicy.metricsIsolated).toBe(false);
    const own = chartWithService();
    const ownPolicy = new InferenceAuthorizationPolicy(own.chart, "authz", {
      service: own.service,
      clientNamespaces: ["web"],
      prometheusPrincipal: "cluster.local/ns/monitoring/sa/prometheus",
      metricsPort: 9090,
    });
    expect(ownPolicy.metricsIsolated).toBe(true);
    expect(
      Testing.synth(own.chart)
        .filter((o) => o.kind === "AuthorizationPolicy")
        .map((o) => [o.metadata.name, o.spec.rules[0].to[0].operation.ports]),
    ).toEqual([
      ["iris-inference-api", ["8080"]],
      ["iris-inference-metrics", ["9090"]],
    ]);
  });

  it("rejects an empty client list, which would admit nobody", () => {
    const { chart, service } = chartWithService();
    expect(() => new InferenceAuthorizationPolicy(chart, "authz", { service, clientNamespaces: [] })).toThrow(
      'InferenceAuthorizationPolicy: props.clientNamespaces must be "any" or a non-empty list',
    );
  });

  it("fails the synth, naming the construct, when a policy breaks Istio's CRD schema", () => {
    const { chart, service } = chartWithService();
    const policy = new InferenceAuthorizationPolicy(chart, "authz", { service, clientNamespaces: "any" });
    expect(() => Testing.synth(chart)).not.toThrow();
    (policy.manifests[0]!.spec as any).action = "PERMIT";
    expect(() => Testing.synth(chart)).toThrow(
      "Validation failed with the following errors:\n" +
        "  [test/authz] AuthorizationPolicy ml/iris-inference-api: data/spec/action must be equal to one of the allowed values",
    );
  });
});
