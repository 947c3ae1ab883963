import { describe, expect, it } from "vitest";
import { DEFAULT_CONFIG, parseConfig } from "./server-config.js";
import { ENV, SERVER_PORT } from "./index.js";

describe("parseConfig", () => {
  it("uses the documented defaults when nothing is set", () => {
    expect(parseConfig({})).toEqual({
      ok: true,
      config: {
        port: SERVER_PORT,
        host: "0.0.0.0",
        modelDir: "./model",
        backend: "auto",
        logLevel: "info",
        bodyLimitBytes: 262_144,
        maxBatchRows: 1024,
        drainSeconds: 5,
        inflightTimeoutSeconds: 10,
        batching: { enabled: true, maxRows: 256, maxDelayMs: 0, queueRows: 4096 },
      },
    });
    expect(DEFAULT_CONFIG.port).toBe(8080);
  });

  it("treats empty variables as unset", () => {
    expect(parseConfig({ [ENV.port]: "", [ENV.backend]: "  " })).toEqual({
      ok: true,
      config: DEFAULT_CONFIG,
    });
  });

  it("reads every variable named in the contract", () => {
    const result = parseConfig({
      [ENV.port]: "9000",
      [ENV.host]: "127.0.0.1",
      [ENV.modelDir]: "/models/iris",
      [ENV.backend]: "cpu",
      [ENV.logLevel]: "debug",
      [ENV.bodyLimitBytes]: "1048576",
      [ENV.maxBatchRows]: "1000",
      [ENV.drainSeconds]: "2.5",
      [ENV.inflightTimeoutSeconds]: "0",
      [ENV.batching]: "off",
      [ENV.batchMaxRows]: "64",
      [ENV.batchMaxDelayMs]: "3",
      [ENV.batchQueueRows]: "100",
    });
    expect(result).toEqual({
      ok: true,
      config: {
        port: 9000,
        host: "127.0.0.1",
        modelDir: "/models/iris",
        backend: "cpu",
        logLevel: "debug",
        bodyLimitBytes: 1_048_576,
        maxBatchRows: 1000,
        drainSeconds: 2.5,
        inflightTimeoutSeconds: 0,
        batching: { enabled: false, maxRows: 64, maxDelayMs: 3, queueRows: 100 },
      },
    });
  });

  it("accepts port 0 (pick a free port)", () => {
    expect(parseConfig({ PORT: "0" })).toMatchObject({ ok: true, config: { port: 0 } });
  });

  it("reports every invalid value, each naming its variable and the value it got", () => {
    const result = parseConfig({
      PORT: "80a",
      TFJS_BACKEND: "gpu",
      LOG_LEVEL: "verbose",
      BODY_LIMIT_BYTES: "512",
      MAX_BATCH_ROWS: "0",
      SHUTDOWN_DRAIN_SECONDS: "-1",
      SHUTDOWN_INFLIGHT_TIMEOUT_SECONDS: "ten",
      BATCHING: "yes",
      BATCH_MAX_DELAY_MS: "5000",
      BATCH_QUEUE_ROWS: "0",
    });
    expect(result).toEqual({
      ok: false,
      errors: [
        'PORT must be an integer from 0 to 65535, got "80a"',
        'TFJS_BACKEND must be one of auto, tensorflow, wasm, cpu, got "gpu"',
        'LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent, got "verbose"',
        'BODY_LIMIT_BYTES must be an integer from 1024 to 67108864, got "512"',
        'MAX_BATCH_ROWS must be an integer from 1 to 100000, got "0"',
        'SHUTDOWN_DRAIN_SECONDS must be a number of seconds from 0 to 300, got "-1"',
        'SHUTDOWN_INFLIGHT_TIMEOUT_SECONDS must be a number of seconds from 0 to 300, got "ten"',
        'BATCHING must be one of on, off, got "yes"',
        'BATCH_MAX_DELAY_MS must be an integer from 0 to 1000, got "5000"',
        'BATCH_QUEUE_ROWS must be an integer from 1 to 1000000, got "0"',
      ],
    });
  });

  it.each([
    ["PORT", "65536"],
    ["PORT", "8080.0"],
    ["PORT", "1e3"],
    ["PORT", " 8080"],
    ["MAX_BATCH_ROWS", "100001"],
    ["SHUTDOWN_DRAIN_SECONDS", "301"],
    ["SHUTDOWN_DRAIN_SECONDS", "1e1"],
  ])("rejects %s=%j", (name, value) => {
    const result = parseConfig({ [name]: value });
    expect(result.ok).toBe(false);
    expect(result.ok ? [] : result.errors).toEqual([expect.stringContaining(`${name} must be`)]);
  });
});
