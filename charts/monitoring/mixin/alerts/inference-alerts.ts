import { METRICS } from "../../../../src/contract/index.js";
import { KUBE_STATE_METRICS, KUBE_STATE_METRICS_LABELS } from "../../kube-state-metrics-series.js";
import {
  jobName,
  podNamePattern,
  targetMatchers,
  userTrafficMatchers,
  type MonitoredService,
} from "../../monitored-service.js";
import type { PrometheusDuration } from "../../prometheus-config.js";
import { formatNumber, selector, type LabelMatchers } from "../../promql.js";
import { durationInWords, type AlertsConfig, type MonitoringConfig, type SloConfig } from "../config.js";
import { errorRatioExpr, errorRatioRecord } from "../rules/error-ratio.js";
import type { AlertingRule, Severity } from "../rules/rule-file.js";

/**
 * The alerts about the inference service, as typed definitions. Every threshold, window and `for` comes
 * from the `MonitoringConfig`; `withRunbookUrls` adds the runbook links.
 */

/** An alert together with the quantities its condition compares. */
export interface AlertDefinition {
  readonly rule: AlertingRule;
  /**
   * The PromQL quantities the condition compares against thresholds. The condition is empty while all is
   * well; the signals are not, which is how tests prove an alert watches series that really exist.
   */
  readonly signals: readonly string[];
}

/** The two burn-rate alerts: name and severity are fixed, speed and windows come from `slo.burnRates`. */
export const BURN_RATE_ALERTS = [
  { alert: "InferenceErrorBudgetBurnFast", speed: "fast", severity: "critical" },
  { alert: "InferenceErrorBudgetBurnSlow", speed: "slow", severity: "warning" },
] as const satisfies readonly { alert: string; speed: "fast" | "slow"; severity: Severity }[];

/** The `quantile` of user request latency over `window`, from the histogram buckets of every pod. */
export function latencyQuantileExpr(
  service: MonitoredService,
  quantile: number,
  window: PrometheusDuration,
): string {
  const buckets = selector(`${METRICS.httpRequestDuration}_bucket`, userTrafficMatchers(service));
  return `histogram_quantile(${quantile}, sum by (namespace, job, le) (rate(${buckets}[${window}])))`;
}

/** What an alert says, beside its name, severity, `for` and signals. */
interface AlertText {
  readonly expr: string;
  readonly summary: string;
  readonly description: string;
}

/** The alert `name`, firing once `expr` has held for `forDuration`, watching `signals`. */
function alertOn(
  name: string,
  severity: Severity,
  forDuration: PrometheusDuration,
  signals: readonly string[],
  { expr, summary, description }: AlertText,
): AlertDefinition {
  return {
    signals,
    rule: {
      alert: name,
      expr,
      for: forDuration,
      labels: { severity },
      annotations: { summary, description },
    },
  };
}

/** Pods Prometheus cannot scrape, and no pod scraped at all. */
function scrapeAlerts(service: MonitoredService, tuned: AlertsConfig): AlertDefinition[] {
  const up = selector("up", targetMatchers(service));
  return [
    alertOn("InferenceTargetDown", "warning", tuned.targetDown.for, [up], {
      expr: `${up} == 0`,
      summary: "An inference pod cannot be scraped.",
      description: `Prometheus has failed to scrape {{ $labels.namespace }}/{{ $labels.pod }} (job {{ $labels.job }}) for ${durationInWords(tuned.targetDown.for)}: the pod is down, not serving or unreachable.`,
    }),
    alertOn("InferenceServiceDown", "critical", tuned.serviceDown.for, [up], {
      expr: `absent(${up} == 1)`,
      summary: "No inference pod is up.",
      description: `No target of job ${jobName(service)} in namespace ${service.namespace} has been scraped successfully for ${durationInWords(tuned.serviceDown.for)}: the inference service is down or its pods are not discovered.`,
    }),
  ];
}

/** User requests that fail or are slow. */
function trafficAlerts(service: MonitoredService, tuned: AlertsConfig): AlertDefinition[] {
  const { highErrorRatio, highLatency } = tuned;
  const errorRatio = errorRatioExpr(service, highErrorRatio.window);
  const p95 = latencyQuantileExpr(service, 0.95, highLatency.window);
  return [
    alertOn("InferenceHighErrorRatio", "warning", highErrorRatio.for, [errorRatio], {
      expr: `${errorRatio} > ${formatNumber(highErrorRatio.ratio)}`,
      summary: "Many inference requests fail with 5xx.",
      description: `{{ $value | humanizePercentage }} of user requests to {{ $labels.namespace }}/{{ $labels.job }} were answered 5xx over the last ${durationInWords(highErrorRatio.window)} (threshold ${formatNumber(highErrorRatio.ratio * 100)}%).`,
    }),
    alertOn("InferenceHighLatency", "warning", highLatency.for, [p95], {
      expr: `${p95} > ${formatNumber(highLatency.p95Seconds)}`,
      summary: "Inference requests are slow.",
      description: `The 95th percentile latency of user requests to {{ $labels.namespace }}/{{ $labels.job }} is {{ $value | humanizeDuration }} (threshold ${formatNumber(highLatency.p95Seconds)}s).`,
    }),
  ];
}

