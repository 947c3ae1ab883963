import type { Construct } from "constructs";
import { KubeHorizontalPodAutoscalerV2 } from "cdk8s-plus-28/lib/imports/k8s.js";
import type { InferenceService } from "./inference-service.js";
import type { DeploymentJson } from "./restricted-workload.js";
import {
  ServiceAutoscaler,
  type ScalingBehavior,
  type ScalingRules,
  type ScaleTarget,
} from "./service-autoscaler.js";

export type {
  ReplicaAutoscaler,
  ScaleTarget,
  ScalingBehavior,
  ScalingPolicy,
  ScalingRules,
} from "./service-autoscaler.js";

export interface InferenceAutoscalerProps {
  /** The service whose pods are scaled (its pod controller must have no `replicas` field: checked at synth). */
  readonly service: InferenceService;
  /** What is scaled. @default the service's Deployment */
  readonly scaleTarget?: ScaleTarget;
  /** Fewest replicas. @default 2 */
  readonly minReplicas?: number;
  /** Most replicas. @default 10 */
  readonly maxReplicas?: number;
  /** Average CPU utilisation target, percent of the CPU request. @default 70 */
  readonly cpuUtilizationPercent?: number;
  /** Average memory utilisation target, percent of the memory request. @default 80 */
  readonly memoryUtilizationPercent?: number;
  /** How fast it scales up and down. @default undefined: no `behavior` field, Kubernetes' defaults */
  readonly behavior?: ScalingBehavior;
}

/** An autoscaling/v2 HorizontalPodAutoscaler on CPU and memory for an `InferenceService`. */
export class InferenceAutoscaler extends ServiceAutoscaler {
  public readonly cpuUtilizationPercent: number;
  public readonly memoryUtilizationPercent: number;

  constructor(scope: Construct, id: string, props: InferenceAutoscalerProps) {
    const deployment = props.service.deployment;
    super(scope, id, {
      ...props,
      hpaName: props.service.name,
      scaleTarget: props.scaleTarget ?? {
        apiVersion: deployment.apiVersion,
        kind: deployment.kind,
        name: deployment.name,
      },
    });
    this.cpuUtilizationPercent = props.cpuUtilizationPercent ?? 70;
    this.memoryUtilizationPercent = props.memoryUtilizationPercent ?? 80;
    if (!(Number.isInteger(this.minReplicas) && this.minReplicas >= 1)) {
      throw new Error(
        `InferenceAutoscaler: props.minReplicas must be an integer >= 1, got ${this.minReplicas}`,
      );
    }
    if (!(Number.isInteger(this.maxReplicas) && this.maxReplicas >= this.minReplicas)) {
      throw new Error(
        `InferenceAutoscaler: props.maxReplicas must be an integer >= minReplicas (${this.minReplicas}), got ${this.maxReplicas}`,
      );
    }
    for (const prop of ["cpuUtilizationPercent", "memoryUtilizationPercent"] as const) {
      const value = this[prop];
      if (!(Number.isInteger(value) && value >= 1 && value <= 100)) {
        throw new Error(`InferenceAutoscaler: props.${prop} must be an integer from 1 to 100, got ${value}`);
      }
    }
    new KubeHorizontalPodAutoscalerV2(this, "hpa", {
      metadata: { name: this.name, namespace: this.namespace, labels: { ...props.service.labels } },
      spec: {
        scaleTargetRef: { ...this.scaleTarget },
        minReplicas: this.minReplicas,
        maxReplicas: this.maxReplicas,
        metrics: [
          utilization("cpu", this.cpuUtilizationPercent),
          utilization("memory", this.memoryUtilizationPercent),
        ],
        ...(this.behavior ? { behavior: hpaBehavior(this.behavior) } : {}),
      },
    });

    // With both an HPA and `replicas`, every apply resets the count the HPA chose.
    this.node.addValidation({
      validate: () => {
        const replicas = (deployment.toJson() as DeploymentJson).spec.replicas;
        return replicas === undefined
          ? []
          : [
              `the scale target Deployment ${deployment.name} (${deployment.node.path}) sets spec.replicas (${replicas}); leave it unset so the HorizontalPodAutoscaler alone owns the replica count`,
            ];
      },
    });
  }
}

/** `behavior` of autoscaling/v2 (also what KEDA copies into the HPA it creates). */
export function hpaBehavior(b: ScalingBehavior) {
  return { scaleUp: rules(b.scaleUp), scaleDown: rules(b.scaleDown) };
}

function rules(r: ScalingRules) {
  return {
    stabilizationWindowSeconds: r.stabilizationWindowSeconds,
    selectPolicy: r.selectPolicy,
    policies: r.policies.map((p) => ({ type: p.type, value: p.value, periodSeconds: p.periodSeconds })),
  };
}

function utilization(resource: "cpu" | "memory", averageUtilization: number) {
  return {
    type: "Resource",
    resource: { name: resource, target: { type: "Utilization", averageUtilization } },
  };
}
