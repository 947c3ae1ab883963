import { METRICS } from "../../src/contract/index.js";
import { userTrafficMatchers, type MonitoredService } from "./monitored-service.js";
import { selector } from "./promql.js";

/**
 * Range of the request-rate autoscaling query: four scrapes at the default 15 s interval, the fewest that
 * give `rate()` a stable answer, so a burst shows within a minute.
 */
export const REQUEST_RATE_WINDOW = "1m";

/**
 * The service's total user request rate per second (probes and scrapes left out), across all its pods: the
 * query of the KEDA Prometheus trigger. With `metricType: AverageValue` KEDA's HPA divides it by the
 * number of pods, so the threshold is a per-pod rate.
 *
 * @example serviceRequestRateQuery({ namespace: "infer8s", serviceName: "iris-inference" })
 *   // => sum(rate(http_requests_total{job="iris-inference",namespace="infer8s",route!~"/health|/ready|/metrics"}[1m]))
 */
export function serviceRequestRateQuery(
  service: Pick<MonitoredService, "namespace" | "serviceName">,
  window: string = REQUEST_RATE_WINDOW,
): string {
  return `sum(rate(${selector(METRICS.httpRequests, userTrafficMatchers(service))}[${window}]))`;
}