/** An autoscaler that cannot add pods, and containers that keep restarting. */
function capacityAlerts(service: MonitoredService, tuned: AlertsConfig): AlertDefinition[] {
  const ns = KUBE_STATE_METRICS_LABELS.namespace;
  const hpa: LabelMatchers = { [ns]: service.namespace, [KUBE_STATE_METRICS_LABELS.hpa]: service.hpaName };
  const current = selector(KUBE_STATE_METRICS.hpaCurrentReplicas, hpa);
  const max = selector(KUBE_STATE_METRICS.hpaMaxReplicas, hpa);
  const pods: LabelMatchers = {
    [ns]: service.namespace,
    [KUBE_STATE_METRICS_LABELS.pod]: { op: "=~", value: podNamePattern(service) },
  };
  const restarts = `increase(${selector(KUBE_STATE_METRICS.containerRestarts, pods)}[${tuned.podRestarting.window}])`;
  return [
    alertOn(
      "InferenceAutoscalerAtMaxReplicas",
      "warning",
      tuned.autoscalerAtMaxReplicas.for,
      [current, max],
      {
        expr: `${current} >= on (namespace, horizontalpodautoscaler) ${max}`,
        summary: "The inference autoscaler cannot add more pods.",
        description: `HorizontalPodAutoscaler {{ $labels.namespace }}/{{ $labels.horizontalpodautoscaler }} has run at its maximum of {{ $value }} replicas for ${durationInWords(tuned.autoscalerAtMaxReplicas.for)}; latency and errors may follow. Raise maxReplicas or add capacity.`,
      },
    ),
    alertOn("InferencePodRestarting", "warning", tuned.podRestarting.for, [restarts], {
      expr: `${restarts} >= ${tuned.podRestarting.restarts}`,
      summary: "An inference container keeps restarting.",
      description: `Container {{ $labels.container }} of pod {{ $labels.namespace }}/{{ $labels.pod }} restarted {{ $value | printf "%.0f" }} times in the last ${durationInWords(tuned.podRestarting.window)}.`,
    }),
  ];
}

/** Many requests refused with 401: a client with a revoked or mistyped key, or someone guessing keys. */
function authAlerts(service: MonitoredService, tuned: AlertsConfig): AlertDefinition[] {
  const { perSecond, window, for: forDuration } = tuned.unauthorizedBurst;
  const refused = `sum by (namespace, job) (rate(${selector(METRICS.authFailures, targetMatchers(service))}[${window}]))`;
  return [
    alertOn("InferenceUnauthorizedBurst", "warning", forDuration, [refused], {
      expr: `${refused} > ${formatNumber(perSecond)}`,
      summary: "Many inference requests are refused for a missing or invalid API key.",
      description: `{{ $labels.namespace }}/{{ $labels.job }} refused {{ $value | humanize }} requests per second with 401 over the last ${durationInWords(window)} (threshold ${formatNumber(perSecond)}/s): a client lost its key in a rotation, or someone is guessing keys.`,
    }),
  ];
}

/** The SLO's error budget spent `burn.factor` times too fast over both of `burn`'s windows. */
function burnRateAlert(
  service: MonitoredService,
  slo: SloConfig,
  { alert, speed, severity }: (typeof BURN_RATE_ALERTS)[number],
): AlertDefinition {
  const burn = slo.burnRates[speed];
  const budget = formatNumber(1 - slo.availabilityTarget);
  const objectivePercent = formatNumber(slo.availabilityTarget * 100);
  const long = selector(errorRatioRecord(burn.longWindow), targetMatchers(service));
  const short = selector(errorRatioRecord(burn.shortWindow), targetMatchers(service));
  const limit = `(${formatNumber(burn.factor)} * ${budget})`;
  const pace = severity === "critical" ? "fast" : "steadily";
  return alertOn(alert, severity, burn.for, [long, short], {
    expr: `${long} > ${limit} and ${short} > ${limit}`,
    summary: `The inference service is burning its ${objectivePercent}% availability error budget ${pace}.`,
    description: `{{ $labels.namespace }}/{{ $labels.job }} answered {{ $value | humanizePercentage }} of user requests with 5xx over the last ${burn.longWindow}, ${formatNumber(burn.factor)} times the rate its ${objectivePercent}% objective allows (and still over the last ${burn.shortWindow}).`,
  });
}

/**
 * Every alert about the inference service, without runbook links (see `inferenceMixin` for the shipped set).
 * `config` must be valid (`assertMonitoringConfig`).
 *
 * @example inferenceAlerts(service, DEFAULT_MONITORING_CONFIG).map((a) => a.rule.alert)
 */
export function inferenceAlerts(service: MonitoredService, config: MonitoringConfig): AlertDefinition[] {
  return [
    ...scrapeAlerts(service, config.alerts),
    ...trafficAlerts(service, config.alerts),
    ...capacityAlerts(service, config.alerts),
    ...authAlerts(service, config.alerts),
    ...BURN_RATE_ALERTS.map((burnRate) => burnRateAlert(service, config.slo, burnRate)),
  ];
}
