import { Testing } from "cdk8s";
import { describe, expect, it } from "vitest";
import { MeshPeerAuthentication } from "./mesh-peer-authentication.js";

describe("MeshPeerAuthentication", () => {
  it("requires STRICT mTLS for the whole namespace: named default, no selector", () => {
    const chart = Testing.chart();
    new MeshPeerAuthentication(chart, "mtls", {
      namespace: "ml",
      labels: { "app.kubernetes.io/part-of": "infer8s" },
    });
    expect(Testing.synth(chart)).toEqual([
      {
        apiVersion: "security.istio.io/v1",
        kind: "PeerAuthentication",
        metadata: { name: "default", namespace: "ml", labels: { "app.kubernetes.io/part-of": "infer8s" } },
        spec: { mtls: { mode: "STRICT" } },
      },
    ]);
  });

  it("fails the synth, naming the construct, when the object breaks Istio's CRD schema", () => {
    const chart = Testing.chart();
    const policy = new MeshPeerAuthentication(chart, "mtls", { namespace: "ml" });
    (policy.manifest.spec as { mtls: { mode: string } }).mtls.mode = "STRICTEST";
    expect(() => Testing.synth(chart)).toThrow(
      "Validation failed with the following errors:\n" +
        "  [test/mtls] PeerAuthentication ml/default: data/spec/mtls/mode must be equal to one of the allowed values",
    );
  });
});
