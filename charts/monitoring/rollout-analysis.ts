import { METRICS, METRIC_LABELS } from "../../src/contract/index.js";
import { ANALYSIS_ARGS, POD_TEMPLATE_HASH_SERIES_LABEL } from "../constructs/argo-rollouts-names.js";
import { NON_USER_ROUTES } from "./monitored-service.js";
import type { PrometheusDuration } from "./prometheus-config.js";
import { anyOf, formatNumber, selector, type LabelMatchers } from "./promql.js";

/** Where the analysis looks: the scrape jobs of the service's pods, in its namespace. */
export interface AnalysisScope {
  readonly namespace: string;
  /** Prometheus `job` labels the pods are scraped under (one per Service a ServiceMonitor scrapes). */
  readonly jobs: readonly string[];
}

/** Limits beyond which a measurement fails. */
export interface AnalysisThresholds {
  readonly maxErrorRatio: number;
  readonly maxP95LatencySeconds: number;
  readonly maxClassShareDifference: number;
}

/** One metric of the AnalysisTemplate: a query and the conditions its first result is judged by. */
export interface AnalysisMetric {
  readonly name: string;
  readonly query: string;
  /** Passes when the query returned a value within the limit. */
  readonly successCondition: string;
  /** Fails when it returned a value beyond it; no value at all (no traffic yet) is inconclusive. */
  readonly failureCondition: string;
}

function podSetMatchers(scope: AnalysisScope, hash: string): LabelMatchers {
  return {
    namespace: scope.namespace,
    job: scope.jobs.length === 1 ? scope.jobs[0]! : { op: "=~", value: anyOf(scope.jobs) },
    [POD_TEMPLATE_HASH_SERIES_LABEL]: hash,
  };
}

function userTraffic(scope: AnalysisScope, hash: string): LabelMatchers {
  return {
    ...podSetMatchers(scope, hash),
    [METRIC_LABELS.route]: { op: "!~", value: anyOf(NON_USER_ROUTES) },
  };
}

/**
 * 5xx share of the user requests answered by the pods whose template hash is `hash`. Zero 5xx series means
 * a ratio of 0, not no data (`or … * 0`), as in the error-ratio recording rule.
 */
export function podSetErrorRatio(scope: AnalysisScope, hash: string, window: PrometheusDuration): string {
  const all = selector(METRICS.httpRequests, userTraffic(scope, hash));
  const failed = selector(METRICS.httpRequests, {
    ...userTraffic(scope, hash),
    [METRIC_LABELS.status]: { op: "=~", value: "5.." },
  });
  return `(sum(rate(${failed}[${window}])) or sum(rate(${all}[${window}])) * 0) / sum(rate(${all}[${window}]))`;
}

/** p95 latency of the user requests answered by the pods whose template hash is `hash`. */
export function podSetP95Latency(scope: AnalysisScope, hash: string, window: PrometheusDuration): string {
  const buckets = selector(`${METRICS.httpRequestDuration}_bucket`, userTraffic(scope, hash));
  return `histogram_quantile(0.95, sum by (le) (rate(${buckets}[${window}])))`;
}

function predictionRate(scope: AnalysisScope, hash: string, window: PrometheusDuration): string {
  return `rate(${selector(METRICS.predictions, podSetMatchers(scope, hash))}[${window}])`;
}

/** Each class's share of the predictions of the pods whose template hash is `hash`. */
function classShares(scope: AnalysisScope, hash: string, window: PrometheusDuration): string {
  const predictions = predictionRate(scope, hash, window);
  return `(sum by (${METRIC_LABELS.class}) (${predictions}) / ignoring (${METRIC_LABELS.class}) group_left sum(${predictions}))`;
}

/**
 * The largest absolute difference, over the classes, between a class's share of the new pods' predictions
 * and of the old pods'. A class only one side predicted counts with its full share (`or`). No value unless
 * both sides predicted something in the window: a canary without traffic yet is not a drift.
 */
export function classShareDifference(
  scope: AnalysisScope,
  newHash: string,
  oldHash: string,
  window: PrometheusDuration,
): string {
  const fresh = classShares(scope, newHash, window);
  const old = classShares(scope, oldHash, window);
  const predicted = (hash: string) => `(sum(${predictionRate(scope, hash, window)}) > 0)`;
  return `max(abs((${fresh} - ${old}) or ${fresh} or -${old})) and on () ${predicted(newHash)} and on () ${predicted(oldHash)}`;
}

/** Placeholder Argo Rollouts replaces with an argument's value when it creates an AnalysisRun. */
export function analysisArg(name: string): string {
  return `{{args.${name}}}`;
}

function within(limit: number): Pick<AnalysisMetric, "successCondition" | "failureCondition"> {
  const value = formatNumber(limit);
  return {
    successCondition: `len(result) > 0 && result[0] <= ${value}`,
    failureCondition: `len(result) > 0 && result[0] > ${value}`,
  };
}

/**
 * The three measurements of a new version: its 5xx ratio, its p95 latency, and how far its predicted-class
 * distribution drifts from the old version's (a model that suddenly answers "setosa" to everything serves
 * fast 200s). Each query reads only the new pods (and for the drift the old ones), by their template hash.
 *
 * @example rolloutAnalysisMetrics({ namespace: "infer8s", jobs: ["iris-inference"] }, limits, "2m")
 */
export function rolloutAnalysisMetrics(
  scope: AnalysisScope,
  thresholds: AnalysisThresholds,
  window: PrometheusDuration,
): AnalysisMetric[] {
  const newHash = analysisArg(ANALYSIS_ARGS.newHash);
  const oldHash = analysisArg(ANALYSIS_ARGS.oldHash);
  return [
    {
      name: "error-ratio",
      query: podSetErrorRatio(scope, newHash, window),
      ...within(thresholds.maxErrorRatio),
    },
    {
      name: "p95-latency",
      query: podSetP95Latency(scope, newHash, window),
      ...within(thresholds.maxP95LatencySeconds),
    },
    {
      name: "class-share-difference",
      query: classShareDifference(scope, newHash, oldHash, window),
      ...within(thresholds.maxClassShareDifference),
    },
  ];
}

/** A query with the AnalysisRun's arguments filled in, as Argo Rollouts sends it to Prometheus. */
export function withArgs(query: string, args: Readonly<Record<string, string>>): string {
  return query.replace(/\{\{args\.([a-z0-9-]+)\}\}/g, (placeholder, name: string) => {
    const value = args[name];
    if (value === undefined) throw new Error(`no value for ${placeholder}`);
    return value;
  });
}
