import { METRICS, METRIC_LABELS } from "../../../../src/contract/index.js";
import { userTrafficMatchers, type MonitoredService } from "../../monitored-service.js";
import type { PrometheusDuration } from "../../prometheus-config.js";
import { selector } from "../../promql.js";
import { durationSeconds, type SloConfig } from "../config.js";
import type { RecordingRule } from "./rule-file.js";

/** Name of the recorded 5xx ratio of user requests over a window. */
export function errorRatioRecord(window: PrometheusDuration): string {
  return `namespace_job:http_request_errors:ratio_rate${window}`;
}

/**
 * The 5xx share of user requests over `window`, per namespace and job. A service that has never answered
 * 5xx has no 5xx series at all; `or … * 0` turns that into a ratio of 0 instead of no data.
 */
export function errorRatioExpr(service: MonitoredService, window: PrometheusDuration): string {
  const by = "sum by (namespace, job)";
  const all = selector(METRICS.httpRequests, userTrafficMatchers(service));
  const failed = selector(METRICS.httpRequests, {
    ...userTrafficMatchers(service),
    [METRIC_LABELS.status]: { op: "=~", value: "5.." },
  });
  return `(${by} (rate(${failed}[${window}])) or ${by} (rate(${all}[${window}])) * 0) / ${by} (rate(${all}[${window}]))`;
}

/** Every window a burn-rate alert compares, shortest first, each once. */
export function errorRatioWindows(slo: SloConfig): PrometheusDuration[] {
  const { fast, slow } = slo.burnRates;
  const windows = [...new Set([fast.shortWindow, fast.longWindow, slow.shortWindow, slow.longWindow])];
  return windows.sort((a, b) => durationSeconds(a) - durationSeconds(b) || a.localeCompare(b));
}

/**
 * Recording rules for the error ratio over each burn-rate window: the alerts compare these series, so a
 * 6-hour rate is computed once per evaluation rather than inside every alert.
 */
export function errorRatioRecordingRules(service: MonitoredService, slo: SloConfig): RecordingRule[] {
  return errorRatioWindows(slo).map((window) => ({
    record: errorRatioRecord(window),
    expr: errorRatioExpr(service, window),
  }));
}
