/**
 * The one object the monitoring is tuned with, as kubernetes-mixin's `_config`: scrape and evaluation
 * intervals, every alert's threshold, window and `for`, the availability SLO with its burn-rate windows,
 * and where the runbooks live. Alerts, recording rules and the Prometheus/Grafana/operator objects read it;
 * a threshold is changed here (or through `settings.monitoring`), never by editing an expression.
 *
 * @example
 *   // overrides file for `npm run synth -- --settings my-settings.json`
 *   { "monitoring": { "scrapeInterval": "30s", "alerts": { "highErrorRatio": { "ratio": 0.02 } } } }
 */
import type { PrometheusDuration } from "../prometheus-config.js";
import { formatNumber } from "../promql.js";

/** `for` of an alert that has no threshold of its own. */
export interface AlertForConfig {
  /** How long the condition must hold before the alert fires. */
  readonly for: PrometheusDuration;
}

/** `InferenceHighErrorRatio`. */
export interface HighErrorRatioConfig extends AlertForConfig {
  /** Share of user requests answered 5xx above which the alert fires, between 0 and 1. */
  readonly ratio: number;
  /** Range over which that share is computed. */
  readonly window: PrometheusDuration;
}

/** `InferenceHighLatency`. */
export interface HighLatencyConfig extends AlertForConfig {
  /** 95th percentile user-request latency, in seconds, above which the alert fires. */
  readonly p95Seconds: number;
  /** Range over which the percentile is computed. */
  readonly window: PrometheusDuration;
}

/** `InferencePodRestarting`. */
export interface PodRestartingConfig extends AlertForConfig {
  /** Restarts of one container within `window` at which the alert fires. */
  readonly restarts: number;
  /** Range over which restarts are counted. */
  readonly window: PrometheusDuration;
}

/** `InferenceUnauthorizedBurst`. */
export interface UnauthorizedBurstConfig extends AlertForConfig {
  /** Requests refused with 401 per second, over all pods, above which the alert fires. */
  readonly perSecond: number;
  /** Range over which that rate is computed. */
  readonly window: PrometheusDuration;
}

/** Thresholds, windows and `for` of every alert that is not an SLO burn-rate alert. */
export interface AlertsConfig {
  /** `InferenceTargetDown`: one inference pod cannot be scraped. @default { for: "5m" } */
  readonly targetDown: AlertForConfig;
  /** `InferenceServiceDown`: no inference pod is up. @default { for: "2m" } */
  readonly serviceDown: AlertForConfig;
  /** `InferenceHighErrorRatio`: too many 5xx. @default { ratio: 0.05, window: "5m", for: "10m" } */
  readonly highErrorRatio: HighErrorRatioConfig;
  /** `InferenceHighLatency`: slow user requests. @default { p95Seconds: 0.5, window: "5m", for: "10m" } */
  readonly highLatency: HighLatencyConfig;
  /** `InferenceAutoscalerAtMaxReplicas`: the HPA cannot add pods. @default { for: "15m" } */
  readonly autoscalerAtMaxReplicas: AlertForConfig;
  /** `InferencePodRestarting`: a container keeps restarting. @default { restarts: 2, window: "15m", for: "5m" } */
  readonly podRestarting: PodRestartingConfig;
  /** `InferenceUnauthorizedBurst`: many 401s (api-key mode). @default { perSecond: 1, window: "5m", for: "5m" } */
  readonly unauthorizedBurst: UnauthorizedBurstConfig;
}

/**
 * One multiwindow burn-rate alert (SRE workbook, chapter 5): it fires while the 5xx ratio over both windows
 * exceeds `factor` times the error budget. The long window makes it significant, the short one lets it stop
 * soon after the burn stops.
 */
export interface BurnRateConfig extends AlertForConfig {
  /** Budget burn speed that fires: 14.4 spends 2 % of a 30-day budget in an hour. */
  readonly factor: number;
  /** The long window, e.g. "1h". */
  readonly longWindow: PrometheusDuration;
  /** The short window, shorter than `longWindow`, e.g. "5m". */
  readonly shortWindow: PrometheusDuration;
}

