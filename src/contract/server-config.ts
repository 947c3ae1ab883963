/**
 * The server's configuration codec: one table ({@link SERVER_SETTINGS}) describes every setting — its key
 * path, environment variable, kind, default and range — and both directions are derived from it.
 * {@link parseServerConfig} is what the server runs on its environment; {@link encodeServerConfig} is what
 * the charts write into the Deployment, and the charts validate `settings.server` by parsing their own
 * encoding with the server's parser, so the two sides cannot drift.
 *
 * Pure and dependency-free (it imports only the contract): `src/server/config.ts` is the one place that
 * hands it `process.env`.
 */
import {
  API_KEYS_MOUNT_PATH,
  AUTH_MODES,
  type AuthMode,
  ENV,
  METRICS_PORT,
  SERVER_PORT,
  type ServerSettingKey,
  TFJS_BACKENDS,
  type TfjsBackendPreference,
} from "./index.js";

/** Log levels the server accepts (pino's levels plus `silent`). */
export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Values `TFJS_BACKEND` accepts. */
export const BACKEND_PREFERENCES = [
  "auto",
  ...TFJS_BACKENDS,
] as const satisfies readonly TfjsBackendPreference[];

/** The parsed configuration. Defaults, ranges and variable names: {@link SERVER_SETTINGS}. */
export interface ServerConfig {
  /** TCP port to listen on; `0` picks a free port, which the `listening` log line reports. */
  readonly port: number;
  /** Interface to bind. */
  readonly host: string;
  /** Directory holding `model.json`, `weights.bin` and `metadata.json`. */
  readonly modelDir: string;
  /** TF.js backend; `auto` tries tensorflow (tfjs-node), then wasm, then cpu. */
  readonly tfjsBackend: TfjsBackendPreference;
  /** Minimum level written to stdout. */
  readonly logLevel: LogLevel;
  /**
   * Largest request body accepted, in bytes, counted while the body streams in (a chunked body is cut off
   * as soon as it passes the limit); larger bodies get 413.
   */
  readonly bodyLimitBytes: number;
  /** Most rows one request may carry (`instances`, V2 shape `[N, 4]`); more gets 413. */
  readonly maxRowsPerRequest: number;
  /**
   * Seconds between SIGTERM and closing the listener. Readiness answers 503 from the first moment while
   * requests are still served normally, so Kubernetes can take the pod out of its endpoints first.
   */
  readonly drainSeconds: number;
  /**
   * Seconds, after the listener closes, that requests already in flight get to finish; then remaining
   * connections are cut and the process exits 0 anyway. The pod's `terminationGracePeriodSeconds` must
   * exceed `drainSeconds + inflightTimeoutSeconds`.
   */
  readonly inflightTimeoutSeconds: number;
  /** Dynamic micro-batching of concurrent inference calls (see `src/model/micro-batcher.ts`). */
  readonly batching: BatchingConfig;
  /** Node's HTTP server timeouts (`src/server/config.ts` turns them into Node's options). */
  readonly http: HttpTimeouts;
  /** API-key authentication (`src/server/auth/`). */
  readonly auth: AuthConfig;
  /**
   * Port of the separate `/metrics` listener in api-key mode (`0` picks a free one); without auth `/metrics`
   * is served on `port` and this is unused.
   */
  readonly metricsPort: number;
}

export interface AuthConfig {
  /** `none`: every request is served; `api-key`: all but probes need a key from `keysDir`. */
  readonly mode: AuthMode;
  /** Directory with one file per key: the file name is the key id, the content the key (a mounted Secret). */
  readonly keysDir: string;
}

export interface BatchingConfig {
  /** Pack rows of concurrent requests into one model call. */
  readonly enabled: boolean;
  /** Most rows one model call carries (a request's own rows count, so a larger request runs alone). */
  readonly maxRowsPerCall: number;
  /** How long a row may wait for company; 0 = whatever is queued when the model is free. */
  readonly maxDelayMs: number;
  /** Most rows waiting; beyond it requests get 503 with Retry-After at once. */
  readonly queueRows: number;
}

export interface HttpTimeouts {
  /**
   * How long an idle keep-alive connection stays open. It must outlive the idle timeout of any proxy in
   * front (ingress-nginx and cloud load balancers use 60 s): a server closing a socket just as the proxy
   * reuses it is a 502 for the client.
   */
  readonly keepAliveTimeoutSeconds: number;
  /** Once a request starts, its headers must arrive within this long (slowloris guard); 408 otherwise. */
  readonly headersTimeoutSeconds: number;
  /**
   * The whole request, body included, must arrive within this long; 408 otherwise. Bodies are at most
   * `bodyLimitBytes` and a prediction takes microseconds, so anything slower is a stuck or hostile client.
   * Node requires it to be at least `headersTimeoutSeconds`.
   */
  readonly requestTimeoutSeconds: number;
  /**
   * A keep-alive connection older than this is closed after its current response (`Connection: close`);
   * 0 = no limit. A Service balances per connection, so without it keep-alive clients never reach pods
   * added by a scale-out.
   */
  readonly maxConnectionAgeSeconds: number;
  /** A connection is closed after answering this many requests (`Connection: close` on the last); 0 = no limit. */
  readonly maxRequestsPerSocket: number;
}

