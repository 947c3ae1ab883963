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

/**
 * With API keys on (`AUTH_MODE=api-key`), `/metrics` leaves the API port for this one, so a client holding
 * (or guessing) the API port cannot read the metrics, and Prometheus scrapes the port by this name. Without
 * auth, `/metrics` stays on {@link SERVER_PORT}.
 */
export const METRICS_PORT = 9090;
export const METRICS_PORT_NAME = "metrics";

/** Where the chart mounts the API-key Secret (one file per key id) in api-key mode. */
export const API_KEYS_MOUNT_PATH = "/var/run/secrets/infer8s/api-keys";

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

/**
 * Environment variables of the server, keyed by the setting each one carries: the same key path names it in
 * the server's `ServerConfig` and in the charts' `settings.server` (`tfjsBackend` is `config.tfjsBackend`,
 * `settings.server.tfjsBackend` and `TFJS_BACKEND`). `SERVER_SETTINGS` in `src/contract/server-config.ts`
 * gives each its kind, default and range, and parses and encodes them.
 */
export const ENV = {
  port: "PORT",
  host: "HOST",
  modelDir: "MODEL_DIR",
  tfjsBackend: "TFJS_BACKEND",
  logLevel: "LOG_LEVEL",
  bodyLimitBytes: "BODY_LIMIT_BYTES",
  maxRowsPerRequest: "MAX_ROWS_PER_REQUEST",
  drainSeconds: "SHUTDOWN_DRAIN_SECONDS",
  inflightTimeoutSeconds: "SHUTDOWN_INFLIGHT_TIMEOUT_SECONDS",
  "batching.enabled": "BATCHING",
  "batching.maxRowsPerCall": "BATCH_MAX_ROWS_PER_CALL",
  "batching.maxDelayMs": "BATCH_MAX_DELAY_MS",
  "batching.queueRows": "BATCH_QUEUE_ROWS",
  "http.keepAliveTimeoutSeconds": "HTTP_KEEP_ALIVE_TIMEOUT_SECONDS",
  "http.headersTimeoutSeconds": "HTTP_HEADERS_TIMEOUT_SECONDS",
  "http.requestTimeoutSeconds": "HTTP_REQUEST_TIMEOUT_SECONDS",
  "http.maxConnectionAgeSeconds": "HTTP_MAX_CONNECTION_AGE_SECONDS",
  "http.maxRequestsPerSocket": "HTTP_MAX_REQUESTS_PER_SOCKET",
  "auth.mode": "AUTH_MODE",
  "auth.keysDir": "AUTH_KEYS_DIR",
  metricsPort: "METRICS_PORT",
} as const;

/** A server setting by its key path in `ServerConfig` (and in the charts' `settings.server`). */
export type ServerSettingKey = keyof typeof ENV;

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
  /** Requests that presented a valid API key, by key id (never the key). */
  authenticatedRequests: "ml_authenticated_requests_total",
  /** Requests refused with 401, by reason (`missing` or `invalid`). */
  authFailures: "ml_auth_failures_total",
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
  /** The id (Secret data key) of the API key a request presented. */
  keyId: "key_id",
  /** Why a request was refused with 401: `missing` or `invalid`. */
  authFailureReason: "reason",
} as const;

/** How the server authenticates API requests: not at all, or with keys from {@link API_KEYS_MOUNT_PATH}. */
export const AUTH_MODES = ["none", "api-key"] as const;
export type AuthMode = (typeof AUTH_MODES)[number];

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
  /** 413: more rows than MAX_ROWS_PER_REQUEST. */
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
  /** 401: no API key, or a key that is not one of the configured ones (api-key mode). */
  unauthorized: "unauthorized",
  /** 500: a bug; details only in the server log. */
  internal: "internal",
} as const;
