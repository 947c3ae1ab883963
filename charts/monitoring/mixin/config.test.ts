/* eslint-disable @typescript-eslint/no-explicit-any -- the cases write wrong types on purpose */
import { describe, expect, it } from "vitest";
import {
  assertMonitoringConfig,
  DEFAULT_MONITORING_CONFIG,
  durationInWords,
  durationSeconds,
  monitoringConfigProblems,
  type MonitoringConfig,
} from "./config.js";

/** The default config with `patch` applied one level into `alerts` / `slo` (what a test needs). */
function withConfig(patch: (config: MonitoringConfig) => unknown): unknown[] {
  const config = structuredClone(DEFAULT_MONITORING_CONFIG) as MonitoringConfig;
  patch(config);
  return monitoringConfigProblems(config);
}

describe("DEFAULT_MONITORING_CONFIG", () => {
  it("scrapes and evaluates every 15 s and holds the documented thresholds", () => {
    expect(DEFAULT_MONITORING_CONFIG).toMatchObject({
      scrapeInterval: "15s",
      evaluationInterval: "15s",
      alerts: {
        targetDown: { for: "5m" },
        serviceDown: { for: "2m" },
        highErrorRatio: { ratio: 0.05, window: "5m", for: "10m" },
        highLatency: { p95Seconds: 0.5, window: "5m", for: "10m" },
        autoscalerAtMaxReplicas: { for: "15m" },
        podRestarting: { restarts: 2, window: "15m", for: "5m" },
      },
      slo: {
        availabilityTarget: 0.999,
        burnRates: {
          fast: { factor: 14.4, longWindow: "1h", shortWindow: "5m", for: "2m" },
          slow: { factor: 6, longWindow: "6h", shortWindow: "30m", for: "15m" },
        },
      },
    });
  });

  it("points the runbooks at a placeholder owner, to be configured", () => {
    expect(DEFAULT_MONITORING_CONFIG.runbookBaseUrl).toBe(
      "https://github.com/OWNER/infer8s/blob/main/README.md",
    );
  });

  it("is valid", () => {
    expect(monitoringConfigProblems(DEFAULT_MONITORING_CONFIG)).toEqual([]);
  });
});

