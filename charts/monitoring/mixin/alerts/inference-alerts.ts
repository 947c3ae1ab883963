import { stringify } from "yaml";
import { METRICS, METRIC_LABELS } from "../../../../src/contract/index.js";
import { KUBE_STATE_METRICS, KUBE_STATE_METRICS_LABELS } from "../../kube-state-metrics-series.js";
import {
  jobName,
  podNamePattern,
  targetMatchers,
  userTrafficMatchers,
  type MonitoredService,
} from "../../monitored-service.js";
import type { PrometheusDuration } from "../../prometheus-config.js";
import { selector, type LabelMatchers } from "../../promql.js";

/**
 * Alerting and recording rules for the inference service, as typed definitions rendered to a Prometheus
 * rules file (standalone) or a PrometheusRule (operator mode) — one source for both.
 */

/** How urgently a human must react: `critical` pages, `warning` opens a ticket. */
export type Severity = "critical" | "warning";

/** A recording rule, in the rules file's own field names. */
export interface RecordingRule {
  readonly record: string;
  readonly expr: string;
}

/** An alerting rule, in the rules file's own field names. */
export interface AlertingRule {
  readonly alert: string;
  readonly expr: string;
  readonly for: PrometheusDuration;
  readonly labels: { readonly severity: Severity };
  readonly annotations: { readonly summary: string; readonly description: string };
}

/** A rule group. */
export interface RuleGroup {
  readonly name: string;
  readonly rules: readonly (RecordingRule | AlertingRule)[];
}

/** A whole rules file. */
export interface RuleFile {
  readonly groups: readonly RuleGroup[];
}

/** An alert together with the quantities its condition compares. */
export interface AlertDefinition {
  readonly rule: AlertingRule;
  /**
   * The PromQL quantities the condition compares against thresholds. The condition is empty while all is
   * well; the signals are not, which is how tests prove an alert watches series that really exist.
   */
  readonly signals: readonly string[];
}

/** Thresholds of the alerts; every field has a default in `DEFAULT_ALERT_THRESHOLDS`. */
export interface AlertThresholds {
  /** Fraction of user requests answered 5xx above which `InferenceHighErrorRatio` fires. */
  readonly errorRatio: number;
  /** 95th percentile request latency, in seconds, above which `InferenceHighLatency` fires. */
  readonly latencyP95Seconds: number;
  /** Availability objective of the SLO burn-rate alerts, e.g. 0.999. */
  readonly availabilityObjective: number;
  /** Restarts of one container within 15 minutes at which `InferencePodRestarting` fires. */
  readonly restartsIn15m: number;
}

/** Thresholds used when the chart overrides none. */
export const DEFAULT_ALERT_THRESHOLDS: AlertThresholds = {
  errorRatio: 0.05,
  latencyP95Seconds: 0.5,
  availabilityObjective: 0.999,
  restartsIn15m: 2,
};

/**
 * The two burn-rate windows pairs of the SRE workbook (chapter 5, "multiwindow, multi-burn-rate alerts"):
 * 14.4x over 1h (and 5m) spends 2 % of a 30-day budget in an hour and pages; 6x over 6h (and 30m) spends
 * 5 % in six hours and opens a ticket. The short window lets the alert stop soon after the burn stops.
 */
export const BURN_RATE_ALERTS = [
  {
    alert: "InferenceErrorBudgetBurnFast",
    factor: 14.4,
    long: "1h",
    short: "5m",
    for: "2m",
    severity: "critical",
  },
  {
    alert: "InferenceErrorBudgetBurnSlow",
    factor: 6,
    long: "6h",
    short: "30m",
    for: "15m",
    severity: "warning",
  },
] as const satisfies readonly {
  alert: string;
  factor: number;
  long: PrometheusDuration;
  short: PrometheusDuration;
  for: PrometheusDuration;
  severity: Severity;
}[];

/** Windows for which the error ratio is recorded. */
export const ERROR_RATIO_WINDOWS = ["5m", "30m", "1h", "6h"] as const satisfies readonly PrometheusDuration[];

/** Name of the recorded 5xx ratio of user requests over a window. */
export function errorRatioRecord(window: PrometheusDuration): string {
  return `namespace_job:http_request_errors:ratio_rate${window}`;
}

/** Prints a threshold without floating-point noise (1 - 0.999 is 0.0010000000000000009 in binary). */
export function formatNumber(value: number): string {
  return String(Number(value.toPrecision(12)));
}

