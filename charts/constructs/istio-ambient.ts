/**
 * What Istio's ambient mode asks of the objects we write, from the Istio documentation (designed against
 * Istio 1.29; ambient mode is GA since 1.24). Kept in one place so the namespaces, the NetworkPolicy and the
 * authorization policies agree.
 */

/** Namespace label that enrols every pod of the namespace in the ambient mesh (ztunnel, no sidecar). */
export const AMBIENT_NAMESPACE_LABELS: Readonly<Record<string, string>> = {
  "istio.io/dataplane-mode": "ambient",
};

/**
 * Port of HBONE, ambient's mTLS tunnel between ztunnels: in-mesh traffic reaches a pod on this port (and is
 * then proxied to the original port), so a NetworkPolicy must admit it ("Ambient and Kubernetes NetworkPolicy").
 */
export const HBONE_PORT = 15008;

/**
 * Source addresses ambient rewrites the kubelet's health probes to (SNAT), so ztunnel can exempt them from
 * policy. A NetworkPolicy with `from` peers must admit them or the probes fail once the pod joins the mesh
 * (IPv4 from the same page; IPv6 added by istio/istio.io#16833).
 */
export const AMBIENT_PROBE_SOURCE_CIDRS: readonly string[] = [
  "169.254.7.127/32",
  "fd16:9254:7127:1337:ffff:ffff:ffff:ffff/128",
];

/**
 * The principal (SPIFFE identity without `spiffe://`) Istio gives a pod running as `serviceAccount` in
 * `namespace`, as AuthorizationPolicy `source.principals` matches it.
 *
 * @example meshPrincipal("cluster.local", "monitoring", "prometheus") // "cluster.local/ns/monitoring/sa/prometheus"
 */
export function meshPrincipal(trustDomain: string, namespace: string, serviceAccount: string): string {
  return `${trustDomain}/ns/${namespace}/sa/${serviceAccount}`;
}

/** What the upstream CRD schema (through the typed model's validator) finds wrong with an Istio object. */
export function istioSchemaProblems(model: {
  validate(): void;
  kind: string;
  metadata?: { name?: string; namespace?: string };
}): string[] {
  try {
    model.validate();
    return [];
  } catch (error) {
    const where = `${model.metadata?.namespace ?? ""}/${model.metadata?.name ?? ""}`;
    return [`${model.kind} ${where}: ${(error as Error).message}`];
  }
}