/** The availability objective of user requests and the alerts that guard its error budget. */
export interface SloConfig {
  /** Share of user requests that must not be answered 5xx (over 30 days, which the factors assume). @default 0.999 */
  readonly availabilityTarget: number;
  /**
   * `fast` pages (`InferenceErrorBudgetBurnFast`, critical); `slow` opens a ticket (`…Slow`, warning).
   * @default fast: 14.4x over 1h and 5m for 2m; slow: 6x over 6h and 30m for 15m
   */
  readonly burnRates: { readonly fast: BurnRateConfig; readonly slow: BurnRateConfig };
}

/** Everything a user tunes about the monitoring content; `settings.monitoring` carries these fields. */
export interface MonitoringConfig {
  /**
   * How often Prometheus scrapes each target: the standalone `global.scrape_interval`, the ServiceMonitor's
   * `interval` in operator mode, and Grafana's datasource `timeInterval` (the floor of `$__rate_interval`).
   * @default "15s"
   */
  readonly scrapeInterval: PrometheusDuration;
  /**
   * How often rules are evaluated: standalone `global.evaluation_interval`, each PrometheusRule group's
   * `interval`. @default "15s"
   */
  readonly evaluationInterval: PrometheusDuration;
  /**
   * Page holding the runbooks (the README's "Runbooks" section); each alert's `runbook_url` is this plus
   * `#alert-<alert name in lowercase>`. The default is a placeholder: point it at your copy of the README.
   * @default "https://github.com/OWNER/infer8s/blob/main/README.md"
   */
  readonly runbookBaseUrl: string;
  /** Every non-SLO alert's threshold, window and `for`. */
  readonly alerts: AlertsConfig;
  /** The availability SLO and its burn-rate alerts. */
  readonly slo: SloConfig;
}

/** The defaults: what the committed `dist/` is synthesized with. */
export const DEFAULT_MONITORING_CONFIG: MonitoringConfig = {
  scrapeInterval: "15s",
  evaluationInterval: "15s",
  runbookBaseUrl: "https://github.com/OWNER/infer8s/blob/main/README.md",
  alerts: {
    targetDown: { for: "5m" },
    serviceDown: { for: "2m" },
    highErrorRatio: { ratio: 0.05, window: "5m", for: "10m" },
    highLatency: { p95Seconds: 0.5, window: "5m", for: "10m" },
    autoscalerAtMaxReplicas: { for: "15m" },
    podRestarting: { restarts: 2, window: "15m", for: "5m" },
    // One refused request a second for ten minutes is ~600 failures: far more than a client retrying after a
    // rotation (a handful), well below what guessing a 256-bit key would need to matter, but worth a look.
    unauthorizedBurst: { perSecond: 1, window: "5m", for: "5m" },
  },
  slo: {
    availabilityTarget: 0.999,
    // 14.4x over 1h spends 2 % of a 30-day budget in an hour and pages; 6x over 6h spends 5 % in six hours.
    burnRates: {
      fast: { factor: 14.4, longWindow: "1h", shortWindow: "5m", for: "2m" },
      slow: { factor: 6, longWindow: "6h", shortWindow: "30m", for: "15m" },
    },
  },
};

/** A single-unit Prometheus duration, as every duration of the config is written. */
const DURATION = /^[1-9][0-9]*(ms|s|m|h|d|w|y)$/;
const UNIT_SECONDS: Readonly<Record<string, number>> = {
  ms: 0.001,
  s: 1,
  m: 60,
  h: 3600,
  d: 86_400,
  w: 604_800,
  y: 31_536_000,
};
const UNIT_NAMES: Readonly<Record<string, string>> = {
  ms: "millisecond",
  s: "second",
  m: "minute",
  h: "hour",
  d: "day",
  w: "week",
  y: "year",
};

/** Whether `value` is a duration this config accepts, e.g. "15s" (single unit, no "1h30m"). */
export function isDuration(value: unknown): value is PrometheusDuration {
  return typeof value === "string" && DURATION.test(value);
}

