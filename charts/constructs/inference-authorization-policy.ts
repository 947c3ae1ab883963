import {
  AuthorizationPolicy,
  type IAuthorizationPolicy,
} from "@kubernetes-models/istio/security.istio.io/v1/AuthorizationPolicy";
import { ApiObject } from "cdk8s";
import { Construct } from "constructs";
import { istioSchemaProblems } from "./istio-ambient.js";
import type { InferenceService } from "./inference-service.js";

/** The L4 source attributes these policies use. */
interface MeshSource {
  readonly principals?: string[];
  readonly namespaces?: string[];
}

export interface InferenceAuthorizationPolicyProps {
  /** The service whose pods are protected. */
  readonly service: InferenceService;
  /**
   * Namespaces whose workloads may call the API, or `"any"`: every workload with a mesh identity
   * (`principals: ["*"]`; with STRICT mTLS nothing else arrives anyway).
   */
  readonly clientNamespaces: "any" | readonly string[];
  /**
   * Principal of Prometheus (`<trust domain>/ns/<namespace>/sa/<service account>`), the only identity
   * admitted to the metrics port. @default undefined: no metrics policy (monitoring off)
   */
  readonly prometheusPrincipal?: string;
  /**
   * Container port serving `/metrics`. Today the API's port too, so ztunnel, which sees ports and not
   * paths, cannot keep clients from `/metrics`; see `metricsIsolated`. @default the service's container port
   */
  readonly metricsPort?: number;
}

/**
 * Istio `AuthorizationPolicy` objects (security.istio.io/v1, action ALLOW) on the server pods, enforced by
 * ztunnel in ambient mode: one admits Prometheus' principal to the metrics port, one admits the client
 * namespaces to the API port. Once any ALLOW policy selects a pod, everything not allowed is denied.
 *
 * Layer 4 only, on purpose: ztunnel enforces principals, namespaces and ports, and drops ALL traffic to a
 * workload whose ALLOW policy names HTTP attributes (paths, methods) when no waypoint proxy is in the path
 * (Istio docs, "Use Layer 4 security policy"). A waypoint would also not see Prometheus' scrapes, which go
 * to pod addresses, not to the Service. Kubelet probes are SNATed by ambient and exempt from these policies.
 */
export class InferenceAuthorizationPolicy extends Construct {
  /** The policies as written: the API's, then (with a Prometheus principal) the metrics'. */
  public readonly manifests: readonly IAuthorizationPolicy[];
  /** Whether the metrics port differs from the API port, so clients really cannot read `/metrics`. */
  public readonly metricsIsolated: boolean;
  /** The principal admitted to the metrics port; undefined without a metrics policy. */
  public readonly prometheusPrincipal: string | undefined;

  constructor(scope: Construct, id: string, props: InferenceAuthorizationPolicyProps) {
    super(scope, id);
    const { service, clientNamespaces } = props;
    if (clientNamespaces !== "any" && clientNamespaces.length === 0) {
      throw new Error(
        'InferenceAuthorizationPolicy: props.clientNamespaces must be "any" or a non-empty list',
      );
    }
    const apiPort = service.containerPort;
    const metricsPort = props.metricsPort ?? apiPort;
    this.metricsIsolated = metricsPort !== apiPort;
    this.prometheusPrincipal = props.prometheusPrincipal;
    const policy = (suffix: string, source: MeshSource, port: number): IAuthorizationPolicy => ({
      apiVersion: "security.istio.io/v1",
      kind: "AuthorizationPolicy",
      metadata: {
        name: `${service.name}-${suffix}`,
        namespace: service.namespace,
        labels: { ...service.labels },
      },
      spec: {
        selector: { matchLabels: { ...service.selectorLabels } },
        action: "ALLOW",
        rules: [{ from: [{ source }], to: [{ operation: { ports: [String(port)] } }] }],
      },
    });
    this.manifests = [
      policy(
        "api",
        clientNamespaces === "any" ? { principals: ["*"] } : { namespaces: [...clientNamespaces] },
        apiPort,
      ),
      ...(props.prometheusPrincipal
        ? [policy("metrics", { principals: [props.prometheusPrincipal] }, metricsPort)]
        : []),
    ];
    for (const manifest of this.manifests) new ApiObject(this, manifest.metadata?.name ?? "policy", manifest);
    this.node.addValidation({
      validate: () => this.manifests.flatMap((m) => istioSchemaProblems(new AuthorizationPolicy(m))),
    });
  }
}
