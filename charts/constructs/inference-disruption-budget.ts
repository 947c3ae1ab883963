import { Construct } from "constructs";
import { IntOrString, KubePodDisruptionBudget } from "cdk8s-plus-28/lib/imports/k8s.js";
import type { InferenceService } from "./inference-service.js";

export interface InferenceDisruptionBudgetProps {
  /** The service whose pods are protected. */
  readonly service: InferenceService;
  /** Pods that voluntary disruptions (node drains) must leave running. @default 1 */
  readonly minAvailable?: number;
}

/**
 * Keeps at least one server pod through node drains. Unhealthy pods may always be evicted: a pod that is
 * not serving protects nothing, and keeping it would block drains forever (`unhealthyPodEvictionPolicy`).
 */
export class InferenceDisruptionBudget extends Construct {
  public readonly minAvailable: number;

  constructor(scope: Construct, id: string, props: InferenceDisruptionBudgetProps) {
    super(scope, id);
    this.minAvailable = props.minAvailable ?? 1;
    if (!(Number.isInteger(this.minAvailable) && this.minAvailable >= 1)) {
      throw new Error(
        `InferenceDisruptionBudget: props.minAvailable must be an integer >= 1, got ${this.minAvailable}`,
      );
    }
    new KubePodDisruptionBudget(this, "pdb", {
      metadata: {
        name: props.service.name,
        namespace: props.service.namespace,
        labels: { ...props.service.labels },
      },
      spec: {
        minAvailable: IntOrString.fromNumber(this.minAvailable),
        selector: { matchLabels: { ...props.service.selectorLabels } },
        unhealthyPodEvictionPolicy: "AlwaysAllow",
      },
    });
  }
}
