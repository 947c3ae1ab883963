import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  DEFAULT_CONFIG,
  encodeServerConfig,
  parseServerConfig,
  SERVER_SETTING_KEYS,
  SERVER_SETTINGS,
  type ConfigResult,
  type ServerConfig,
  type SettingSpec,
} from "./server-config.js";
import { ENV, SERVER_PORT, type ServerSettingKey } from "./index.js";

/** The messages of a failed parse (empty when it succeeded). */
const messages = (result: ConfigResult) => (result.ok ? [] : result.errors.map((e) => e.message));

describe("parseServerConfig", () => {
  it("uses the documented defaults when nothing is set", () => {
    expect(parseServerConfig({})).toEqual({
      ok: true,
      config: {
        port: SERVER_PORT,
        host: "0.0.0.0",
        modelDir: "./model",
        tfjsBackend: "auto",
        logLevel: "info",
        bodyLimitBytes: 262_144,
        maxRowsPerRequest: 1024,
        drainSeconds: 5,
        inflightTimeoutSeconds: 10,
        batching: { enabled: true, maxRowsPerCall: 256, maxDelayMs: 0, queueRows: 4096 },
        http: {
          keepAliveTimeoutSeconds: 65,
          headersTimeoutSeconds: 10,
          requestTimeoutSeconds: 30,
          maxConnectionAgeSeconds: 15,
          maxRequestsPerSocket: 0,
        },
        auth: { mode: "none", keysDir: "/var/run/secrets/infer8s/api-keys" },
        metricsPort: 9090,
      },
    });
    expect(DEFAULT_CONFIG.port).toBe(8080);
  });

  it("treats empty variables as unset", () => {
    expect(parseServerConfig({ [ENV.port]: "", [ENV.tfjsBackend]: "  " })).toEqual({
      ok: true,
      config: DEFAULT_CONFIG,
    });
  });

  it("reads every variable named in the contract", () => {
    const result = parseServerConfig({
      PORT: "9000",
      HOST: "127.0.0.1",
      MODEL_DIR: "/models/iris",
      TFJS_BACKEND: "cpu",
      LOG_LEVEL: "debug",
      BODY_LIMIT_BYTES: "1048576",
      MAX_ROWS_PER_REQUEST: "1000",
      SHUTDOWN_DRAIN_SECONDS: "2.5",
      SHUTDOWN_INFLIGHT_TIMEOUT_SECONDS: "0",
      BATCHING: "off",
      BATCH_MAX_ROWS_PER_CALL: "64",
      BATCH_MAX_DELAY_MS: "3",
      BATCH_QUEUE_ROWS: "100",
      HTTP_KEEP_ALIVE_TIMEOUT_SECONDS: "75",
      HTTP_HEADERS_TIMEOUT_SECONDS: "1.5",
      HTTP_REQUEST_TIMEOUT_SECONDS: "2",
      HTTP_MAX_CONNECTION_AGE_SECONDS: "0",
      HTTP_MAX_REQUESTS_PER_SOCKET: "250",
      AUTH_MODE: "api-key",
      AUTH_KEYS_DIR: "/keys",
      METRICS_PORT: "9100",
    });
    expect(result).toEqual({
      ok: true,
      config: {
        port: 9000,
        host: "127.0.0.1",
        modelDir: "/models/iris",
        tfjsBackend: "cpu",
        logLevel: "debug",
        bodyLimitBytes: 1_048_576,
        maxRowsPerRequest: 1000,
        drainSeconds: 2.5,
        inflightTimeoutSeconds: 0,
        batching: { enabled: false, maxRowsPerCall: 64, maxDelayMs: 3, queueRows: 100 },
        http: {
          keepAliveTimeoutSeconds: 75,
          headersTimeoutSeconds: 1.5,
          requestTimeoutSeconds: 2,
          maxConnectionAgeSeconds: 0,
          maxRequestsPerSocket: 250,
        },
        auth: { mode: "api-key", keysDir: "/keys" },
        metricsPort: 9100,
      },
    });
  });

  it("refuses a metrics port equal to the API port in api-key mode only", () => {
    expect(messages(parseServerConfig({ AUTH_MODE: "api-key", PORT: "9090" }))).toEqual([
      'METRICS_PORT must differ from PORT (9090) in api-key mode, got "9090"',
    ]);
    expect(parseServerConfig({ PORT: "9090" }).ok).toBe(true);
    expect(parseServerConfig({ AUTH_MODE: "api-key", PORT: "0", METRICS_PORT: "0" }).ok).toBe(true);
  });

  it("accepts port 0 (pick a free port)", () => {
    expect(parseServerConfig({ PORT: "0" })).toMatchObject({ ok: true, config: { port: 0 } });
  });

  it("reports every invalid value, each naming its variable and the value it got", () => {
    const result = parseServerConfig({
      PORT: "80a",
      TFJS_BACKEND: "gpu",
      LOG_LEVEL: "verbose",
      BODY_LIMIT_BYTES: "512",
      MAX_ROWS_PER_REQUEST: "0",
      SHUTDOWN_DRAIN_SECONDS: "-1",
      SHUTDOWN_INFLIGHT_TIMEOUT_SECONDS: "ten",
      BATCHING: "yes",
      BATCH_MAX_DELAY_MS: "5000",
      BATCH_QUEUE_ROWS: "0",
      HTTP_REQUEST_TIMEOUT_SECONDS: "0.5",
    });
    expect(messages(result)).toEqual([
      'PORT must be an integer from 0 to 65535, got "80a"',
      'TFJS_BACKEND must be one of auto, tensorflow, wasm, cpu, got "gpu"',
      'LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent, got "verbose"',
      'BODY_LIMIT_BYTES must be an integer from 1024 to 67108864, got "512"',
      'MAX_ROWS_PER_REQUEST must be an integer from 1 to 100000, got "0"',
      'SHUTDOWN_DRAIN_SECONDS must be a number of seconds from 0 to 300, at most 3 decimals, got "-1"',
      'SHUTDOWN_INFLIGHT_TIMEOUT_SECONDS must be a number of seconds from 0 to 300, at most 3 decimals, got "ten"',
      'BATCHING must be one of on, off, got "yes"',
      'BATCH_MAX_DELAY_MS must be an integer from 0 to 1000, got "5000"',
      'BATCH_QUEUE_ROWS must be an integer from 1 to 1000000, got "0"',
      'HTTP_REQUEST_TIMEOUT_SECONDS must be a number of seconds from 1 to 3600, at most 3 decimals, got "0.5"',
    ]);
  });

  it("names the setting and the variable of each problem", () => {
    const result = parseServerConfig({ BATCH_MAX_ROWS_PER_CALL: "0" });
    expect(result).toEqual({
      ok: false,
      errors: [
        {
          key: "batching.maxRowsPerCall",
          variable: "BATCH_MAX_ROWS_PER_CALL",
          expectation: "must be an integer from 1 to 100000",
          got: "0",
          message: 'BATCH_MAX_ROWS_PER_CALL must be an integer from 1 to 100000, got "0"',
        },
      ],
    });
  });

  it("rejects a header timeout longer than the request timeout, which Node refuses at listen", () => {
    expect(messages(parseServerConfig({ HTTP_HEADERS_TIMEOUT_SECONDS: "31" }))).toEqual([
      'HTTP_HEADERS_TIMEOUT_SECONDS must not exceed the request timeout (30 s), got "31"',
    ]);
    expect(
      parseServerConfig({ HTTP_HEADERS_TIMEOUT_SECONDS: "2", HTTP_REQUEST_TIMEOUT_SECONDS: "2" }).ok,
    ).toBe(true);
  });

  it.each([
    ["PORT", "65536"],
    ["PORT", "8080.0"],
    ["PORT", "1e3"],
    ["PORT", " 8080"],
    ["MAX_ROWS_PER_REQUEST", "100001"],
    ["SHUTDOWN_DRAIN_SECONDS", "301"],
    ["SHUTDOWN_DRAIN_SECONDS", "1e1"],
    ["SHUTDOWN_DRAIN_SECONDS", "0.0005"],
    ["HTTP_KEEP_ALIVE_TIMEOUT_SECONDS", "0"],
  ])("rejects %s=%j", (name, value) => {
    expect(messages(parseServerConfig({ [name]: value }))).toEqual([
      expect.stringMatching(`^${name} must be`),
    ]);
  });
});

