import { Construct } from "constructs";
import { KubeHorizontalPodAutoscalerV2 } from "cdk8s-plus-28/lib/imports/k8s.js";
import type { InferenceService } from "./inference-service.js";
import type { DeploymentJson } from "./restricted-workload.js";

/** One HPA scaling policy: change by `value` percent or pods at most once per `periodSeconds`. */
export interface ScalingPolicy {
  /** Whether `value` counts percent of the current replicas or pods. */
  readonly type: "Percent" | "Pods";
  /** How much one step may change the replica count. */
  readonly value: number;
  /** Length of the window in which that step may happen. */
  readonly periodSeconds: number;
}

/** How an HPA scales in one direction (`behavior.scaleUp` or `behavior.scaleDown` of autoscaling/v2). */
export interface ScalingRules {
  /** Seconds of past recommendations considered, so a brief swing does not scale. */
  readonly stabilizationWindowSeconds: number;
  /** Which policy wins when several allow a step: the larger change, the smaller, or none (no scaling). */
  readonly selectPolicy: "Max" | "Min" | "Disabled";
  /** The policies. */
  readonly policies: readonly ScalingPolicy[];
}

/** Scale-up and scale-down rules of an HPA. */
export interface ScalingBehavior {
  /** How it scales up. */
  readonly scaleUp: ScalingRules;
  /** How it scales down. */
  readonly scaleDown: ScalingRules;
}

/** The object an autoscaler scales (`scaleTargetRef`): the service's Deployment, or the Rollout replacing it. */
export interface ScaleTarget {
  readonly apiVersion: string;
  readonly kind: string;
  readonly name: string;
}

/**
 * What the rest of the app reads from whichever autoscaler scales the service (this HPA, or KEDA's for a
 * ScaledObject): the bounds, and the name of the HorizontalPodAutoscaler that kube-state-metrics reports.
 */
export interface ReplicaAutoscaler {
  /** Name of the HorizontalPodAutoscaler in the cluster. */
  readonly hpaName: string;
  readonly minReplicas: number;
  readonly maxReplicas: number;
  /** Requests per second per pod it scales at, for an autoscaler on the request rate. */
  readonly requestRateTargetPerPod?: number;
}

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
export class InferenceAutoscaler extends Construct implements ReplicaAutoscaler {
  /** The service whose Deployment is scaled. */
  public readonly service: InferenceService;
  public readonly name: string;
  /** Same as `name`: this construct is the HPA. */
  public readonly hpaName: string;
  public readonly namespace: string;
  public readonly minReplicas: number;
  public readonly maxReplicas: number;
  public readonly cpuUtilizationPercent: number;
  public readonly memoryUtilizationPercent: number;
  /** Scaling behavior, or undefined for Kubernetes' defaults. */
  public readonly behavior: ScalingBehavior | undefined;
  /** The scaled object. */
  public readonly scaleTarget: ScaleTarget;

  constructor(scope: Construct, id: string, props: InferenceAutoscalerProps) {
    super(scope, id);
    this.service = props.service;
    this.name = props.service.name;
    this.hpaName = this.name;
    this.namespace = props.service.namespace;
    this.minReplicas = props.minReplicas ?? 2;
    this.maxReplicas = props.maxReplicas ?? 10;
    this.cpuUtilizationPercent = props.cpuUtilizationPercent ?? 70;
    this.memoryUtilizationPercent = props.memoryUtilizationPercent ?? 80;
    this.behavior = props.behavior;
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
    this.scaleTarget = props.scaleTarget ?? {
      apiVersion: deployment.apiVersion,
      kind: deployment.kind,
      name: deployment.name,
    };
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
