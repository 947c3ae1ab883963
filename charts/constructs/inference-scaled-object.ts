import { ApiObject } from "cdk8s";
import type { Construct } from "constructs";
import type { IScaledObject } from "@kubernetes-models/keda/keda.sh/v1alpha1/ScaledObject";
import { hpaBehavior } from "./inference-autoscaler.js";
import type { InferenceService } from "./inference-service.js";
import { ServiceAutoscaler, type ScaleTarget, type ScalingBehavior } from "./service-autoscaler.js";

/** The workload a ScaledObject scales: a Deployment, or any kind with a `/scale` subresource (a Rollout). */
export type ScaleTargetReference = ScaleTarget;

export interface InferenceScaledObjectProps {
  /** The service whose pods are scaled: namespace, name and labels of the ScaledObject come from it. */
  readonly service: InferenceService;
  /** The workload scaled; it must exist in the service's namespace without `spec.replicas` (checked at synth). */
  readonly scaleTarget: ScaleTargetReference;
  /** Base URL of the Prometheus the trigger queries, e.g. `http://prometheus.monitoring.svc:9090`. */
  readonly prometheusUrl: string;
  /** PromQL returning the service's total request rate (one sample); KEDA divides it by the pods. */
  readonly query: string;
  /** Requests per second one pod should carry: the trigger's `threshold` (AverageValue). */
  readonly targetRequestsPerSecondPerPod: number;
  /** Fewest replicas. @default 2 */
  readonly minReplicas?: number;
  /** Most replicas. @default 10 */
  readonly maxReplicas?: number;
  /** Seconds between KEDA's checks of the trigger. @default 15 */
  readonly pollingIntervalSeconds?: number;
  /** How fast KEDA's HPA scales up and down. @default undefined: no `behavior`, Kubernetes' defaults */
  readonly behavior?: ScalingBehavior;
  /**
   * Replicas to hold after three failed queries in a row (Prometheus unreachable).
   * @default undefined: no `fallback`; KEDA's HPA then keeps the current count until queries succeed
   */
  readonly fallbackReplicas?: number;
}

/** Consecutive failed queries before `fallbackReplicas` applies (KEDA's documented example value). */
const FALLBACK_FAILURE_THRESHOLD = 3;

/** Prefix of the HorizontalPodAutoscaler KEDA creates for a ScaledObject (`keda-hpa-<name>`). */
export const KEDA_HPA_PREFIX = "keda-hpa-";

/** Whether `object` is a HorizontalPodAutoscaler or ScaledObject, and which workload it scales. */
interface Scaler {
  readonly kind: string;
  readonly namespace: string | undefined;
  readonly name: string;
  readonly path: string;
  readonly target: Partial<ScaleTargetReference>;
}

/**
 * A KEDA `ScaledObject` (keda.sh/v1alpha1) that scales an inference workload on the request rate its pods
 * serve, read from Prometheus: `metricType: AverageValue`, so KEDA's HPA keeps
 * `ceil(total rate / targetRequestsPerSecondPerPod)` pods within the bounds. KEDA creates and owns that HPA
 * (`keda-hpa-<name>`); no other HPA or ScaledObject may scale the same workload (checked at synth).
 */
export class InferenceScaledObject extends ServiceAutoscaler {
  public readonly prometheusUrl: string;
  public readonly query: string;
  public readonly targetRequestsPerSecondPerPod: number;
  /** Same as `targetRequestsPerSecondPerPod`, under the name every `ReplicaAutoscaler` uses. */
  public readonly requestRateTargetPerPod: number;
  public readonly pollingIntervalSeconds: number;
  public readonly fallbackReplicas: number | undefined;
  public readonly scaledObject: ApiObject;

  constructor(scope: Construct, id: string, props: InferenceScaledObjectProps) {
    // KEDA creates and owns the HorizontalPodAutoscaler, named after the ScaledObject.
    super(scope, id, { ...props, hpaName: `${KEDA_HPA_PREFIX}${props.service.name}` });
    this.prometheusUrl = props.prometheusUrl;
    this.query = props.query;
    this.targetRequestsPerSecondPerPod = props.targetRequestsPerSecondPerPod;
    this.requestRateTargetPerPod = this.targetRequestsPerSecondPerPod;
    this.pollingIntervalSeconds = props.pollingIntervalSeconds ?? 15;
    this.fallbackReplicas = props.fallbackReplicas;
    this.checkProps();

    const spec: IScaledObject["spec"] = {
      scaleTargetRef: { ...this.scaleTarget },
      pollingInterval: this.pollingIntervalSeconds,
      minReplicaCount: this.minReplicas,
      maxReplicaCount: this.maxReplicas,
      ...(this.fallbackReplicas === undefined
        ? {}
        : { fallback: { failureThreshold: FALLBACK_FAILURE_THRESHOLD, replicas: this.fallbackReplicas } }),
      ...(this.behavior
        ? { advanced: { horizontalPodAutoscalerConfig: { behavior: hpaBehavior(this.behavior) } } }
        : {}),
      triggers: [
        {
          type: "prometheus",
          name: "request-rate",
          metricType: "AverageValue",
          metadata: {
            serverAddress: this.prometheusUrl,
            query: this.query,
            threshold: String(this.targetRequestsPerSecondPerPod),
            // No series yet (a fresh pod that has served nothing) means no traffic: 0, not an error.
            ignoreNullValues: "true",
          },
        },
      ],
    };
    const scaledObject: IScaledObject = {
      apiVersion: "keda.sh/v1alpha1",
      kind: "ScaledObject",
      metadata: { name: this.name, namespace: this.namespace, labels: { ...props.service.labels } },
      spec,
    };
    this.scaledObject = new ApiObject(this, "scaled-object", scaledObject);
    this.node.addValidation({ validate: () => this.targetProblems() });
  }

