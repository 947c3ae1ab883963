import {
  PeerAuthentication,
  type IPeerAuthentication,
} from "@kubernetes-models/istio/security.istio.io/v1/PeerAuthentication";
import type { Construct } from "constructs";
import { istioSchemaProblems } from "./istio-ambient.js";
import { TypedApiObject } from "./typed-api-object.js";

export interface MeshPeerAuthenticationProps {
  /** Namespace whose workloads accept only mTLS. */
  readonly namespace: string;
  /** Labels of the object, e.g. the recommended `app.kubernetes.io/*` labels. @default {} */
  readonly labels?: Readonly<Record<string, string>>;
}

/**
 * An Istio `PeerAuthentication` (security.istio.io/v1) named `default`, without selector, so it covers the
 * whole namespace: mutual TLS in STRICT mode, plaintext refused. In ambient mode ztunnel enforces it; traffic
 * from outside the mesh (a NodePort, a LoadBalancer, an ingress controller not in the mesh) is refused too.
 * Typed and checked at synth time against the upstream CRD schema (`@kubernetes-models/istio`).
 */
export class MeshPeerAuthentication extends TypedApiObject<IPeerAuthentication> {
  constructor(scope: Construct, id: string, props: MeshPeerAuthenticationProps) {
    const manifest: IPeerAuthentication = {
      apiVersion: "security.istio.io/v1",
      kind: "PeerAuthentication",
      metadata: { name: "default", namespace: props.namespace, labels: { ...props.labels } },
      spec: { mtls: { mode: "STRICT" } },
    };
    super(scope, id, "peer-authentication", manifest, (m) => istioSchemaProblems(new PeerAuthentication(m)));
  }
}