/** A value of `spec`'s kind that the parser accepts. */
function validValue(spec: SettingSpec): fc.Arbitrary<unknown> {
  switch (spec.kind) {
    case "integer":
      return fc.integer({ min: spec.min, max: spec.max });
    case "seconds":
      return fc.integer({ min: spec.min * 1000, max: spec.max * 1000 }).map((ms) => ms / 1000);
    case "enum":
      return fc.constantFrom(...spec.choices);
    case "on-off":
      return fc.boolean();
    case "string":
      return fc.string({ minLength: 1 }).filter((s) => s.trim() !== "");
  }
}

/** Text for `spec`'s variable that the parser rejects (none for free-form strings). */
function invalidText(spec: SettingSpec): fc.Arbitrary<string> | undefined {
  const notBlank = fc.string({ minLength: 1 }).filter((s) => s.trim() !== "");
  switch (spec.kind) {
    case "integer":
      return fc.oneof(
        fc.integer({ min: spec.max + 1 }).map(String),
        fc.integer({ max: -1 }).map(String),
        ...(spec.min > 0 ? [fc.integer({ min: 0, max: spec.min - 1 }).map(String)] : []),
        fc.integer({ min: spec.min, max: spec.max }).map((n) => `${n}.5`),
        notBlank.filter((s) => !/^\d+$/.test(s)),
      );
    case "seconds":
      return fc.oneof(
        fc.integer({ min: spec.max * 1000 + 1, max: spec.max * 10_000 }).map((ms) => String(ms / 1000)),
        fc.integer({ min: 1, max: 10_000 }).map((ms) => `-${ms / 1000}`),
        ...(spec.min > 0
          ? [fc.integer({ min: 0, max: spec.min * 1000 - 1 }).map((ms) => String(ms / 1000))]
          : []),
        fc.integer({ min: spec.min * 10_000, max: spec.max * 10_000 }).map((t) => (t / 10_000).toFixed(4)),
        notBlank.filter((s) => !/^\d+(\.\d+)?$/.test(s)),
      );
    case "enum":
      return notBlank.filter((s) => !spec.choices.includes(s));
    case "on-off":
      return notBlank.filter((s) => s !== "on" && s !== "off");
    case "string":
      return undefined;
  }
}