/**
 * The 5xx share of user requests over `window`, per namespace and job. A service that has never answered
 * 5xx has no 5xx series at all; `or … * 0` turns that into a ratio of 0 instead of no data.
 */
export function errorRatioExpr(service: MonitoredService, window: string): string {
  const by = "sum by (namespace, job)";
  const all = selector(METRICS.httpRequests, userTrafficMatchers(service));
  const failed = selector(METRICS.httpRequests, {
    ...userTrafficMatchers(service),
    [METRIC_LABELS.status]: { op: "=~", value: "5.." },
  });
  return `(${by} (rate(${failed}[${window}])) or ${by} (rate(${all}[${window}])) * 0) / ${by} (rate(${all}[${window}]))`;
}

/** The `quantile` of user request latency over `window`, from the histogram buckets of every pod. */
export function latencyQuantileExpr(service: MonitoredService, quantile: number, window: string): string {
  const buckets = selector(`${METRICS.httpRequestDuration}_bucket`, userTrafficMatchers(service));
  return `histogram_quantile(${quantile}, sum by (namespace, job, le) (rate(${buckets}[${window}])))`;
}

function validateThresholds(thresholds: AlertThresholds): void {
  const fraction = (name: keyof AlertThresholds) => {
    const value = thresholds[name];
    if (!(value > 0 && value < 1))
      throw new Error(`${name} must be between 0 and 1 (exclusive), got ${value}`);
  };
  fraction("errorRatio");
  fraction("availabilityObjective");
  if (!(thresholds.latencyP95Seconds > 0)) {
    throw new Error(`latencyP95Seconds must be positive, got ${thresholds.latencyP95Seconds}`);
  }
  if (!(Number.isInteger(thresholds.restartsIn15m) && thresholds.restartsIn15m >= 1)) {
    throw new Error(`restartsIn15m must be a positive integer, got ${thresholds.restartsIn15m}`);
  }
}

/**
 * Every alert about the inference service.
 *
 * @example inferenceAlerts(service).map((a) => a.rule.alert)
 */
