import { Testing } from "cdk8s";
import { describe, expect, it } from "vitest";
import { InferenceIngress, type InferenceIngressProps } from "./inference-ingress.js";
import { chartWithService } from "../../test/support/inference-fixtures.js";

function ingress(props: Omit<InferenceIngressProps, "service">) {
  const { chart, service } = chartWithService();
  new InferenceIngress(chart, "ingress", { service, ...props });
  return Testing.synth(chart).find((o) => o.kind === "Ingress");
}

describe("InferenceIngress", () => {
  it("routes every path of the host to the Service's http port", () => {
    const ing = ingress({ host: "iris.example.com" });
    expect(ing.metadata).toMatchObject({ name: "iris-inference", namespace: "ml" });
    expect(ing.spec).toEqual({
      rules: [
        {
          host: "iris.example.com",
          http: {
            paths: [
              {
                path: "/",
                pathType: "Prefix",
                backend: { service: { name: "iris-inference", port: { name: "http" } } },
              },
            ],
          },
        },
      ],
    });
  });

  it("sets the class and TLS only when given", () => {
    const ing = ingress({ host: "iris.example.com", className: "nginx", tlsSecretName: "iris-tls" });
    expect(ing.spec.ingressClassName).toBe("nginx");
    expect(ing.spec.tls).toEqual([{ hosts: ["iris.example.com"], secretName: "iris-tls" }]);
  });

  it("rejects an empty host", () => {
    expect(() => ingress({ host: " " })).toThrow("InferenceIngress: props.host must not be empty");
  });
});
