import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import { ERROR_TYPES, METRICS, METRIC_LABELS } from "../contract/index.js";
import type { Classifier } from "../model/load-model.js";

/** A value of the `type` label of `ml_errors_total`. */
export type ErrorType = (typeof ERROR_TYPES)[keyof typeof ERROR_TYPES];

/**
 * HTTP latency buckets, in seconds. A prediction takes well under a millisecond in-process, so the low
 * end is fine-grained; the top catches a stalled event loop.
 */
export const HTTP_DURATION_BUCKETS = [
  0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5,
] as const;

/** Model compute buckets, in seconds: one call of the network takes tens of microseconds. */
export const PREDICTION_DURATION_BUCKETS = [
  0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.1,
] as const;

/** Rows per model call: powers of two up to the largest batch a request may carry. */
export const BATCH_ROWS_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 4096] as const;

/** What the metrics need to know about the loaded model. */
export interface ModelDescription {
  readonly name: string;
  readonly version: string;
  readonly backend: string;
  /** Holdout accuracy from the model's metadata. */
  readonly accuracy: number;
  /** Class names in output index order. */
  readonly classNames: readonly string[];
}

/** The description `modelLoaded` needs, read from a loaded classifier's metadata and backend. */
export function describeClassifier({
  metadata,
  backend,
}: Pick<Classifier, "metadata" | "backend">): ModelDescription {
  return {
    name: metadata.name,
    version: metadata.version,
    backend,
    accuracy: metadata.holdout.accuracy,
    classNames: metadata.classNames,
  };
}

/** Records inference on one loaded model; label children are resolved once, not per call. */
export interface ModelMetrics {
  /** One model call of `rows` rows took `seconds`. */
  observeInference(rows: number, seconds: number): void;
  /** `count` rows were predicted as class `classIndex`. */
  countPredictions(classIndex: number, count: number): void;
}

interface RequestSeries {
  readonly count: Counter.Internal;
  readonly duration: Histogram.Internal<string>;
}

const {
  method,
  route,
  status,
  model,
  version,
  class: klass,
  backend,
  errorType,
  keyId,
  authFailureReason,
} = METRIC_LABELS;

/** Why a request was refused with 401: it carried no key, or one that is not among the keys. */
export type AuthFailureReason = "missing" | "invalid";

/**
 * Owns the server's Prometheus {@link Registry} (never prom-client's global one, so every app and every test
 * gets its own) and every metric in it: default process/Node metrics plus those named in the contract.
 *
 * @example
 * const metrics = new ServerMetrics();
 * metrics.observeRequest("POST", "/predict", 200, 0.0004);
 * const text = await metrics.exposition();
 */
export class ServerMetrics {
  readonly registry = new Registry();
  /** Inference requests being handled right now (parsing, queued or computing). */
  readonly inflightRequests: Gauge;
  private readonly requests: Counter<string>;
  private readonly requestDuration: Histogram<string>;
  private readonly predictions: Counter<string>;
  private readonly predictionDuration: Histogram<string>;
  private readonly batchRows: Histogram<string>;
  private readonly errors: Counter<string>;
  private readonly modelInfo: Gauge<string>;
  private readonly modelAccuracy: Gauge<string>;
  private readonly requestSeries = new Map<string, RequestSeries>();
  private readonly errorSeries = new Map<ErrorType, Counter.Internal>();
  private readonly authenticated: Counter<string>;
  private readonly authenticatedSeries = new Map<string, Counter.Internal>();
  private readonly authFailures: Record<AuthFailureReason, Counter.Internal>;

