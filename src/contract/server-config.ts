/**
 * Server configuration: the only module that reads `process.env`.
 *
 * {@link parseConfig} is pure (environment in, config or every problem out) so tests can assert the exact
 * messages; `main.ts` prints the problems and exits non-zero. This module imports nothing at runtime but
 * the contract, so the charts could import {@link DEFAULT_CONFIG} without pulling in TF.js or Hono.
 */
import { ENV, SERVER_PORT, TFJS_BACKENDS, type TfjsBackendPreference } from "./index.js";

export type BackendPreference = TfjsBackendPreference;

/** Log levels the server accepts (pino's levels plus `silent`). */
export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Values `TFJS_BACKEND` accepts. */
export const BACKEND_PREFERENCES = ["auto", ...TFJS_BACKENDS] as const satisfies readonly BackendPreference[];

export interface ServerConfig {
  /** TCP port to listen on; `0` picks a free port, which the `listening` log line reports. @default 8080 */
  readonly port: number;
  /** Interface to bind. @default "0.0.0.0" */
  readonly host: string;
  /** Directory holding `model.json`, `weights.bin` and `metadata.json`. @default "./model" */
  readonly modelDir: string;
  /** TF.js backend; `auto` tries tensorflow (tfjs-node), then wasm, then cpu. @default "auto" */
  readonly backend: BackendPreference;
  /** Minimum level written to stdout. @default "info" */
  readonly logLevel: LogLevel;
  /**
   * Largest request body accepted, in bytes, counted while the body streams in (a chunked body is cut off
   * as soon as it passes the limit); larger bodies get 413. @default 262144 (256 KiB: 1024 named rows fit)
   */
  readonly bodyLimitBytes: number;
  /** Most rows one request may carry (`instances`, V2 shape `[N, 4]`); more gets 413. @default 1024 */
  readonly maxBatchRows: number;
  /**
   * Seconds between SIGTERM and closing the listener. Readiness answers 503 from the first moment while
   * requests are still served normally, so Kubernetes can take the pod out of its endpoints first.
   * Fractions allowed. @default 5
   */
  readonly drainSeconds: number;
  /**
   * Seconds, after the listener closes, that requests already in flight get to finish; then remaining
   * connections are cut and the process exits 0 anyway. The pod's `terminationGracePeriodSeconds` must
   * exceed `drainSeconds + inflightTimeoutSeconds`. Fractions allowed. @default 10
   */
  readonly inflightTimeoutSeconds: number;
  /** Dynamic micro-batching of concurrent inference calls (see `src/model/micro-batcher.ts`). */
  readonly batching: BatchingConfig;
}

export interface BatchingConfig {
  /** `BATCHING=on|off`: pack rows of concurrent requests into one model call. @default true */
  readonly enabled: boolean;
  /** `BATCH_MAX_ROWS`: most rows one model call carries (a request's own rows count). @default 256 */
  readonly maxRows: number;
  /** `BATCH_MAX_DELAY_MS`: how long a row may wait for company; 0 = whatever is queued when the model is free. @default 0 */
  readonly maxDelayMs: number;
  /** `BATCH_QUEUE_ROWS`: most rows waiting; beyond it requests get 503 with Retry-After at once. @default 4096 */
  readonly queueRows: number;
}

/** The configuration with no environment variable set. */
export const DEFAULT_CONFIG: ServerConfig = Object.freeze({
  port: SERVER_PORT,
  host: "0.0.0.0",
  modelDir: "./model",
  backend: "auto",
  logLevel: "info",
  bodyLimitBytes: 256 * 1024,
  maxBatchRows: 1024,
  drainSeconds: 5,
  inflightTimeoutSeconds: 10,
  batching: Object.freeze({ enabled: true, maxRows: 256, maxDelayMs: 0, queueRows: 4096 }),
});

const LIMITS = {
  bodyLimitBytes: { min: 1024, max: 64 * 1024 * 1024 },
  maxBatchRows: { min: 1, max: 100_000 },
  seconds: { min: 0, max: 300 },
} as const;

export type ConfigResult =
  | { readonly ok: true; readonly config: ServerConfig }
  | { readonly ok: false; readonly errors: readonly string[] };