/** How a setting is written in the environment. */
export type SettingKind = "integer" | "seconds" | "enum" | "on-off" | "string";

interface SettingBase {
  /** One line for the README's configuration table. */
  readonly doc: string;
}
/** Decimal digits; `min` to `max`. */
export interface IntegerSetting extends SettingBase {
  readonly kind: "integer";
  readonly default: number;
  readonly min: number;
  readonly max: number;
}
/** Seconds with at most three decimals (Node's timers count whole milliseconds); `min` to `max`. */
export interface SecondsSetting extends SettingBase {
  readonly kind: "seconds";
  readonly default: number;
  readonly min: number;
  readonly max: number;
}
/** One of `choices`. */
export interface EnumSetting<T extends string = string> extends SettingBase {
  readonly kind: "enum";
  readonly default: T;
  readonly choices: readonly T[];
}
/** `on` or `off`, a boolean in the config. */
export interface OnOffSetting extends SettingBase {
  readonly kind: "on-off";
  readonly default: boolean;
}
/** Any text that is not blank. */
export interface StringSetting extends SettingBase {
  readonly kind: "string";
  readonly default: string;
}
export type SettingSpec = IntegerSetting | SecondsSetting | EnumSetting | OnOffSetting | StringSetting;

/** The leaf key paths of a config object: `"port" | "batching.enabled" | …`. */
type LeafKeys<T, Prefix extends string = ""> = {
  [K in keyof T & string]: T[K] extends object ? LeafKeys<T[K], `${Prefix}${K}.`> : `${Prefix}${K}`;
}[keyof T & string];
/** The type at a key path. */
type ValueAt<T, K extends string> = K extends `${infer Head}.${infer Rest}`
  ? Head extends keyof T
    ? ValueAt<T[Head], Rest>
    : never
  : K extends keyof T
    ? T[K]
    : never;
/** The specs that can describe a value of type `V`. */
type SpecFor<V> = [V] extends [boolean]
  ? OnOffSetting
  : [V] extends [number]
    ? IntegerSetting | SecondsSetting
    : string extends V
      ? StringSetting
      : [V] extends [string]
        ? EnumSetting<V>
        : never;

// `ENV` (the variable names) and `ServerConfig` (the parsed shape) must list the same settings.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const envNamesEverySetting: Same<LeafKeys<ServerConfig>, ServerSettingKey> = true;
void envNamesEverySetting;

/**
 * Every server setting, in the order the Deployment lists them. The variable of each is `ENV[key]`.
 */