describe("monitoringConfigProblems", () => {
  const cases: [string, (c: any) => unknown, string][] = [
    [
      "an error ratio above 1",
      (c) => (c.alerts.highErrorRatio.ratio = 2),
      "monitoring.alerts.highErrorRatio.ratio: must be a number between 0 and 1 (exclusive), got 2",
    ],
    [
      "an error ratio given as a string",
      (c) => (c.alerts.highErrorRatio.ratio = "5%"),
      'monitoring.alerts.highErrorRatio.ratio: must be a number between 0 and 1 (exclusive), got "5%"',
    ],
    [
      "a negative latency threshold",
      (c) => (c.alerts.highLatency.p95Seconds = -1),
      "monitoring.alerts.highLatency.p95Seconds: must be a positive number, got -1",
    ],
    [
      "a fractional restart count",
      (c) => (c.alerts.podRestarting.restarts = 1.5),
      "monitoring.alerts.podRestarting.restarts: must be an integer from 1 to 1000, got 1.5",
    ],
    [
      "a compound duration",
      (c) => (c.alerts.targetDown.for = "1h30m"),
      'monitoring.alerts.targetDown.for: must be a single-unit Prometheus duration such as "30s", "5m" or "1h", got "1h30m"',
    ],
    [
      "a scrape interval beyond 2 minutes",
      (c) => (c.scrapeInterval = "5m"),
      'monitoring.scrapeInterval: must be from 1s to 120s, got "5m"',
    ],
    [
      "an evaluation interval below a second",
      (c) => (c.evaluationInterval = "500ms"),
      'monitoring.evaluationInterval: must be from 1s to 300s, got "500ms"',
    ],
    [
      "a rate window shorter than four scrapes",
      (c) => (c.alerts.highLatency.window = "30s"),
      'monitoring.alerts.highLatency.window: must be at least 4 × monitoring.scrapeInterval (15s), so a missed scrape still leaves a rate, got "30s"',
    ],
    [
      "an availability target of 100 %",
      (c) => (c.slo.availabilityTarget = 1),
      "monitoring.slo.availabilityTarget: must be a number between 0 and 1 (exclusive), got 1",
    ],
    [
      "a burn-rate factor that could never be reached",
      (c) => (c.slo.burnRates.fast.factor = 1000),
      "monitoring.slo.burnRates.fast.factor: times the error budget (1 - monitoring.slo.availabilityTarget = 0.001) must stay below 1, or the alert could never fire, got 1000",
    ],
    [
      "a short window as long as the long one",
      (c) => (c.slo.burnRates.slow.shortWindow = "6h"),
      'monitoring.slo.burnRates.slow.shortWindow: must be shorter than monitoring.slo.burnRates.slow.longWindow (6h), got "6h"',
    ],
    [
      "a runbook URL with a fragment",
      (c) => (c.runbookBaseUrl = "https://example.com/README.md#runbooks"),
      'monitoring.runbookBaseUrl: must be an absolute http(s) URL without a #fragment, got "https://example.com/README.md#runbooks"',
    ],
    [
      "a relative runbook URL",
      (c) => (c.runbookBaseUrl = "README.md"),
      'monitoring.runbookBaseUrl: must be an absolute http(s) URL without a #fragment, got "README.md"',
    ],
  ];

  it.each(cases)("rejects %s", (_, patch, message) => {
    expect(withConfig(patch)).toEqual([message]);
  });

  it("reports every problem at once", () => {
    expect(
      withConfig((c: any) => {
        c.alerts.highErrorRatio.ratio = 0;
        c.slo.burnRates.fast.for = "soon";
      }),
    ).toHaveLength(2);
  });

  it("checks windows against the configured scrape interval", () => {
    expect(withConfig((c: any) => (c.scrapeInterval = "2m"))).toEqual([
      'monitoring.alerts.highErrorRatio.window: must be at least 4 × monitoring.scrapeInterval (2m), so a missed scrape still leaves a rate, got "5m"',
      'monitoring.alerts.highLatency.window: must be at least 4 × monitoring.scrapeInterval (2m), so a missed scrape still leaves a rate, got "5m"',
      'monitoring.slo.burnRates.fast.shortWindow: must be at least 4 × monitoring.scrapeInterval (2m), so a missed scrape still leaves a rate, got "5m"',
    ]);
  });

  it("names settings under the given path", () => {
    const config = { ...DEFAULT_MONITORING_CONFIG, scrapeInterval: "0s" } as unknown as MonitoringConfig;
    expect(monitoringConfigProblems(config, "config")).toEqual([
      'config.scrapeInterval: must be a single-unit Prometheus duration such as "30s", "5m" or "1h", got "0s"',
    ]);
  });

  it("makes assertMonitoringConfig throw with every problem", () => {
    const config = { ...DEFAULT_MONITORING_CONFIG, runbookBaseUrl: "ftp://x" };
    expect(() => assertMonitoringConfig(config)).toThrow(
      'Invalid monitoring config:\n  - monitoring.runbookBaseUrl: must be an absolute http(s) URL without a #fragment, got "ftp://x"',
    );
    expect(() => assertMonitoringConfig(DEFAULT_MONITORING_CONFIG)).not.toThrow();
  });
});

describe("durations", () => {
  it.each([
    ["500ms", 0.5, "500 milliseconds"],
    ["1s", 1, "1 second"],
    ["15m", 900, "15 minutes"],
    ["1h", 3600, "1 hour"],
    ["2d", 172_800, "2 days"],
  ] as const)("%s is %d seconds, %s", (duration, seconds, words) => {
    expect(durationSeconds(duration)).toBe(seconds);
    expect(durationInWords(duration)).toBe(words);
  });

  it("refuses what Prometheus would read differently", () => {
    expect(() => durationSeconds("1h30m" as "1h")).toThrow('not a single-unit Prometheus duration: "1h30m"');
  });
});
