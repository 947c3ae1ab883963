import { Construct } from "constructs";
import { KubeHorizontalPodAutoscalerV2, type HpaScalingRulesV2 } from "cdk8s-plus-28/lib/imports/k8s.js";
import type { InferenceService } from "./inference-service.js";

export interface InferenceAutoscalerProps {
  /** The service whose Deployment is scaled (it must have no `replicas` field). */
  readonly service: InferenceService;
  /** Fewest replicas. @default 2 */
  readonly minReplicas?: number;
  /** Most replicas. @default 10 */
  readonly maxReplicas?: number;
  /** Average CPU utilisation target, percent of the CPU request. @default 70 */
  readonly cpuUtilizationPercent?: number;
  /** Average memory utilisation target, percent of the memory request. @default 80 */
  readonly memoryUtilizationPercent?: number;
}

/**
 * Scale-up reacts at once (no stabilisation) by doubling or adding two pods per 15 s, whichever adds more,
 * because inference traffic bursts; scale-down halves at most every 15 s and only after five calm minutes,
 * so a dip between bursts does not throw away warm pods.
 */
export const SCALE_UP: HpaScalingRulesV2 = {
  stabilizationWindowSeconds: 0,
  selectPolicy: "Max",
  policies: [
    { type: "Percent", value: 100, periodSeconds: 15 },
    { type: "Pods", value: 2, periodSeconds: 15 },
  ],
};
export const SCALE_DOWN: HpaScalingRulesV2 = {
  stabilizationWindowSeconds: 300,
  selectPolicy: "Max",
  policies: [{ type: "Percent", value: 50, periodSeconds: 15 }],
};

/** An autoscaling/v2 HorizontalPodAutoscaler on CPU and memory for an `InferenceService`. */
export class InferenceAutoscaler extends Construct {
  public readonly name: string;
  public readonly namespace: string;
  public readonly minReplicas: number;
  public readonly maxReplicas: number;
  public readonly cpuUtilizationPercent: number;
  public readonly memoryUtilizationPercent: number;

  constructor(scope: Construct, id: string, props: InferenceAutoscalerProps) {
    super(scope, id);
    this.name = props.service.name;
    this.namespace = props.service.namespace;
    this.minReplicas = props.minReplicas ?? 2;
    this.maxReplicas = props.maxReplicas ?? 10;
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
    const deployment = props.service.deployment;
    new KubeHorizontalPodAutoscalerV2(this, "hpa", {
      metadata: { name: this.name, namespace: this.namespace, labels: { ...props.service.labels } },
      spec: {
        scaleTargetRef: { apiVersion: deployment.apiVersion, kind: deployment.kind, name: deployment.name },
        minReplicas: this.minReplicas,
        maxReplicas: this.maxReplicas,
        metrics: [
          utilization("cpu", this.cpuUtilizationPercent),
          utilization("memory", this.memoryUtilizationPercent),
        ],
        behavior: { scaleUp: SCALE_UP, scaleDown: SCALE_DOWN },
      },
    });
  }
}

function utilization(resource: "cpu" | "memory", averageUtilization: number) {
  return {
    type: "Resource",
    resource: { name: resource, target: { type: "Utilization", averageUtilization } },
  };
}
