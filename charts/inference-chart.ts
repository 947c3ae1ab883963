import { Chart } from "cdk8s";
import type { Construct } from "constructs";
import { InferenceAnalysisTemplate } from "./constructs/inference-analysis-template.js";
import { InferenceAutoscaler, type ScaleTarget } from "./constructs/inference-autoscaler.js";
import { InferenceDisruptionBudget } from "./constructs/inference-disruption-budget.js";
import { InferenceIngress } from "./constructs/inference-ingress.js";
import { InferenceNetworkPolicy } from "./constructs/inference-network-policy.js";
import { InferenceRollout } from "./constructs/inference-rollout.js";
import { InferenceService } from "./constructs/inference-service.js";
import { terminationGracePeriodSeconds, type Settings } from "./settings.js";

/**
 * The inference service with its autoscaler, disruption budget, network policy and optional ingress; with
 * `rollout.strategy` canary or blueGreen, an Argo Rollouts Rollout in place of the Deployment.
 */
export class InferenceChart extends Chart {
  /** The service; monitoring charts read its namespace, labels, port name and metrics path from here. */
  public readonly service: InferenceService;
  public readonly autoscaler: InferenceAutoscaler;
  /** The Rollout replacing the Deployment, or undefined with the "rolling" strategy. */
  public readonly rollout: InferenceRollout | undefined;
  /** What autoscalers (the HPA, or a KEDA ScaledObject) scale: `apps/v1 Deployment` or `argoproj.io/v1alpha1 Rollout`. */
  public readonly scaleTarget: ScaleTarget;
  private readonly settings: Settings;
  private analysis: InferenceAnalysisTemplate | undefined;

  constructor(scope: Construct, id: string, settings: Settings) {
    super(scope, id, { disableResourceNameHashes: true });
    this.settings = settings;
    this.service = new InferenceService(this, "service", {
      namespace: settings.namespace,
      imageRepository: settings.image.repository,
      imageTag: settings.image.tag,
      requests: settings.resources.requests,
      limits: settings.resources.limits,
      heapLimitMiB: settings.resources.heapLimitMiB,
      server: settings.server,
      probes: settings.probes,
      terminationGracePeriodSeconds: terminationGracePeriodSeconds(settings.server),
      serviceType: settings.service.type,
      servicePort: settings.service.port,
    });
    const { strategy, canarySteps, blueGreenAutoPromotion } = settings.rollout;
    this.rollout =
      strategy === "rolling"
        ? undefined
        : new InferenceRollout(this, "rollout", {
            service: this.service,
            strategy,
            canarySteps,
            autoPromotion: blueGreenAutoPromotion,
          });
    const deployment = this.service.deployment;
    this.scaleTarget = this.rollout?.scaleTarget ?? {
      apiVersion: deployment.apiVersion,
      kind: deployment.kind,
      name: deployment.name,
    };
    this.autoscaler = new InferenceAutoscaler(this, "autoscaler", {
      service: this.service,
      scaleTarget: this.scaleTarget,
      ...settings.autoscaling,
      behavior: settings.autoscalingBehavior,
    });
    new InferenceDisruptionBudget(this, "disruption-budget", { service: this.service });
    new InferenceNetworkPolicy(this, "network-policy", {
      service: this.service,
      clientNamespaces: settings.clientNamespaces,
      ...(settings.monitoring.enabled ? { monitoringNamespace: settings.monitoring.namespace } : {}),
    });
    if (settings.ingress.host !== undefined) {
      new InferenceIngress(this, "ingress", {
        service: this.service,
        host: settings.ingress.host,
        ...(settings.ingress.className ? { className: settings.ingress.className } : {}),
        ...(settings.ingress.tlsSecretName ? { tlsSecretName: settings.ingress.tlsSecretName } : {}),
      });
    }
    this.node.addValidation({
      validate: () =>
        this.rollout && !this.analysis
          ? [
              `Rollout ${this.rollout.name} refers to AnalysisTemplate ${this.rollout.analysisTemplateName}, which was never added (call addRolloutAnalysis)`,
            ]
          : [],
    });
  }

  /**
   * Adds the Rollout's AnalysisTemplate, reading from the Prometheus at `defaultPrometheusUrl` unless
   * `rollout.analysis.prometheusUrl` is set. The app calls it once the monitoring chart (and so the URL of
   * our own Prometheus) exists; without a Rollout it does nothing.
   */
  public addRolloutAnalysis(defaultPrometheusUrl: string | undefined): InferenceAnalysisTemplate | undefined {
    if (!this.rollout) return undefined;
    const { analysis } = this.settings.rollout;
    const prometheusUrl = analysis.prometheusUrl ?? defaultPrometheusUrl;
    if (prometheusUrl === undefined) {
      throw new Error(
        "InferenceChart: the Rollout's analysis needs a Prometheus URL (rollout.analysis.prometheusUrl)",
      );
    }
    this.analysis = new InferenceAnalysisTemplate(this, "analysis-template", {
      name: this.rollout.analysisTemplateName,
      namespace: this.service.namespace,
      labels: this.service.labels,
      prometheusUrl,
      scope: { namespace: this.service.namespace, jobs: this.rollout.scrapedServiceNames },
      thresholds: analysis,
      interval: analysis.interval,
      window: analysis.window,
      failureLimit: analysis.failureLimit,
    });
    return this.analysis;
  }
}
