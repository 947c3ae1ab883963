import { Chart } from "cdk8s";
import type { Construct } from "constructs";
import { InferenceAutoscaler } from "./constructs/inference-autoscaler.js";
import { InferenceDisruptionBudget } from "./constructs/inference-disruption-budget.js";
import { InferenceIngress } from "./constructs/inference-ingress.js";
import { InferenceNetworkPolicy } from "./constructs/inference-network-policy.js";
import { InferenceScaledObject } from "./constructs/inference-scaled-object.js";
import { InferenceService } from "./constructs/inference-service.js";
import { prometheusServerUrl } from "./monitoring/prometheus-server.js";
import { serviceRequestRateQuery } from "./monitoring/request-rate.js";
import { requestRateTarget, terminationGracePeriodSeconds, type Settings } from "./settings.js";

/**
 * The inference service with its autoscaler (our HPA, or a KEDA ScaledObject in `autoscaling.mode:
 * "requests"`), disruption budget, network policy and optional ingress.
 */
export class InferenceChart extends Chart {
  /** The service; monitoring charts read its namespace, labels, port name and metrics path from here. */
  public readonly service: InferenceService;
  /** What scales the pods: our HPA on CPU and memory, or a KEDA ScaledObject on the request rate. */
  public readonly autoscaler: InferenceAutoscaler | InferenceScaledObject;

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
    });
    const { mode, minReplicas, maxReplicas, cpuUtilizationPercent, memoryUtilizationPercent, requests } =
      settings.autoscaling;
    this.autoscaler =
      mode === "requests"
        ? new InferenceScaledObject(this, "scaled-object", {
            service: this.service,
            // The integrator switches this to the chart's scaleTarget (Deployment or Rollout).
            scaleTarget: { apiVersion: "apps/v1", kind: "Deployment", name: this.service.deploymentName },
            prometheusUrl: requests.prometheusUrl ?? prometheusServerUrl(settings.monitoring.namespace),
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
    });
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
