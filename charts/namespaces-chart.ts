import { Chart } from "cdk8s";
import type { Construct } from "constructs";
import { AMBIENT_NAMESPACE_LABELS } from "./constructs/istio-ambient.js";
import { MeshPeerAuthentication } from "./constructs/mesh-peer-authentication.js";
import { RestrictedNamespace } from "./constructs/restricted-namespace.js";
import { recommendedLabels } from "./constructs/recommended-labels.js";
import type { Settings } from "./settings.js";

/**
 * The namespaces everything else lives in, and in the ambient mesh their enrolment label and a STRICT
 * `PeerAuthentication` each. Its own chart, synthesized first (`0000-namespaces.k8s.yaml`),
 * so one `kubectl apply -f dist` creates them before the objects inside them.
 */
export class NamespacesChart extends Chart {
  /** The inference service's namespace. */
  public readonly inference: RestrictedNamespace;
  /** The monitoring stack's namespace, created only for the standalone monitoring stack. */
  public readonly monitoring: RestrictedNamespace | undefined;

  constructor(scope: Construct, id: string, settings: Settings) {
    super(scope, id, { disableResourceNameHashes: true });
    const ambient = settings.mesh.mode === "istio-ambient";
    // Ambient needs no sidecar, so no init container asking for NET_ADMIN: the restricted level still holds.
    const labels = (name: string) => ({
      ...recommendedLabels({
        name: "infer8s",
        instance: name,
        component: "namespace",
        version: settings.image.tag,
      }).all,
      ...(ambient ? AMBIENT_NAMESPACE_LABELS : {}),
    });
    this.inference = new RestrictedNamespace(this, "inference", {
      name: settings.namespace,
      labels: labels(settings.namespace),
    });
    // In operator mode the namespace belongs to the existing kube-prometheus-stack installation.
    this.monitoring =
      settings.monitoring.enabled && settings.monitoring.mode === "standalone"
        ? new RestrictedNamespace(this, "monitoring", {
            name: settings.monitoring.namespace,
            labels: labels(settings.monitoring.namespace),
          })
        : undefined;
    if (ambient) {
      for (const ns of [this.inference, this.monitoring]) {
        if (!ns) continue;
        const policyLabels = recommendedLabels({
          name: "infer8s",
          instance: ns.name,
          component: "mesh",
          version: settings.image.tag,
        }).all;
        new MeshPeerAuthentication(this, `${ns.node.id}-peer-authentication`, {
          namespace: ns.name,
          labels: policyLabels,
        });
      }
    }
  }
}