  constructor() {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    this.requests = new Counter({
      name: METRICS.httpRequests,
      help: "HTTP requests answered, by method, route pattern and status code.",
      labelNames: [method, route, status],
      registers,
    });
    this.requestDuration = new Histogram({
      name: METRICS.httpRequestDuration,
      help: "Time from receiving a request to having its response ready, by method, route pattern and status.",
      labelNames: [method, route, status],
      buckets: [...HTTP_DURATION_BUCKETS],
      registers,
    });
    this.predictions = new Counter({
      name: METRICS.predictions,
      help: "Rows predicted, by model, model version and predicted class.",
      labelNames: [model, version, klass],
      registers,
    });
    this.predictionDuration = new Histogram({
      name: METRICS.predictionDuration,
      help: "Model compute time of one inference call (all its rows), excluding HTTP and JSON work.",
      labelNames: [model, version],
      buckets: [...PREDICTION_DURATION_BUCKETS],
      registers,
    });
    this.batchRows = new Histogram({
      name: METRICS.inferenceBatchRows,
      help: "Rows carried by one inference call.",
      labelNames: [model, version],
      buckets: [...BATCH_ROWS_BUCKETS],
      registers,
    });
    this.inflightRequests = new Gauge({
      name: METRICS.inflightRequests,
      help: "Inference requests in progress.",
      registers,
    });
    this.errors = new Counter({
      name: METRICS.errors,
      help: `Failed requests by kind: ${Object.values(ERROR_TYPES).join(", ")}.`,
      labelNames: [errorType],
      registers,
    });
    this.modelInfo = new Gauge({
      name: METRICS.modelInfo,
      help: "Always 1 for the served model; its labels say which model, version and TF.js backend.",
      labelNames: [model, version, backend],
      registers,
    });
    this.modelAccuracy = new Gauge({
      name: METRICS.modelAccuracy,
      help: "Holdout accuracy of the served model, from its metadata.",
      labelNames: [model, version],
      registers,
    });
    this.authenticated = new Counter({
      name: METRICS.authenticatedRequests,
      help: "Requests that presented a valid API key, by key id (the Secret's data key; never the key).",
      labelNames: [keyId],
      registers,
    });
    const failures = new Counter({
      name: METRICS.authFailures,
      help: "Requests refused with 401 in api-key mode, by reason: missing (no key) or invalid (unknown key).",
      labelNames: [authFailureReason],
      registers,
    });
    this.authFailures = {
      missing: failures.labels({ [authFailureReason]: "missing" }),
      invalid: failures.labels({ [authFailureReason]: "invalid" }),
    };
    // Published at 0 in every mode, so the 401 panel and alert read a real 0 rather than no data.
    this.authFailures.missing.inc(0);
    this.authFailures.invalid.inc(0);
  }

  /** Counts one request refused with 401. */
  countAuthFailure(reason: AuthFailureReason): void {
    this.authFailures[reason].inc();
  }

  /** Counts one request authenticated with the key `id`; ids come from the mounted Secret, a bounded set. */
  countAuthenticated(id: string): void {
    let counter = this.authenticatedSeries.get(id);
    if (!counter) {
      counter = this.authenticated.labels({ [keyId]: id });
      this.authenticatedSeries.set(id, counter);
    }
    counter.inc();
  }

  /** Counts one answered HTTP request; `route` must be the route pattern, never the raw URL. */
  observeRequest(requestMethod: string, routePattern: string, statusCode: number, seconds: number): void {
    const key = `${requestMethod} ${routePattern} ${statusCode}`;
    let series = this.requestSeries.get(key);
    if (!series) {
      const labels = { [method]: requestMethod, [route]: routePattern, [status]: String(statusCode) };
      series = { count: this.requests.labels(labels), duration: this.requestDuration.labels(labels) };
      this.requestSeries.set(key, series);
    }
    series.count.inc();
    series.duration.observe(seconds);
  }

  /** Counts one failed request of kind `type`. */
  countError(type: ErrorType): void {
    let counter = this.errorSeries.get(type);
    if (!counter) {
      counter = this.errors.labels({ [errorType]: type });
      this.errorSeries.set(type, counter);
    }
    counter.inc();
  }

  /** Publishes `ml_model_info` and `ml_model_accuracy` and returns the recorder for this model's inference. */
  modelLoaded(description: ModelDescription): ModelMetrics {
    const modelLabels = { [model]: description.name, [version]: description.version };
    this.modelInfo.reset();
    this.modelInfo.set({ ...modelLabels, [backend]: description.backend }, 1);
    this.modelAccuracy.reset();
    this.modelAccuracy.set(modelLabels, description.accuracy);
    const duration = this.predictionDuration.labels(modelLabels);
    const rows = this.batchRows.labels(modelLabels);
    const perClass = description.classNames.map((name) =>
      this.predictions.labels({ ...modelLabels, [klass]: name }),
    );
    // Publish every class at 0 so rate() and dashboards see all classes before the first prediction.
    for (const counter of perClass) counter.inc(0);
    return {
      observeInference(rowCount, seconds) {
        rows.observe(rowCount);
        duration.observe(seconds);
      },
      countPredictions(classIndex, count) {
        perClass[classIndex]?.inc(count);
      },
    };
  }

  /** Content-Type of {@link exposition}. */
  get contentType(): string {
    return this.registry.contentType;
  }

  /** The Prometheus text exposition of every metric. */
  exposition(): Promise<string> {
    return this.registry.metrics();
  }
}
