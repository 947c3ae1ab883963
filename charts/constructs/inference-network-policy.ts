import { Construct } from "constructs";
import {
  IntOrString,
  KubeNetworkPolicy,
  type NetworkPolicyIngressRule,
  type NetworkPolicyPeer,
} from "cdk8s-plus-28/lib/imports/k8s.js";
import type { InferenceService } from "./inference-service.js";
import { AMBIENT_PROBE_SOURCE_CIDRS, HBONE_PORT } from "./istio-ambient.js";
import type { ServiceJson } from "./restricted-workload.js";

export interface InferenceNetworkPolicyProps {
  /** The service whose pods are protected. */
  readonly service: InferenceService;
  /** Namespaces whose pods may connect. @default "any": every source, including ingress and load balancers */
  readonly clientNamespaces?: "any" | readonly string[];
  /** Namespace of Prometheus, admitted besides the clients. @default undefined: none beyond the clients */
  readonly monitoringNamespace?: string;
  /**
   * The pods are in Istio's ambient mesh: admit HBONE (port 15008) from the same sources, and, with listed
   * client namespaces, the link-local address ambient gives the kubelet's probes. @default false
   */
  readonly ambientMesh?: boolean;
}

/**
 * Admits ingress to the server pods on the `http` port only; every other port is closed. With a list of
 * client namespaces, only those and the monitoring namespace may connect. A separate metrics port (api-key
 * mode) admits the monitoring namespace only. In the ambient mesh it stays as defence in depth beside the
 * AuthorizationPolicies, and also admits HBONE and the probes' rewritten source.
 */
export class InferenceNetworkPolicy extends Construct {
  /** Namespace admitted to a separate metrics port, if any. */
  public readonly monitoringNamespace: string | undefined;
  /** Namespaces admitted, or "any". */
  public readonly allowedNamespaces: "any" | readonly string[];
  /** The NetworkPolicy. */
  public readonly policy: KubeNetworkPolicy;

  constructor(scope: Construct, id: string, props: InferenceNetworkPolicyProps) {
    super(scope, id);
    const clients = props.clientNamespaces ?? "any";
    this.monitoringNamespace = props.monitoringNamespace;
    if (clients !== "any" && clients.length === 0) {
      throw new Error('InferenceNetworkPolicy: props.clientNamespaces must be "any" or a non-empty list');
    }
    this.allowedNamespaces =
      clients === "any"
        ? "any"
        : [...new Set([...clients, ...(props.monitoringNamespace ? [props.monitoringNamespace] : [])])];
    const from: NetworkPolicyPeer[] | undefined =
      this.allowedNamespaces === "any"
        ? undefined
        : this.allowedNamespaces.map((ns) => ({
            namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": ns } },
          }));
    const { service } = props;
    const mesh = props.ambientMesh ?? false;
    const serverPort = { port: IntOrString.fromString(service.portName), protocol: "TCP" };
    // In the mesh, clients' traffic arrives through the HBONE tunnel, still from the client pod's address.
    const hbonePort = { port: IntOrString.fromNumber(HBONE_PORT), protocol: "TCP" };
    // Probes come from the node; with `from` peers they need their own rule once ambient rewrites their source.
    const probeRule: NetworkPolicyIngressRule = {
      from: AMBIENT_PROBE_SOURCE_CIDRS.map((cidr) => ({ ipBlock: { cidr } })),
      ports: [serverPort],
    };
    this.policy = new KubeNetworkPolicy(this, "network-policy", {
      metadata: { name: service.name, namespace: service.namespace, labels: { ...service.labels } },
      spec: {
        podSelector: { matchLabels: { ...service.selectorLabels } },
        policyTypes: ["Ingress"],
        ingress: [
          { ...(from ? { from } : {}), ports: mesh ? [serverPort, hbonePort] : [serverPort] },
          ...(mesh && from ? [probeRule] : []),
          // A separate metrics port (api-key mode) is for Prometheus alone, never for the API's clients.
          ...(service.metricsPortName === service.portName || !props.monitoringNamespace
            ? []
            : [
                {
                  from: [
                    {
                      namespaceSelector: {
                        matchLabels: { "kubernetes.io/metadata.name": props.monitoringNamespace },
                      },
                    },
                  ],
                  ports: [{ port: IntOrString.fromString(service.metricsPortName), protocol: "TCP" }],
                },
              ]),
        ],
      },
    });
    this.node.addValidation({ validate: () => this.portProblems(service) });
  }

  /** Every port the Service forwards to must be admitted, or traffic through the Service is dropped. */
  private portProblems(service: InferenceService): string[] {
    const policy = this.policy.toJson() as {
      spec: { ingress?: { ports?: { port?: string | number }[] }[] };
    };
    const rules = policy.spec.ingress ?? [];
    // A rule without ports, or a port entry without a number or name, admits every port.
    if (rules.some((rule) => !rule.ports || rule.ports.some((p) => p.port === undefined))) return [];
    const admitted = rules.flatMap((rule) => (rule.ports ?? []).map((p) => p.port));
    // Without a monitoring namespace nobody may scrape: a closed separate metrics port is intended.
    const closedOnPurpose = (target: string | number | undefined) =>
      !this.monitoringNamespace && target === service.metricsPortName && target !== service.portName;
    const targets = (service.service.toJson() as ServiceJson).spec.ports.map((p) => p.targetPort);
    return targets
      .filter((target) => !closedOnPurpose(target))
      .filter((target) => !admitted.includes(target))
      .map(
        (target) =>
          `NetworkPolicy ${service.name} admits ports ${JSON.stringify(admitted)} but Service ${service.serviceName} targets port ${JSON.stringify(target)}; traffic through the Service would be dropped`,
      );
  }
}
