import { Chart } from "cdk8s";
import type { Construct } from "constructs";
import { InferenceAutoscaler } from "./constructs/inference-autoscaler.js";
import { InferenceDisruptionBudget } from "./constructs/inference-disruption-budget.js";
import { InferenceIngress } from "./constructs/inference-ingress.js";
import { InferenceNetworkPolicy } from "./constructs/inference-network-policy.js";
import { InferenceService } from "./constructs/inference-service.js";
import { terminationGracePeriodSeconds, type Settings } from "./settings.js";

/** The inference service with its autoscaler, disruption budget, network policy and optional ingress. */
export class InferenceChart extends Chart {
  /** The service; monitoring charts read its namespace, labels, port name and metrics path from here. */
  public readonly service: InferenceService;
  public readonly autoscaler: InferenceAutoscaler;

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
    this.autoscaler = new InferenceAutoscaler(this, "autoscaler", {
      service: this.service,
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
  }
}
