import { Chart } from "cdk8s";
import type { Construct } from "constructs";
import { InferenceAuthorizationPolicy } from "./constructs/inference-authorization-policy.js";
import { InferenceAutoscaler } from "./constructs/inference-autoscaler.js";
import { InferenceDisruptionBudget } from "./constructs/inference-disruption-budget.js";
import { InferenceIngress } from "./constructs/inference-ingress.js";
import { InferenceNetworkPolicy } from "./constructs/inference-network-policy.js";
import { InferenceScaledObject } from "./constructs/inference-scaled-object.js";
import { InferenceService } from "./constructs/inference-service.js";
import { meshPrincipal } from "./constructs/istio-ambient.js";
import { PROMETHEUS_NAME, prometheusServerUrl } from "./monitoring/prometheus-server.js";
import { serviceRequestRateQuery } from "./monitoring/request-rate.js";
import { requestRateTarget, terminationGracePeriodSeconds, type Settings } from "./settings.js";

/**
 * The inference service with its autoscaler (our HPA, or a KEDA ScaledObject in `autoscaling.mode:
 * "requests"`), disruption budget, network policy, optional ingress and, in the ambient mesh, its
 * AuthorizationPolicies.
 */
export class InferenceChart extends Chart {
  /** The service; monitoring charts read its namespace, labels, port name and metrics path from here. */
  public readonly service: InferenceService;
  /** What scales the pods: our HPA on CPU and memory, or a KEDA ScaledObject on the request rate. */
  public readonly autoscaler: InferenceAutoscaler | InferenceScaledObject;
  /** Who may reach the pods through the mesh; undefined without a mesh. */
  public readonly authorization: InferenceAuthorizationPolicy | undefined;

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
