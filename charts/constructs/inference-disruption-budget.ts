import { Construct } from "constructs";
import { IntOrString, KubePodDisruptionBudget } from "cdk8s-plus-28/lib/imports/k8s.js";
import { InferenceAutoscaler } from "./inference-autoscaler.js";
import { InferenceScaledObject } from "./inference-scaled-object.js";
import type { InferenceService } from "./inference-service.js";
import type { DeploymentJson } from "./restricted-workload.js";

export interface InferenceDisruptionBudgetProps {
  /** The service whose pods are protected. */
  readonly service: InferenceService;
  /** Pods that voluntary disruptions (node drains) must leave running. @default 1 */
  readonly minAvailable?: number;
}

/**
 * Keeps at least one server pod through node drains. Unhealthy pods may always be evicted: a pod that is
 * not serving protects nothing, and keeping it would block drains forever (`unhealthyPodEvictionPolicy`).
 *
 * At synth time it checks that `minAvailable` stays below the fewest replicas the service may run (the
 * HorizontalPodAutoscaler's `minReplicas`, the ScaledObject's `minReplicaCount`, or the fixed `replicas`):
 * otherwise no pod may ever be evicted.
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
    this.node.addValidation({ validate: () => this.evictionProblems(props.service) });
  }

  private evictionProblems(service: InferenceService): string[] {
    const autoscalers = this.node.root.node
      .findAll()
      .filter((c): c is InferenceAutoscaler => c instanceof InferenceAutoscaler && c.service === service);
    const scaledObjects = this.node.root.node
      .findAll()
      .filter((c): c is InferenceScaledObject => c instanceof InferenceScaledObject && c.service === service);
    const replicas = (service.deployment.toJson() as DeploymentJson).spec.replicas;
    const floors = [
      ...scaledObjects.map((s) => ({
        value: s.minReplicas,
        what: `the ScaledObject's minReplicaCount (${s.minReplicas}, ${s.node.path})`,
      })),
      ...autoscalers.map((a) => ({
        value: a.minReplicas,
        what: `the HorizontalPodAutoscaler's minReplicas (${a.minReplicas}, ${a.node.path})`,
      })),
      ...(replicas === undefined
        ? []
        : [{ value: replicas, what: `the Deployment's replicas (${replicas})` }]),
    ];
    if (floors.length === 0) {
      floors.push({ value: 1, what: "the single pod of a Deployment without replicas or autoscaler" });
    }
    return floors
      .filter((floor) => !(this.minAvailable < floor.value))
      .map(
        (floor) =>
          `minAvailable (${this.minAvailable}) must be less than ${floor.what}, or no node drain can ever evict a pod`,
      );
  }
}