/**
 * Seconds in a duration accepted by `isDuration`.
 *
 * @example durationSeconds("5m") // => 300
 */
export function durationSeconds(duration: PrometheusDuration): number {
  const match = DURATION.exec(duration);
  if (!match) throw new Error(`not a single-unit Prometheus duration: "${duration}"`);
  return Number.parseInt(duration, 10) * UNIT_SECONDS[match[1]!]!;
}

/**
 * A duration in words, for alert descriptions.
 *
 * @example durationInWords("15m") // => "15 minutes"
 */
export function durationInWords(duration: PrometheusDuration): string {
  const match = DURATION.exec(duration);
  if (!match) throw new Error(`not a single-unit Prometheus duration: "${duration}"`);
  const count = Number.parseInt(duration, 10);
  return `${count} ${UNIT_NAMES[match[1]!]}${count === 1 ? "" : "s"}`;
}

/** Bounds of the scrape interval: a target scraped less often than every 2 minutes goes stale between scrapes. */
const SCRAPE_INTERVAL_SECONDS = { min: 1, max: 120 } as const;
const EVALUATION_INTERVAL_SECONDS = { min: 1, max: 300 } as const;
/** A rate window should span at least four scrapes, so one missed scrape still leaves a rate. */
const SCRAPES_PER_WINDOW = 4;

/** Problems with a `MonitoringConfig`, each `<path>.<setting>: expectation, got value`, in the order found. */
class ConfigProblems {
  readonly list: string[] = [];
  /** The scrape interval rate windows are held against, once it is known to be valid. */
  private scrapeInterval: PrometheusDuration | undefined;

  constructor(readonly path: string) {}

  check(ok: boolean, setting: string, expectation: string, value: unknown): boolean {
    if (!ok) this.list.push(`${this.path}.${setting}: ${expectation}, got ${describe(value)}`);
    return ok;
  }

  duration(setting: string, value: unknown): value is PrometheusDuration {
    return this.check(
      isDuration(value),
      setting,
      'must be a single-unit Prometheus duration such as "30s", "5m" or "1h"',
      value,
    );
  }

  durationBetween(setting: string, value: unknown, bounds: { min: number; max: number }): boolean {
    return (
      this.duration(setting, value) &&
      this.check(
        durationSeconds(value) >= bounds.min && durationSeconds(value) <= bounds.max,
        setting,
        `must be from ${bounds.min}s to ${bounds.max}s`,
        value,
      )
    );
  }

  fraction(setting: string, value: unknown): boolean {
    return this.check(
      typeof value === "number" && value > 0 && value < 1,
      setting,
      "must be a number between 0 and 1 (exclusive)",
      value,
    );
  }

  positive(setting: string, value: unknown): boolean {
    return this.check(
      typeof value === "number" && Number.isFinite(value) && value > 0,
      setting,
      "must be a positive number",
      value,
    );
  }

  /** Checks the scrape and evaluation intervals; rate windows are then held against a valid scrape interval. */
  intervals(scrapeInterval: unknown, evaluationInterval: unknown): void {
    if (this.durationBetween("scrapeInterval", scrapeInterval, SCRAPE_INTERVAL_SECONDS)) {
      this.scrapeInterval = scrapeInterval as PrometheusDuration;
    }
    this.durationBetween("evaluationInterval", evaluationInterval, EVALUATION_INTERVAL_SECONDS);
  }

  /** A rate() window: a duration spanning several scrapes. */
  window(setting: string, value: unknown): boolean {
    const scrape = this.scrapeInterval;
    return (
      this.duration(setting, value) &&
      (scrape === undefined ||
        this.check(
          durationSeconds(value) >= SCRAPES_PER_WINDOW * durationSeconds(scrape),
          setting,
          `must be at least ${SCRAPES_PER_WINDOW} × ${this.path}.scrapeInterval (${scrape}), so a missed scrape still leaves a rate`,
          value,
        ))
    );
  }
}

/**
 * Every problem with `config`, each naming the setting by its dotted path under `path`, e.g.
 * `monitoring.alerts.highErrorRatio.ratio: must be a number between 0 and 1 (exclusive), got 2`.
 * Empty when the config is valid.
 */