/** Nests `{ "a.b": 1 }` into `{ a: { b: 1 } }`. */
function nest(values: Record<string, unknown>): ServerConfig {
  const root: Record<string, Record<string, unknown>> = {};
  for (const [key, value] of Object.entries(values)) {
    const [head, leaf] = key.split(".") as [string, string | undefined];
    if (leaf === undefined) (root as Record<string, unknown>)[head] = value;
    else (root[head] ??= {})[leaf] = value;
  }
  return root as unknown as ServerConfig;
}

const validConfig: fc.Arbitrary<ServerConfig> = fc
  .record(Object.fromEntries(SERVER_SETTING_KEYS.map((key) => [key, validValue(SERVER_SETTINGS[key])])))
  .map(nest)
  .filter((c) => c.http.headersTimeoutSeconds <= c.http.requestTimeoutSeconds)
  .filter((c) => c.auth.mode === "none" || c.metricsPort === 0 || c.metricsPort !== c.port);

describe("encodeServerConfig", () => {
  it("writes every variable, in the order of the table", () => {
    expect(Object.keys(encodeServerConfig(DEFAULT_CONFIG))).toEqual(
      SERVER_SETTING_KEYS.map((key) => ENV[key]),
    );
    expect(Object.keys(ENV)).toEqual(SERVER_SETTING_KEYS);
  });

  it("writes on/off, numbers as decimals and text as it is", () => {
    const env = encodeServerConfig({
      ...DEFAULT_CONFIG,
      modelDir: "/m",
      drainSeconds: 0.25,
      batching: { ...DEFAULT_CONFIG.batching, enabled: false },
    });
    expect(env).toMatchObject({ MODEL_DIR: "/m", SHUTDOWN_DRAIN_SECONDS: "0.25", BATCHING: "off" });
  });

  it("is undone by parseServerConfig for every valid configuration", () => {
    fc.assert(
      fc.property(validConfig, (config) => {
        expect(parseServerConfig(encodeServerConfig(config))).toEqual({ ok: true, config });
      }),
      { numRuns: 500 },
    );
  });
});

describe("parseServerConfig on invalid values", () => {
  const keys = SERVER_SETTING_KEYS.filter((key) => invalidText(SERVER_SETTINGS[key]) !== undefined);

  it.each(keys)("rejects any invalid %s, naming its setting and variable", (key: ServerSettingKey) => {
    const invalid = invalidText(SERVER_SETTINGS[key]) as fc.Arbitrary<string>;
    fc.assert(
      fc.property(validConfig, invalid, (config, text) => {
        const result = parseServerConfig({ ...encodeServerConfig(config), [ENV[key]]: text });
        expect(result.ok).toBe(false);
        const errors = result.ok ? [] : result.errors;
        expect(errors).toHaveLength(1);
        expect(errors[0]).toMatchObject({ key, variable: ENV[key], got: text });
        expect(errors[0]?.message).toBe(`${ENV[key]} ${errors[0]?.expectation}, got ${JSON.stringify(text)}`);
      }),
      { numRuns: 100 },
    );
  });
});
