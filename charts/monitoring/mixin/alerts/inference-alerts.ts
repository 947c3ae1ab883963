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
import { durationInWords, type BurnRateConfig, type MonitoringConfig } from "../config.js";
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

/**
 * Every alert about the inference service, without runbook links (see `inferenceMixin` for the shipped set).
 * `config` must be valid (`assertMonitoringConfig`).
 *
 * @example inferenceAlerts(service, DEFAULT_MONITORING_CONFIG).map((a) => a.rule.alert)
 */
export function inferenceAlerts(service: MonitoredService, config: MonitoringConfig): AlertDefinition[] {
  const { alerts: tuned, slo } = config;
  const up = selector("up", targetMatchers(service));
  const errorRatio = errorRatioExpr(service, tuned.highErrorRatio.window);
  const p95 = latencyQuantileExpr(service, 0.95, tuned.highLatency.window);
  const hpa: LabelMatchers = {
    [KUBE_STATE_METRICS_LABELS.namespace]: service.namespace,
    [KUBE_STATE_METRICS_LABELS.hpa]: service.hpaName,
  };
  const current = selector(KUBE_STATE_METRICS.hpaCurrentReplicas, hpa);
  const max = selector(KUBE_STATE_METRICS.hpaMaxReplicas, hpa);
  const restarts = `increase(${selector(KUBE_STATE_METRICS.containerRestarts, {
    [KUBE_STATE_METRICS_LABELS.namespace]: service.namespace,
    [KUBE_STATE_METRICS_LABELS.pod]: { op: "=~", value: podNamePattern(service) },
  })}[${tuned.podRestarting.window}])`;
  const budget = formatNumber(1 - slo.availabilityTarget);
  const objectivePercent = formatNumber(slo.availabilityTarget * 100);

  const burnRateAlert = (alert: string, burn: BurnRateConfig, severity: Severity): AlertDefinition => {
    const long = selector(errorRatioRecord(burn.longWindow), targetMatchers(service));
    const short = selector(errorRatioRecord(burn.shortWindow), targetMatchers(service));
    const limit = `(${formatNumber(burn.factor)} * ${budget})`;
    const speed = severity === "critical" ? "fast" : "steadily";
    return {
      signals: [long, short],
      rule: {
        alert,
        expr: `${long} > ${limit} and ${short} > ${limit}`,
        for: burn.for,
        labels: { severity },
        annotations: {
          summary: `The inference service is burning its ${objectivePercent}% availability error budget ${speed}.`,
          description: `{{ $labels.namespace }}/{{ $labels.job }} answered {{ $value | humanizePercentage }} of user requests with 5xx over the last ${burn.longWindow}, ${formatNumber(burn.factor)} times the rate its ${objectivePercent}% objective allows (and still over the last ${burn.shortWindow}).`,
        },
      },
    };
  };

  return [
    {
      signals: [up],
      rule: {
        alert: "InferenceTargetDown",
        expr: `${up} == 0`,
        for: tuned.targetDown.for,
        labels: { severity: "warning" },
        annotations: {
          summary: "An inference pod cannot be scraped.",
          description: `Prometheus has failed to scrape {{ $labels.namespace }}/{{ $labels.pod }} (job {{ $labels.job }}) for ${durationInWords(tuned.targetDown.for)}: the pod is down, not serving or unreachable.`,
        },
      },
    },
    {
      signals: [up],
      rule: {
        alert: "InferenceServiceDown",
        expr: `absent(${up} == 1)`,
        for: tuned.serviceDown.for,
        labels: { severity: "critical" },
        annotations: {
          summary: "No inference pod is up.",
          description: `No target of job ${jobName(service)} in namespace ${service.namespace} has been scraped successfully for ${durationInWords(tuned.serviceDown.for)}: the inference service is down or its pods are not discovered.`,
        },
      },
    },
    {
      signals: [errorRatio],
      rule: {
        alert: "InferenceHighErrorRatio",
        expr: `${errorRatio} > ${formatNumber(tuned.highErrorRatio.ratio)}`,
        for: tuned.highErrorRatio.for,
        labels: { severity: "warning" },
        annotations: {
          summary: "Many inference requests fail with 5xx.",
          description: `{{ $value | humanizePercentage }} of user requests to {{ $labels.namespace }}/{{ $labels.job }} were answered 5xx over the last ${durationInWords(tuned.highErrorRatio.window)} (threshold ${formatNumber(tuned.highErrorRatio.ratio * 100)}%).`,
        },
      },
    },
    {
      signals: [p95],
      rule: {
        alert: "InferenceHighLatency",
        expr: `${p95} > ${formatNumber(tuned.highLatency.p95Seconds)}`,
        for: tuned.highLatency.for,
        labels: { severity: "warning" },
        annotations: {
          summary: "Inference requests are slow.",
          description: `The 95th percentile latency of user requests to {{ $labels.namespace }}/{{ $labels.job }} is {{ $value | humanizeDuration }} (threshold ${formatNumber(tuned.highLatency.p95Seconds)}s).`,
        },
      },
    },
    {
      signals: [current, max],
      rule: {
        alert: "InferenceAutoscalerAtMaxReplicas",
        expr: `${current} >= on (namespace, horizontalpodautoscaler) ${max}`,
        for: tuned.autoscalerAtMaxReplicas.for,
        labels: { severity: "warning" },
        annotations: {
          summary: "The inference autoscaler cannot add more pods.",
          description: `HorizontalPodAutoscaler {{ $labels.namespace }}/{{ $labels.horizontalpodautoscaler }} has run at its maximum of {{ $value }} replicas for ${durationInWords(tuned.autoscalerAtMaxReplicas.for)}; latency and errors may follow. Raise maxReplicas or add capacity.`,
        },
      },
    },
    {
      signals: [restarts],
      rule: {
        alert: "InferencePodRestarting",
        expr: `${restarts} >= ${tuned.podRestarting.restarts}`,
        for: tuned.podRestarting.for,
        labels: { severity: "warning" },
        annotations: {
          summary: "An inference container keeps restarting.",
          description: `Container {{ $labels.container }} of pod {{ $labels.namespace }}/{{ $labels.pod }} restarted {{ $value | printf "%.0f" }} times in the last ${durationInWords(tuned.podRestarting.window)}.`,
        },
      },
    },
    ...BURN_RATE_ALERTS.map(({ alert, speed, severity }) =>
      burnRateAlert(alert, slo.burnRates[speed], severity),
    ),
  ];
}