export const SERVER_SETTINGS: { readonly [K in ServerSettingKey]: SpecFor<ValueAt<ServerConfig, K>> } = {
  port: {
    kind: "integer",
    default: SERVER_PORT,
    min: 0,
    max: 65_535,
    doc: "listen port; `0` picks a free one (logged in the `listening` line)",
  },
  host: { kind: "string", default: "0.0.0.0", doc: "interface to bind" },
  modelDir: {
    kind: "string",
    default: "./model",
    doc: "directory with `model.json`, `weights.bin`, `metadata.json`",
  },
  tfjsBackend: {
    kind: "enum",
    default: "auto",
    choices: BACKEND_PREFERENCES,
    doc: "TF.js backend; `auto` tries tensorflow, then wasm, then cpu",
  },
  logLevel: { kind: "enum", default: "info", choices: LOG_LEVELS, doc: "lowest level written to stdout" },
  bodyLimitBytes: {
    kind: "integer",
    default: 256 * 1024,
    min: 1024,
    max: 64 * 1024 * 1024,
    doc: "largest request body; checked from Content-Length, or while a chunked body streams; 413 beyond",
  },
  maxRowsPerRequest: {
    kind: "integer",
    default: 1024,
    min: 1,
    max: 100_000,
    doc: "most rows one request may carry (`instances`, V2 `[N,4]`); 413 beyond",
  },
  drainSeconds: {
    kind: "seconds",
    default: 5,
    min: 0,
    max: 300,
    doc: "after SIGTERM/SIGINT: readiness 503 at once, requests still served this long",
  },
  inflightTimeoutSeconds: {
    kind: "seconds",
    default: 10,
    min: 0,
    max: 300,
    doc: "after the listener closes, time in-flight requests get; exit code 0 either way",
  },
  "batching.enabled": {
    kind: "on-off",
    default: true,
    doc: "dynamic micro-batching: pack rows of concurrent requests into one model call",
  },
  "batching.maxRowsPerCall": {
    kind: "integer",
    default: 256,
    min: 1,
    max: 100_000,
    doc: "most rows one model call carries (a larger request runs alone)",
  },
  "batching.maxDelayMs": {
    kind: "integer",
    default: 0,
    min: 0,
    max: 1000,
    doc: "how long a row may wait for company; 0 = whatever is queued when the model is free",
  },
  "batching.queueRows": {
    kind: "integer",
    default: 4096,
    min: 1,
    max: 1_000_000,
    doc: "most rows waiting; beyond it requests get 503 + `Retry-After` at once",
  },
  "http.keepAliveTimeoutSeconds": {
    kind: "seconds",
    default: 65,
    min: 1,
    max: 3600,
    doc: "idle keep-alive connections close after this; must outlive proxies' idle timeout (often 60 s)",
  },
  "http.headersTimeoutSeconds": {
    kind: "seconds",
    default: 10,
    min: 1,
    max: 300,
    doc: "a request's headers must arrive within this long (slowloris guard); 408 beyond",
  },
  "http.requestTimeoutSeconds": {
    kind: "seconds",
    default: 30,
    min: 1,
    max: 3600,
    doc: "the whole request must arrive within this long; at least the headers timeout; 408 beyond",
  },
  "http.maxConnectionAgeSeconds": {
    kind: "seconds",
    default: 15,
    min: 0,
    max: 86_400,
    doc: "a connection older than this closes after its current response, so added pods get traffic; 0 = never",
  },
  "http.maxRequestsPerSocket": {
    kind: "integer",
    // Off by default: a close every 1,000 requests raised p99 at 16 connections from 1 to 7 ms in the bench,
    // while the age limit alone brings traffic to new pods (test/scale-out.test.ts) at no p99 cost.
    default: 0,
    min: 0,
    max: 1_000_000_000,
    doc: "a connection closes after answering this many requests (`Connection: close` on the last); 0 = never",
  },
  "auth.mode": {
    kind: "enum",
    default: "none",
    choices: AUTH_MODES,
    doc: "`api-key`: every route but the probes needs a key (`Authorization: Bearer` or `X-API-Key`), 401 without",
  },
  "auth.keysDir": {
    kind: "string",
    default: API_KEYS_MOUNT_PATH,
    doc: "api-key mode: one file per key (name = key id), re-read when it changes; unreadable at start = exit 1",
  },
  metricsPort: {
    kind: "integer",
    default: METRICS_PORT,
    min: 0,
    max: 65_535,
    doc: "api-key mode: `/metrics` is served only on this port, not on `PORT`; `0` picks a free one",
  },
};

/** Every setting's key, in {@link SERVER_SETTINGS} order. */
export const SERVER_SETTING_KEYS = Object.keys(SERVER_SETTINGS) as ServerSettingKey[];

/** The JavaScript type of each kind's value in a `ServerConfig`. */
export const SETTING_VALUE_TYPES = {
  integer: "number",
  seconds: "number",
  enum: "string",
  "on-off": "boolean",
  string: "string",
} as const satisfies Record<SettingKind, "number" | "boolean" | "string">;

/** The value at `key` in a config-shaped object (`undefined` where the path is missing). */
export function settingValue(config: object, key: ServerSettingKey): unknown {
  let value: unknown = config;
  for (const part of key.split(".")) {
    value =
      typeof value === "object" && value !== null ? (value as Record<string, unknown>)[part] : undefined;
  }
  return value;
}

/** Builds a frozen, nested config from one value per key. */
function buildConfig(valueOf: (key: ServerSettingKey) => unknown): ServerConfig {
  const root: Record<string, unknown> = {};
  for (const key of SERVER_SETTING_KEYS) {
    const parts = key.split(".");
    const leaf = parts.pop() as string;
    let node = root;
    for (const part of parts) node = (node[part] ??= {}) as Record<string, unknown>;
    node[leaf] = valueOf(key);
  }
  for (const value of Object.values(root)) if (typeof value === "object") Object.freeze(value);
  return Object.freeze(root) as unknown as ServerConfig;
}

/** The configuration with no environment variable set. */
export const DEFAULT_CONFIG: ServerConfig = buildConfig((key) => SERVER_SETTINGS[key].default);

/** One invalid setting. */
export interface ConfigProblem {
  /** The setting's key path, e.g. `batching.maxRowsPerCall` (also its path under `settings.server`). */
  readonly key: ServerSettingKey;
  /** Its environment variable, e.g. `BATCH_MAX_ROWS_PER_CALL`. */
  readonly variable: string;
  /** What the value must be, e.g. `must be an integer from 1 to 100000`. */
  readonly expectation: string;
  /** The variable's text as given. */
  readonly got: string;
  /** What the server prints: `BATCH_MAX_ROWS_PER_CALL must be an integer from 1 to 100000, got "0"`. */
  readonly message: string;
}