type Environment = Readonly<Record<string, string | undefined>>;

/**
 * Builds the configuration from environment variables (names in `ENV` of the contract). Unset or empty
 * variables take the defaults; every invalid value is reported, not just the first.
 *
 * @example
 * const result = parseConfig({ PORT: "9000", TFJS_BACKEND: "gpu" });
 * // { ok: false, errors: ['TFJS_BACKEND must be one of auto, tensorflow, wasm, cpu, got "gpu"'] }
 */
export function parseConfig(env: Environment): ConfigResult {
  const errors: string[] = [];
  const read = (name: string): string | undefined => {
    const value = env[name];
    return value === undefined || value.trim() === "" ? undefined : value;
  };

  const integer = (name: string, fallback: number, min: number, max: number): number => {
    const raw = read(name);
    if (raw === undefined) return fallback;
    const value = /^\d+$/.test(raw) ? Number(raw) : Number.NaN;
    if (!Number.isSafeInteger(value) || value < min || value > max) {
      errors.push(`${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(raw)}`);
      return fallback;
    }
    return value;
  };

  const seconds = (name: string, fallback: number): number => {
    const raw = read(name);
    if (raw === undefined) return fallback;
    const value = /^\d+(\.\d+)?$/.test(raw) ? Number(raw) : Number.NaN;
    const { min, max } = LIMITS.seconds;
    if (!(value >= min && value <= max)) {
      errors.push(`${name} must be a number of seconds from ${min} to ${max}, got ${JSON.stringify(raw)}`);
      return fallback;
    }
    return value;
  };

  const oneOf = <T extends string>(name: string, choices: readonly T[], fallback: T): T => {
    const raw = read(name);
    if (raw === undefined) return fallback;
    if (!(choices as readonly string[]).includes(raw)) {
      errors.push(`${name} must be one of ${choices.join(", ")}, got ${JSON.stringify(raw)}`);
      return fallback;
    }
    return raw as T;
  };

  const config: ServerConfig = {
    port: integer(ENV.port, DEFAULT_CONFIG.port, 0, 65_535),
    host: read(ENV.host) ?? DEFAULT_CONFIG.host,
    modelDir: read(ENV.modelDir) ?? DEFAULT_CONFIG.modelDir,
    backend: oneOf(ENV.backend, BACKEND_PREFERENCES, DEFAULT_CONFIG.backend),
    logLevel: oneOf(ENV.logLevel, LOG_LEVELS, DEFAULT_CONFIG.logLevel),
    bodyLimitBytes: integer(
      ENV.bodyLimitBytes,
      DEFAULT_CONFIG.bodyLimitBytes,
      LIMITS.bodyLimitBytes.min,
      LIMITS.bodyLimitBytes.max,
    ),
    maxBatchRows: integer(
      ENV.maxBatchRows,
      DEFAULT_CONFIG.maxBatchRows,
      LIMITS.maxBatchRows.min,
      LIMITS.maxBatchRows.max,
    ),
    drainSeconds: seconds(ENV.drainSeconds, DEFAULT_CONFIG.drainSeconds),
    inflightTimeoutSeconds: seconds(ENV.inflightTimeoutSeconds, DEFAULT_CONFIG.inflightTimeoutSeconds),
    batching: Object.freeze({
      enabled: oneOf(ENV.batching, ["on", "off"], DEFAULT_CONFIG.batching.enabled ? "on" : "off") === "on",
      maxRows: integer(ENV.batchMaxRows, DEFAULT_CONFIG.batching.maxRows, 1, LIMITS.maxBatchRows.max),
      maxDelayMs: integer(ENV.batchMaxDelayMs, DEFAULT_CONFIG.batching.maxDelayMs, 0, 1000),
      queueRows: integer(ENV.batchQueueRows, DEFAULT_CONFIG.batching.queueRows, 1, 1_000_000),
    }),
  };
  return errors.length > 0 ? { ok: false, errors } : { ok: true, config: Object.freeze(config) };
}

/** {@link parseConfig} applied to this process's environment. */
export function configFromEnvironment(): ConfigResult {
  return parseConfig(process.env);
}
