import { Construct } from "constructs";
import type { InferenceService } from "./inference-service.js";

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

/** What every autoscaler of an `InferenceService` is built from. */
export interface ServiceAutoscalerProps {
  /** The service whose pods are scaled: the autoscaler's name, namespace and labels come from it. */
  readonly service: InferenceService;
  /** The workload scaled. */
  readonly scaleTarget: ScaleTarget;
  /** Name of the HorizontalPodAutoscaler in the cluster (ours, or the one an operator creates). */
  readonly hpaName: string;
  /** Fewest replicas. @default 2 */
  readonly minReplicas?: number;
  /** Most replicas. @default 10 */
  readonly maxReplicas?: number;
  /** How fast it scales up and down. @default undefined: no `behavior`, Kubernetes' defaults */
  readonly behavior?: ScalingBehavior;
}

/**
 * The part every autoscaler of an `InferenceService` shares (our HPA, KEDA's ScaledObject): which service,
 * which workload, the bounds and the behavior, resolved once so each kind only adds its own trigger.
 */
export abstract class ServiceAutoscaler extends Construct implements ReplicaAutoscaler {
  /** The service whose pods are scaled. */
  public readonly service: InferenceService;
  /** Name of the autoscaler object (the service's name). */
  public readonly name: string;
  public readonly namespace: string;
  public readonly hpaName: string;
  /** The scaled workload. */
  public readonly scaleTarget: ScaleTarget;
  public readonly minReplicas: number;
  public readonly maxReplicas: number;
  /** Scaling behavior, or undefined for Kubernetes' defaults. */
  public readonly behavior: ScalingBehavior | undefined;

  protected constructor(scope: Construct, id: string, props: ServiceAutoscalerProps) {
    super(scope, id);
    this.service = props.service;
    this.name = props.service.name;
    this.namespace = props.service.namespace;
    this.hpaName = props.hpaName;
    this.scaleTarget = { ...props.scaleTarget };
    this.minReplicas = props.minReplicas ?? 2;
    this.maxReplicas = props.maxReplicas ?? 10;
    this.behavior = props.behavior;
  }
}