export type ConfigResult =
  | { readonly ok: true; readonly config: ServerConfig }
  | { readonly ok: false; readonly errors: readonly ConfigProblem[] };

type Environment = Readonly<Record<string, string | undefined>>;

/** Decodes one variable's text, or says what it must be. */
function decode(spec: SettingSpec, raw: string): { value: unknown } | { expectation: string } {
  switch (spec.kind) {
    case "integer": {
      const value = /^\d+$/.test(raw) ? Number(raw) : Number.NaN;
      return Number.isSafeInteger(value) && value >= spec.min && value <= spec.max
        ? { value }
        : { expectation: `must be an integer from ${spec.min} to ${spec.max}` };
    }
    case "seconds": {
      const value = /^\d+(\.\d{1,3})?$/.test(raw) ? Number(raw) : Number.NaN;
      return value >= spec.min && value <= spec.max
        ? { value }
        : { expectation: `must be a number of seconds from ${spec.min} to ${spec.max}, at most 3 decimals` };
    }
    case "enum":
      return spec.choices.includes(raw) ? { value: raw } : { expectation: mustBeOneOf(spec.choices) };
    case "on-off":
      return raw === "on" || raw === "off"
        ? { value: raw === "on" }
        : { expectation: mustBeOneOf(["on", "off"]) };
    case "string":
      return { value: raw };
  }
}

const mustBeOneOf = (choices: readonly string[]) => `must be one of ${choices.join(", ")}`;

/** Rules across settings, checked once each setting is valid on its own. Node enforces this one at listen. */
const CROSS_CHECKS: readonly {
  readonly key: ServerSettingKey;
  readonly holds: (config: ServerConfig) => boolean;
  readonly expectation: (config: ServerConfig) => string;
}[] = [
  {
    key: "http.headersTimeoutSeconds",
    holds: (c) => c.http.headersTimeoutSeconds <= c.http.requestTimeoutSeconds,
    expectation: (c) => `must not exceed the request timeout (${c.http.requestTimeoutSeconds} s)`,
  },
  {
    key: "metricsPort",
    holds: (c) => c.auth.mode === "none" || c.metricsPort === 0 || c.metricsPort !== c.port,
    expectation: (c) => `must differ from PORT (${c.port}) in api-key mode`,
  },
];

/**
 * Builds the configuration from environment variables (names in `ENV` of the contract). Unset or blank
 * variables take the defaults; every invalid value is reported, each naming its variable and setting.
 *
 * @example
 * const result = parseServerConfig({ PORT: "9000", TFJS_BACKEND: "gpu" });
 * // result.ok === false
 * // result.errors[0].message === 'TFJS_BACKEND must be one of auto, tensorflow, wasm, cpu, got "gpu"'
 */
export function parseServerConfig(env: Environment): ConfigResult {
  const errors: ConfigProblem[] = [];
  const problem = (key: ServerSettingKey, expectation: string, got: string): ConfigProblem => ({
    key,
    variable: ENV[key],
    expectation,
    got,
    message: `${ENV[key]} ${expectation}, got ${JSON.stringify(got)}`,
  });
  const config = buildConfig((key) => {
    const spec: SettingSpec = SERVER_SETTINGS[key];
    const raw = env[ENV[key]];
    if (raw === undefined || raw.trim() === "") return spec.default;
    const decoded = decode(spec, raw);
    if ("value" in decoded) return decoded.value;
    errors.push(problem(key, decoded.expectation, raw));
    return spec.default;
  });
  for (const rule of CROSS_CHECKS) {
    if (errors.length === 0 && !rule.holds(config)) {
      errors.push(problem(rule.key, rule.expectation(config), encodeSetting(rule.key, config)));
    }
  }
  return errors.length > 0 ? { ok: false, errors } : { ok: true, config };
}

function encodeSetting(key: ServerSettingKey, config: ServerConfig): string {
  const value = settingValue(config, key);
  return SERVER_SETTINGS[key].kind === "on-off" ? (value ? "on" : "off") : String(value);
}

/**
 * The environment that makes {@link parseServerConfig} return `config`: every variable, in
 * {@link SERVER_SETTINGS} order. It does not validate; parse the result to find out whether `config` is valid.
 *
 * @example
 * encodeServerConfig(DEFAULT_CONFIG).BATCHING; // "on"
 */
export function encodeServerConfig(config: ServerConfig): Record<string, string> {
  return Object.fromEntries(SERVER_SETTING_KEYS.map((key) => [ENV[key], encodeSetting(key, config)]));
}
