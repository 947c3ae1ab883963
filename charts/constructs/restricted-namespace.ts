import { Construct } from "constructs";
import { KubeNamespace } from "cdk8s-plus-28/lib/imports/k8s.js";
import { isDnsLabel } from "./names.js";

export interface RestrictedNamespaceProps {
  /** Name of the namespace (a DNS-1123 label). */
  readonly name: string;
  /** Labels besides the Pod Security ones, e.g. the recommended `app.kubernetes.io/*` labels. @default {} */
  readonly labels?: Readonly<Record<string, string>>;
  /** Kubernetes minor version whose restricted policy is enforced. @default "v1.28" */
  readonly podSecurityVersion?: string;
}

/**
 * A Namespace in which the API server itself enforces the restricted Pod Security Standard, so a pod
 * that drifts from it is refused at admission instead of running.
 */
export class RestrictedNamespace extends Construct {
  /** Name of the namespace. */
  public readonly name: string;
  /** Pod Security Standard version pinned for enforce, audit and warn. */
  public readonly podSecurityVersion: string;

  constructor(scope: Construct, id: string, props: RestrictedNamespaceProps) {
    super(scope, id);
    if (!isDnsLabel(props.name)) {
      throw new Error(`RestrictedNamespace: props.name must be a DNS-1123 label, got "${props.name}"`);
    }
    this.name = props.name;
    this.podSecurityVersion = props.podSecurityVersion ?? "v1.28";
    const podSecurity: Record<string, string> = {};
    for (const mode of ["enforce", "audit", "warn"]) {
      podSecurity[`pod-security.kubernetes.io/${mode}`] = "restricted";
      podSecurity[`pod-security.kubernetes.io/${mode}-version`] = this.podSecurityVersion;
    }
    new KubeNamespace(this, "namespace", {
      metadata: { name: this.name, labels: { ...props.labels, ...podSecurity } },
    });
  }
}
