import { KUBE_STATE_METRICS, KUBE_STATE_METRICS_LABELS } from "../../kube-state-metrics-series.js";
import { jobName, type MonitoredService } from "../../monitored-service.js";
import { formatNumber, selector } from "../../promql.js";
import { serviceRequestRateQuery } from "../../request-rate.js";

/** The dashboard's view of KEDA's request-rate scaling (`autoscaling.mode: "requests"`). */
export interface RequestScalingQueries {
  /** The user request rate per scraped pod: what KEDA's HPA compares with the target. */
  readonly perPodRate: string;
  /** The target, as a constant series beside it. */
  readonly target: string;
  /** Replicas the request rate asks for, `ceil(rate / target)` within the bounds, before `behavior` paces it. */
  readonly wanted: string;
  /** Replicas KEDA's HPA wants and has (kube-state-metrics). */
  readonly desired: string;
  readonly current: string;
}

/**
 * Queries for the request-rate autoscaling panels, over all the service's pods (KEDA does not filter by pod,
 * so neither do these), in `namespace` (a literal or a Grafana variable) with `window` as the rate range.
 * Undefined when the service is not scaled on its request rate.
 *
 * @example requestScalingQueries(service, "$namespace", "$__rate_interval")?.perPodRate
 */
export function requestScalingQueries(
  service: MonitoredService,
  namespace: string,
  window: string,
): RequestScalingQueries | undefined {
  if (service.requestScaling === undefined) return undefined;
  const { targetRequestsPerSecondPerPod: target, minReplicas, maxReplicas } = service.requestScaling;
  const total = serviceRequestRateQuery({ namespace, serviceName: service.serviceName }, window);
  const scrapedPods = `count(${selector("up", { job: jobName(service), namespace })} == 1)`;
  const hpa = {
    [KUBE_STATE_METRICS_LABELS.namespace]: namespace,
    [KUBE_STATE_METRICS_LABELS.hpa]: service.hpaName,
  };
  return {
    perPodRate: `${total} / ${scrapedPods}`,
    target: `vector(${formatNumber(target)})`,
    wanted: `clamp(ceil(${total} / ${formatNumber(target)}), ${minReplicas}, ${maxReplicas})`,
    desired: selector(KUBE_STATE_METRICS.hpaDesiredReplicas, hpa),
    current: selector(KUBE_STATE_METRICS.hpaCurrentReplicas, hpa),
  };
}
