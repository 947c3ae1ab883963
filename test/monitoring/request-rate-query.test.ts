import { describe, expect, it } from "vitest";
import { InferenceScaledObject } from "../../charts/constructs/inference-scaled-object.js";
import { METRICS } from "../../src/contract/index.js";
import { appFor } from "./fixtures.js";
import { parsePromql } from "./promql-syntax.js";

function scaledObjectFor(overrides: Parameters<typeof appFor>[0]) {
  const scaler = appFor(overrides).inference.autoscaler;
  if (!(scaler instanceof InferenceScaledObject)) throw new Error("no ScaledObject in requests mode");
  return scaler;
}

describe("the KEDA trigger query of autoscaling mode requests", () => {
  it.each([
    ["the defaults", {}],
    ["another namespace", { namespace: "team-a" }],
  ])("parses as PromQL and reads only the server's request counter (%s)", (_, overrides) => {
    const { query } = scaledObjectFor({ ...overrides, autoscaling: { mode: "requests" } });
    const syntax = parsePromql(query);
    expect(syntax.errorsAt).toEqual([]);
    expect(syntax.metricNames).toEqual([METRICS.httpRequests]);
  });

  it("sums one series per service, so KEDA gets the single sample it requires", () => {
    const { query } = scaledObjectFor({ autoscaling: { mode: "requests" } });
    expect(query).toMatch(/^sum\(rate\(http_requests_total\{[^}]*\}\[1m\]\)\)$/);
    expect(query).toContain('namespace="infer8s"');
    expect(query).toContain('route!~"/health|/ready|/metrics"');
  });
});
