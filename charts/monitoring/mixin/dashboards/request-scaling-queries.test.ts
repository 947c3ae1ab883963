import { describe, expect, it } from "vitest";
import { parsePromql } from "../../../../test/monitoring/promql-syntax.js";
import { appFor } from "../../../../test/monitoring/fixtures.js";
import { monitoredService } from "../../monitored-service.js";
import { requestScalingQueries } from "./request-scaling-queries.js";

const serviceFor = (overrides: Parameters<typeof appFor>[0]) => {
  const { inference } = appFor(overrides);
  return monitoredService(inference.service, inference.autoscaler);
};

describe("requestScalingQueries", () => {
  it("is undefined when our own HPA scales on CPU and memory", () => {
    expect(requestScalingQueries(serviceFor({}), "$namespace", "$__rate_interval")).toBeUndefined();
  });

  it("compares the per-pod rate with the target and follows KEDA's HPA, in valid PromQL", () => {
    const service = serviceFor({ autoscaling: { mode: "requests", minReplicas: 3, maxReplicas: 8 } });
    const q = requestScalingQueries(service, "$namespace", "$__rate_interval");
    const total =
      'sum(rate(http_requests_total{job="iris-inference",namespace="$namespace",route!~"/health|/ready|/metrics"}[$__rate_interval]))';
    expect(q).toEqual({
      perPodRate: `${total} / count(up{job="iris-inference",namespace="$namespace"} == 1)`,
      target: "vector(311)",
      wanted: `clamp(ceil(${total} / 311), 3, 8)`,
      desired:
        'kube_horizontalpodautoscaler_status_desired_replicas{namespace="$namespace",horizontalpodautoscaler="keda-hpa-iris-inference"}',
      current:
        'kube_horizontalpodautoscaler_status_current_replicas{namespace="$namespace",horizontalpodautoscaler="keda-hpa-iris-inference"}',
    });
    // The grammar does not know Grafana's variables: parse with the values Grafana substitutes.
    const substituted = requestScalingQueries(service, "infer8s", "1m");
    for (const expr of Object.values(substituted ?? {})) expect(parsePromql(expr).errorsAt, expr).toEqual([]);
  });
});
