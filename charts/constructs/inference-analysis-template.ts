import { ApiObject } from "cdk8s";
import { Construct } from "constructs";
import type { IAnalysisTemplate } from "@kubernetes-models/argo-rollouts/argoproj.io/v1alpha1/AnalysisTemplate";
import type { PrometheusDuration } from "../monitoring/prometheus-config.js";
import {
  rolloutAnalysisMetrics,
  type AnalysisMetric,
  type AnalysisScope,
  type AnalysisThresholds,
} from "../monitoring/rollout-analysis.js";
import { ANALYSIS_ARGS } from "./argo-rollouts-names.js";

export interface InferenceAnalysisTemplateProps {
  /** Name of the AnalysisTemplate (the Rollout refers to it). */
  readonly name: string;
  readonly namespace: string;
  /** Labels of the object. */
  readonly labels: Readonly<Record<string, string>>;
  /** Base URL of the Prometheus that scrapes the service, e.g. `http://prometheus.monitoring.svc:9090`. */
  readonly prometheusUrl: string;
  /** Namespace and scrape jobs of the service's pods. */
  readonly scope: AnalysisScope;
  /** Limits of the three measurements. */
  readonly thresholds: AnalysisThresholds;
  /** Time between measurements (a Go duration Argo Rollouts parses, e.g. "1m"). @default "1m" */
  readonly interval?: PrometheusDuration;
  /** Range of the rates each measurement reads. @default "2m" */
  readonly window?: PrometheusDuration;
  /** Failed measurements tolerated per metric before the analysis fails. @default 1 */
  readonly failureLimit?: number;
}

/**
 * The Argo Rollouts `AnalysisTemplate` of the inference service: its 5xx ratio, p95 latency and predicted-class
 * drift, read from Prometheus for the new pods (`new-hash`) against the old ones (`old-hash`). Measurements
 * repeat every `interval` until the rollout step ends; more than `failureLimit` failures of one metric fail
 * the run, which aborts the rollout (the new pods are scaled down, traffic returns to the old version).
 */
export class InferenceAnalysisTemplate extends Construct {
  public readonly name: string;
  public readonly prometheusUrl: string;
  public readonly interval: PrometheusDuration;
  public readonly window: PrometheusDuration;
  public readonly failureLimit: number;
  /** The measurements, as typed data (queries with `{{args.*}}` placeholders). */
  public readonly metrics: readonly AnalysisMetric[];

  constructor(scope: Construct, id: string, props: InferenceAnalysisTemplateProps) {
    super(scope, id);
    this.name = props.name;
    this.prometheusUrl = props.prometheusUrl;
    this.interval = props.interval ?? "1m";
    this.window = props.window ?? "2m";
    this.failureLimit = props.failureLimit ?? 1;
    if (!/^https?:\/\/\S+$/.test(this.prometheusUrl)) {
      throw new Error(
        `InferenceAnalysisTemplate: props.prometheusUrl must be an http(s) URL, got "${this.prometheusUrl}"`,
      );
    }
    if (!(Number.isInteger(this.failureLimit) && this.failureLimit >= 0)) {
      throw new Error(
        `InferenceAnalysisTemplate: props.failureLimit must be an integer >= 0, got ${this.failureLimit}`,
      );
    }
    this.metrics = rolloutAnalysisMetrics(props.scope, props.thresholds, this.window);
    const template: IAnalysisTemplate = {
      apiVersion: "argoproj.io/v1alpha1",
      kind: "AnalysisTemplate",
      metadata: { name: this.name, namespace: props.namespace, labels: { ...props.labels } },
      spec: {
        args: [{ name: ANALYSIS_ARGS.newHash }, { name: ANALYSIS_ARGS.oldHash }],
        metrics: this.metrics.map((m) => ({
          name: m.name,
          interval: this.interval,
          failureLimit: this.failureLimit,
          successCondition: m.successCondition,
          failureCondition: m.failureCondition,
          provider: { prometheus: { address: this.prometheusUrl, query: m.query } },
        })),
      },
    };
    new ApiObject(this, "analysis-template", template);
  }
}
