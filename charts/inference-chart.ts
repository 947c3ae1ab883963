import { Chart } from "cdk8s";
import type { Construct } from "constructs";
import { InferenceAnalysisTemplate } from "./constructs/inference-analysis-template.js";
import { InferenceAuthorizationPolicy } from "./constructs/inference-authorization-policy.js";
import { InferenceAutoscaler, type ScaleTarget } from "./constructs/inference-autoscaler.js";
import { InferenceDisruptionBudget } from "./constructs/inference-disruption-budget.js";
import { InferenceIngress } from "./constructs/inference-ingress.js";
import { InferenceNetworkPolicy } from "./constructs/inference-network-policy.js";
import { InferenceRollout } from "./constructs/inference-rollout.js";
import { InferenceScaledObject } from "./constructs/inference-scaled-object.js";
import { InferenceService } from "./constructs/inference-service.js";
import { meshPrincipal } from "./constructs/istio-ambient.js";
import { PROMETHEUS_NAME, prometheusServerUrl } from "./monitoring/prometheus-server.js";
import { serviceRequestRateQuery } from "./monitoring/request-rate.js";
import { requestRateTarget, terminationGracePeriodSeconds, type Settings } from "./settings.js";

/**
 * The inference service with its autoscaler (our HPA, or a KEDA ScaledObject in `autoscaling.mode:
 * "requests"`), disruption budget, network policy, optional ingress and, in the ambient mesh, its
 * AuthorizationPolicies; with `rollout.strategy` canary or blueGreen, an Argo Rollouts Rollout in place of the
 * Deployment, and its AnalysisTemplate.
 */
export class InferenceChart extends Chart {
  /** The service; monitoring charts read its namespace, labels, port name and metrics path from here. */
  public readonly service: InferenceService;
  /** What scales the pods: our HPA on CPU and memory, or a KEDA ScaledObject on the request rate. */
  public readonly autoscaler: InferenceAutoscaler | InferenceScaledObject;
  /** Who may reach the pods through the mesh; undefined without a mesh. */
  public readonly authorization: InferenceAuthorizationPolicy | undefined;
  /** The Rollout replacing the Deployment, or undefined with the "rolling" strategy. */
  public readonly rollout: InferenceRollout | undefined;
  /** The Rollout's analysis, or undefined without a Rollout. */
  public readonly analysis: InferenceAnalysisTemplate | undefined;
  /** What the autoscaler scales: `apps/v1 Deployment`, or `argoproj.io/v1alpha1 Rollout` with a Rollout. */
  public readonly scaleTarget: ScaleTarget;

  constructor(scope: Construct, id: string, settings: Settings) {
    super(scope, id, { disableResourceNameHashes: true });
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
      auth: settings.auth,
    });
    // Our own Prometheus in standalone mode; settings validation demands an explicit URL otherwise.
    const ownPrometheus = prometheusServerUrl(settings.monitoring.namespace);

    const { strategy, canarySteps, blueGreenAutoPromotion, analysis } = settings.rollout;
    this.rollout =
      strategy === "rolling"
        ? undefined
        : new InferenceRollout(this, "rollout", {
            service: this.service,
            strategy,
            canarySteps,
            autoPromotion: blueGreenAutoPromotion,
          });
    this.analysis =
      this.rollout &&
      new InferenceAnalysisTemplate(this, "analysis-template", {
        name: this.rollout.analysisTemplateName,
        namespace: this.service.namespace,
        labels: this.service.labels,
        prometheusUrl: analysis.prometheusUrl ?? ownPrometheus,
        scope: { namespace: this.service.namespace, jobs: this.rollout.scrapedServiceNames },
        thresholds: analysis,
        interval: analysis.interval,
        window: analysis.window,
        failureLimit: analysis.failureLimit,
      });
    const deployment = this.service.deployment;
    this.scaleTarget = this.rollout?.scaleTarget ?? {
      apiVersion: deployment.apiVersion,
      kind: deployment.kind,
      name: deployment.name,
    };

    const { mode, minReplicas, maxReplicas, cpuUtilizationPercent, memoryUtilizationPercent, requests } =
      settings.autoscaling;
    this.autoscaler =
      mode === "requests"
        ? new InferenceScaledObject(this, "scaled-object", {
            service: this.service,
            scaleTarget: this.scaleTarget,
            prometheusUrl: requests.prometheusUrl ?? ownPrometheus,
            query: serviceRequestRateQuery(this.service),
            targetRequestsPerSecondPerPod: requestRateTarget(settings),
            minReplicas,
            maxReplicas,
            pollingIntervalSeconds: requests.pollingIntervalSeconds,
            behavior: settings.autoscalingBehavior,
            ...(requests.fallbackReplicas === undefined
              ? {}
              : { fallbackReplicas: requests.fallbackReplicas }),
          })
        : new InferenceAutoscaler(this, "autoscaler", {
            service: this.service,
            scaleTarget: this.scaleTarget,
            minReplicas,
            maxReplicas,
            cpuUtilizationPercent,
            memoryUtilizationPercent,
            behavior: settings.autoscalingBehavior,
          });
    new InferenceDisruptionBudget(this, "disruption-budget", { service: this.service });
    new InferenceNetworkPolicy(this, "network-policy", {
      service: this.service,
      clientNamespaces: settings.clientNamespaces,
      ...(settings.monitoring.enabled ? { monitoringNamespace: settings.monitoring.namespace } : {}),
      ambientMesh: settings.mesh.mode === "istio-ambient",
    });
    this.authorization =
      settings.mesh.mode === "istio-ambient"
        ? new InferenceAuthorizationPolicy(this, "authorization-policy", {
            service: this.service,
            clientNamespaces: settings.clientNamespaces,
            // The one place that says where /metrics is served: today the API's port (src/contract PATHS.metrics
            // on SERVER_PORT). Give /metrics its own port and the metrics policy keeps clients out of it.
            metricsPort: this.service.containerPort,
            ...(settings.monitoring.enabled ? { prometheusPrincipal: prometheusPrincipal(settings) } : {}),
          })
        : undefined;
    if (settings.ingress.host !== undefined) {
      new InferenceIngress(this, "ingress", {
        service: this.service,
        host: settings.ingress.host,
        ...(settings.ingress.className ? { className: settings.ingress.className } : {}),
        ...(settings.ingress.tlsSecretName ? { tlsSecretName: settings.ingress.tlsSecretName } : {}),
      });
    }
  }
}

/**
 * The mesh identity of the Prometheus that scrapes the server: the standalone stack's own ServiceAccount, or
 * kube-prometheus-stack's (`mesh.operatorPrometheusServiceAccount`), in `monitoring.namespace`.
 */
export function prometheusPrincipal(settings: Settings): string {
  const { monitoring, mesh } = settings;
  const serviceAccount =
    monitoring.mode === "standalone" ? PROMETHEUS_NAME : mesh.operatorPrometheusServiceAccount;
  return meshPrincipal(mesh.trustDomain, monitoring.namespace, serviceAccount);
}