export function monitoringConfigProblems(config: MonitoringConfig, path = "monitoring"): string[] {
  const problems = new ConfigProblems(path);
  problems.intervals(config.scrapeInterval, config.evaluationInterval);
  problems.check(
    isHttpUrl(config.runbookBaseUrl),
    "runbookBaseUrl",
    "must be an absolute http(s) URL without a #fragment",
    config.runbookBaseUrl,
  );
  checkAlerts(problems, config.alerts);
  checkSlo(problems, config.slo);
  return problems.list;
}

function checkAlerts(problems: ConfigProblems, a: AlertsConfig): void {
  for (const name of ["targetDown", "serviceDown", "autoscalerAtMaxReplicas"] as const) {
    problems.duration(`alerts.${name}.for`, a[name].for);
  }
  problems.fraction("alerts.highErrorRatio.ratio", a.highErrorRatio.ratio);
  problems.window("alerts.highErrorRatio.window", a.highErrorRatio.window);
  problems.duration("alerts.highErrorRatio.for", a.highErrorRatio.for);
  problems.positive("alerts.highLatency.p95Seconds", a.highLatency.p95Seconds);
  problems.window("alerts.highLatency.window", a.highLatency.window);
  problems.duration("alerts.highLatency.for", a.highLatency.for);
  const { restarts } = a.podRestarting;
  problems.check(
    Number.isInteger(restarts) && restarts >= 1 && restarts <= 1000,
    "alerts.podRestarting.restarts",
    "must be an integer from 1 to 1000",
    restarts,
  );
  problems.window("alerts.podRestarting.window", a.podRestarting.window);
  problems.duration("alerts.podRestarting.for", a.podRestarting.for);
  problems.positive("alerts.unauthorizedBurst.perSecond", a.unauthorizedBurst.perSecond);
  problems.window("alerts.unauthorizedBurst.window", a.unauthorizedBurst.window);
  problems.duration("alerts.unauthorizedBurst.for", a.unauthorizedBurst.for);
}

function checkSlo(problems: ConfigProblems, slo: SloConfig): void {
  const targetOk = problems.fraction("slo.availabilityTarget", slo.availabilityTarget);
  for (const speed of ["fast", "slow"] as const) {
    const burn = slo.burnRates[speed];
    const at = `slo.burnRates.${speed}`;
    if (problems.positive(`${at}.factor`, burn.factor) && targetOk) {
      const budget = 1 - slo.availabilityTarget;
      problems.check(
        burn.factor * budget < 1,
        `${at}.factor`,
        `times the error budget (1 - ${problems.path}.slo.availabilityTarget = ${formatNumber(budget)}) must stay below 1, or the alert could never fire`,
        burn.factor,
      );
    }
    const longOk = problems.window(`${at}.longWindow`, burn.longWindow);
    if (problems.window(`${at}.shortWindow`, burn.shortWindow) && longOk) {
      problems.check(
        durationSeconds(burn.shortWindow) < durationSeconds(burn.longWindow),
        `${at}.shortWindow`,
        `must be shorter than ${problems.path}.${at}.longWindow (${burn.longWindow})`,
        burn.shortWindow,
      );
    }
    problems.duration(`${at}.for`, burn.for);
  }
}

/**
 * Throws when `config` is invalid, listing every problem; `resolveSettings` reports the same problems
 * among the other settings' before the charts ever get here.
 */
export function assertMonitoringConfig(config: MonitoringConfig): void {
  const problems = monitoringConfigProblems(config);
  if (problems.length > 0) {
    throw new Error(`Invalid monitoring config:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
  }
}

function isHttpUrl(value: unknown): boolean {
  if (typeof value !== "string") return false;
  try {
    const url = new URL(value);
    return (url.protocol === "https:" || url.protocol === "http:") && url.hash === "" && !value.includes("#");
  } catch {
    return false;
  }
}

function describe(value: unknown): string {
  return value === undefined ? "undefined" : JSON.stringify(value);
}
