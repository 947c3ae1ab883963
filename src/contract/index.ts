/**
 * The contract between the inference server and everything that deploys or observes it.
 *
 * The server (`src/`) and the cdk8s charts (`charts/`) both import this module, so a port, a probe path,
 * a metric name or an environment variable is written down exactly once. Change it here and both the
 * running code and the synthesized YAML follow.
 *
 * This module must stay free of runtime dependencies (no TF.js, no Hono, no cdk8s): the charts import it.
 */

/** Name under which the model is served (`/v1/models/<name>`, `/v2/models/<name>`, metric labels). */
export const MODEL_NAME = "iris";

/** TCP port the server listens on inside the container, and the name of that container port. */
export const SERVER_PORT = 8080;
export const SERVER_PORT_NAME = "http";

/** Numeric uid/gid the image runs as; the Dockerfile `USER` and the pod `securityContext` both use it. */
export const RUN_AS_UID = 10001;
export const RUN_AS_GID = 10001;

/** HTTP paths that Kubernetes and Prometheus rely on. */
export const PATHS = {
  /** Liveness: 200 while the process serves. */
  health: "/health",
  /** Readiness: 200 only once the model is loaded and warmed up, 503 while loading and while draining. */
  ready: "/ready",
  /** Prometheus exposition. */
  metrics: "/metrics",
  /** Model and runtime information. */
  info: "/info",
  /** Predictions in any of the three accepted forms. */
  predict: "/predict",
} as const;

/** TF.js backends the server can run on, fastest first (`src/model/backend.ts` loads them). */
export const TFJS_BACKENDS = ["tensorflow", "wasm", "cpu"] as const;
export type TfjsBackend = (typeof TFJS_BACKENDS)[number];
/** A backend, or `auto`: the first of {@link TFJS_BACKENDS} that loads on the machine. */
export type TfjsBackendPreference = "auto" | TfjsBackend;

/** Environment variables read by `src/contract/server-config.ts` and set by the Deployment. */
export const ENV = {
  port: "PORT",
  host: "HOST",
  modelDir: "MODEL_DIR",
  backend: "TFJS_BACKEND",
  logLevel: "LOG_LEVEL",
  bodyLimitBytes: "BODY_LIMIT_BYTES",
  maxBatchRows: "MAX_BATCH_ROWS",
  drainSeconds: "SHUTDOWN_DRAIN_SECONDS",
  inflightTimeoutSeconds: "SHUTDOWN_INFLIGHT_TIMEOUT_SECONDS",
  batching: "BATCHING",
  batchMaxRows: "BATCH_MAX_ROWS",
  batchMaxDelayMs: "BATCH_MAX_DELAY_MS",
  batchQueueRows: "BATCH_QUEUE_ROWS",
} as const;

/** Prometheus metric names exported by the server (see `src/server/metrics.ts`), used by alerts and dashboards. */
export const METRICS = {
  httpRequests: "http_requests_total",
  httpRequestDuration: "http_request_duration_seconds",
  predictions: "ml_predictions_total",
  predictionDuration: "ml_prediction_duration_seconds",
  inferenceBatchRows: "ml_inference_batch_rows",
  inflightRequests: "ml_inflight_requests",
  errors: "ml_errors_total",
  modelInfo: "ml_model_info",
  modelAccuracy: "ml_model_accuracy",
} as const;

/** Label names on the metrics above. Route labels carry the route pattern, never the raw URL. */
export const METRIC_LABELS = {
  method: "method",
  route: "route",
  status: "status",
  model: "model",
  version: "version",
  class: "class",
  backend: "backend",
  errorType: "type",
} as const;

/**
 * Values of the `type` label on `ml_errors_total`: one per kind of failed request, so alerts can tell
 * client mistakes (`invalid_input`, …) from server faults (`internal`).
 */
export const ERROR_TYPES = {
  /** 400: the body is not JSON. */
  invalidJson: "invalid_json",
  /** 400: JSON that does not describe valid rows (wrong count, non-numbers, unknown fields, empty batch…). */
  invalidInput: "invalid_input",
  /** 413: the body is larger than BODY_LIMIT_BYTES. */
  payloadTooLarge: "payload_too_large",
  /** 413: more rows than MAX_BATCH_ROWS. */
  tooManyRows: "too_many_rows",
  /** 415: a Content-Type the endpoint does not read (JSON, none, text/plain and form-urlencoded are read as JSON). */
  unsupportedMediaType: "unsupported_media_type",
  /** 404: a model name or version that is not served. */
  modelNotFound: "model_not_found",
  /** 404: no such path. */
  notFound: "not_found",
  /** 405: a known path with the wrong method. */
  methodNotAllowed: "method_not_allowed",
  /** 503: the model is still loading. */
  notReady: "not_ready",
  /** 503: the inference queue is full; the response carries `Retry-After`. */
  overloaded: "overloaded",
  /** 500: a bug; details only in the server log. */
  internal: "internal",
} as const;