export function inferenceAlerts(
  service: MonitoredService,
  overrides: Partial<AlertThresholds> = {},
): AlertDefinition[] {
  const thresholds: AlertThresholds = { ...DEFAULT_ALERT_THRESHOLDS, ...overrides };
  validateThresholds(thresholds);
  const up = selector("up", targetMatchers(service));
  const errorRatio = errorRatioExpr(service, "5m");
  const p95 = latencyQuantileExpr(service, 0.95, "5m");
  const hpa: LabelMatchers = {
    [KUBE_STATE_METRICS_LABELS.namespace]: service.namespace,
    [KUBE_STATE_METRICS_LABELS.hpa]: service.hpaName,
  };
  const current = selector(KUBE_STATE_METRICS.hpaCurrentReplicas, hpa);
  const max = selector(KUBE_STATE_METRICS.hpaMaxReplicas, hpa);
  const restarts = `increase(${selector(KUBE_STATE_METRICS.containerRestarts, {
    [KUBE_STATE_METRICS_LABELS.namespace]: service.namespace,
    [KUBE_STATE_METRICS_LABELS.pod]: { op: "=~", value: podNamePattern(service) },
  })}[15m])`;
  const budget = formatNumber(1 - thresholds.availabilityObjective);
  const objectivePercent = formatNumber(thresholds.availabilityObjective * 100);

  const alerts: AlertDefinition[] = [
    {
      signals: [up],
      rule: {
        alert: "InferenceTargetDown",
        expr: `${up} == 0`,
        for: "5m",
        labels: { severity: "warning" },
        annotations: {
          summary: "An inference pod cannot be scraped.",
          description:
            "Prometheus has failed to scrape {{ $labels.namespace }}/{{ $labels.pod }} (job {{ $labels.job }}) for 5 minutes: the pod is down, not serving or unreachable.",
        },
      },
    },
    {
      signals: [up],
      rule: {
        alert: "InferenceServiceDown",
        expr: `absent(${up} == 1)`,
        for: "2m",
        labels: { severity: "critical" },
        annotations: {
          summary: "No inference pod is up.",
          description: `No target of job ${jobName(service)} in namespace ${service.namespace} has been scraped successfully for 2 minutes: the inference service is down or its pods are not discovered.`,
        },
      },
    },
    {
      signals: [errorRatio],
      rule: {
        alert: "InferenceHighErrorRatio",
        expr: `${errorRatio} > ${formatNumber(thresholds.errorRatio)}`,
        for: "10m",
        labels: { severity: "warning" },
        annotations: {
          summary: "Many inference requests fail with 5xx.",
          description: `{{ $value | humanizePercentage }} of user requests to {{ $labels.namespace }}/{{ $labels.job }} were answered 5xx over the last 5 minutes (threshold ${formatNumber(thresholds.errorRatio * 100)}%).`,
        },
      },
    },
    {
      signals: [p95],
      rule: {
        alert: "InferenceHighLatency",
        expr: `${p95} > ${formatNumber(thresholds.latencyP95Seconds)}`,
        for: "10m",
        labels: { severity: "warning" },
        annotations: {
          summary: "Inference requests are slow.",
          description: `The 95th percentile latency of user requests to {{ $labels.namespace }}/{{ $labels.job }} is {{ $value | humanizeDuration }} (threshold ${formatNumber(thresholds.latencyP95Seconds)}s).`,
        },
      },
    },
    {
      signals: [current, max],
      rule: {
        alert: "InferenceAutoscalerAtMaxReplicas",
        expr: `${current} >= on (namespace, horizontalpodautoscaler) ${max}`,
        for: "15m",
        labels: { severity: "warning" },
        annotations: {
          summary: "The inference autoscaler cannot add more pods.",
          description:
            "HorizontalPodAutoscaler {{ $labels.namespace }}/{{ $labels.horizontalpodautoscaler }} has run at its maximum of {{ $value }} replicas for 15 minutes; latency and errors may follow. Raise maxReplicas or add capacity.",
        },
      },
    },
    {
      signals: [restarts],
      rule: {
        alert: "InferencePodRestarting",
        expr: `${restarts} >= ${thresholds.restartsIn15m}`,
        for: "5m",
        labels: { severity: "warning" },
        annotations: {
          summary: "An inference container keeps restarting.",
          description:
            'Container {{ $labels.container }} of pod {{ $labels.namespace }}/{{ $labels.pod }} restarted {{ $value | printf "%.0f" }} times in the last 15 minutes.',
        },
      },
    },
    ...BURN_RATE_ALERTS.map((burn): AlertDefinition => {
      const long = selector(errorRatioRecord(burn.long), targetMatchers(service));
      const short = selector(errorRatioRecord(burn.short), targetMatchers(service));
      const limit = `(${formatNumber(burn.factor)} * ${budget})`;
      const speed = burn.severity === "critical" ? "fast" : "steadily";
      return {
        signals: [long, short],
        rule: {
          alert: burn.alert,
          expr: `${long} > ${limit} and ${short} > ${limit}`,
          for: burn.for,
          labels: { severity: burn.severity },
          annotations: {
            summary: `The inference service is burning its ${objectivePercent}% availability error budget ${speed}.`,
            description: `{{ $labels.namespace }}/{{ $labels.job }} answered {{ $value | humanizePercentage }} of user requests with 5xx over the last ${burn.long}, ${formatNumber(burn.factor)} times the rate its ${objectivePercent}% objective allows (and still over the last ${burn.short}).`,
          },
        },
      };
    }),
  ];
  return alerts;
}

/** Recording rules for the error ratio windows the burn-rate alerts compare. */
export function inferenceRecordingRules(service: MonitoredService): RecordingRule[] {
  return ERROR_RATIO_WINDOWS.map((window) => ({
    record: errorRatioRecord(window),
    expr: errorRatioExpr(service, window),
  }));
}

/** The rule groups for the inference service: recordings first, then alerts. */
export function inferenceRuleGroups(
  service: MonitoredService,
  overrides: Partial<AlertThresholds> = {},
): RuleGroup[] {
  return [
    { name: `${jobName(service)}.slo.rules`, rules: inferenceRecordingRules(service) },
    { name: `${jobName(service)}.alerts`, rules: inferenceAlerts(service, overrides).map((a) => a.rule) },
  ];
}

/** Renders rule groups as a Prometheus rules file; the same input always gives the same bytes. */
export function renderRuleFile(groups: readonly RuleGroup[]): string {
  const file: RuleFile = { groups };
  return stringify(file, { lineWidth: 0 });
}