  private checkProps(): void {
    const fail = (prop: string, expectation: string, value: unknown): never => {
      throw new Error(`InferenceScaledObject: props.${prop} ${expectation}, got ${JSON.stringify(value)}`);
    };
    if (!(Number.isInteger(this.minReplicas) && this.minReplicas >= 1))
      fail("minReplicas", "must be an integer >= 1", this.minReplicas);
    if (!(Number.isInteger(this.maxReplicas) && this.maxReplicas >= this.minReplicas))
      fail("maxReplicas", `must be an integer >= minReplicas (${this.minReplicas})`, this.maxReplicas);
    if (!(Number.isFinite(this.targetRequestsPerSecondPerPod) && this.targetRequestsPerSecondPerPod > 0))
      fail("targetRequestsPerSecondPerPod", "must be a positive number", this.targetRequestsPerSecondPerPod);
    if (!(Number.isInteger(this.pollingIntervalSeconds) && this.pollingIntervalSeconds >= 1))
      fail("pollingIntervalSeconds", "must be an integer >= 1", this.pollingIntervalSeconds);
    if (!/^https?:\/\/[^\s/]+(\/\S*)?$/.test(this.prometheusUrl))
      fail("prometheusUrl", "must be an http(s) URL", this.prometheusUrl);
    if (this.query.trim() === "") fail("query", "must not be empty", this.query);
    const fallback = this.fallbackReplicas;
    if (
      fallback !== undefined &&
      !(Number.isInteger(fallback) && fallback >= this.minReplicas && fallback <= this.maxReplicas)
    )
      fail(
        "fallbackReplicas",
        `must be an integer from minReplicas (${this.minReplicas}) to maxReplicas (${this.maxReplicas})`,
        fallback,
      );
  }

  /**
   * The scale target must exist in the namespace without `spec.replicas` (every apply would reset KEDA's
   * count), and nothing else may scale it: two HPAs on one workload fight, and KEDA's admission webhook
   * rejects a ScaledObject whose target another HPA already scales.
   */
  private targetProblems(): string[] {
    const target = this.scaleTarget;
    const same = (ref: Partial<ScaleTargetReference>, namespace: string | undefined) =>
      namespace === this.namespace &&
      ref.name === target.name &&
      (ref.kind ?? "Deployment") === target.kind &&
      (ref.apiVersion ?? "apps/v1") === target.apiVersion;
    const objects = this.node.root.node.findAll().filter((c): c is ApiObject => c instanceof ApiObject);
    const problems: string[] = [];
    const workload = objects.find(
      (o) =>
        o.apiVersion === target.apiVersion &&
        o.kind === target.kind &&
        o.name === target.name &&
        o.metadata.namespace === this.namespace,
    );
    const describe = `ScaledObject ${this.name} (${this.node.path})`;
    if (!workload) {
      problems.push(
        `${describe}: scale target ${target.kind} ${target.name} (${target.apiVersion}) does not exist in namespace ${this.namespace}`,
      );
    } else {
      const replicas = (workload.toJson() as { spec?: { replicas?: number } }).spec?.replicas;
      if (replicas !== undefined)
        problems.push(
          `${describe}: the scale target ${target.kind} ${target.name} (${workload.node.path}) sets spec.replicas (${replicas}); leave it unset so KEDA's HorizontalPodAutoscaler alone owns the replica count`,
        );
    }
    for (const other of objects.map(scalerOf)) {
      if (other === undefined || other.path === this.scaledObject.node.path) continue;
      if (same(other.target, other.namespace))
        problems.push(
          `${describe}: ${other.kind} ${other.name} (${other.path}) also scales ${target.kind} ${target.name}; use one autoscaler per workload (KEDA creates its own HorizontalPodAutoscaler)`,
        );
    }
    return problems;
  }
}

function scalerOf(object: ApiObject): Scaler | undefined {
  if (object.kind !== "HorizontalPodAutoscaler" && object.kind !== "ScaledObject") return undefined;
  const json = object.toJson() as { spec?: { scaleTargetRef?: Partial<ScaleTargetReference> } };
  return {
    kind: object.kind,
    namespace: object.metadata.namespace,
    name: object.name,
    path: object.node.path,
    target: json.spec?.scaleTargetRef ?? {},
  };
}
