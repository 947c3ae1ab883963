import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { patched } from "../../../test/support/patched.js";
import {
  assertMonitoringConfig,
  DEFAULT_MONITORING_CONFIG,
  durationInWords,
  durationSeconds,
  monitoringConfigProblems,
  type BurnRateConfig,
  type MonitoringConfig,
} from "./config.js";

/** The problems of the default config with `changes` (dotted paths) applied. */
function problemsWith(changes: Record<string, unknown>): string[] {
  return monitoringConfigProblems(patched(DEFAULT_MONITORING_CONFIG, changes));
}

/**
 * The `@default` each field's doc comment in config.ts states, by field name: parsed where it is a value
 * (`"15s"`, `{ for: "5m" }`), as written where it is prose.
 */
function documentedDefaults(): Record<string, unknown> {
  const source = readFileSync(fileURLToPath(new URL("./config.ts", import.meta.url)), "utf8");
  const documented: Record<string, unknown> = {};
  for (const [, doc, field] of source.matchAll(/\/\*\*((?:(?!\*\/)[^])*)\*\/\s*readonly (\w+):/g)) {
    const stated = /@default (.*?)\s*(?:\*\/|\n|$)/.exec(doc as string)?.[1];
    if (stated === undefined) continue;
    try {
      documented[field as string] = JSON.parse(stated.replace(/([{,]\s*)(\w+):/g, '$1"$2":'));
    } catch {
      documented[field as string] = stated;
    }
  }
  return documented;
}

describe("DEFAULT_MONITORING_CONFIG", () => {
  it("holds the defaults its doc comments state", () => {
    const { alerts, slo, ...intervalsAndRunbooks } = DEFAULT_MONITORING_CONFIG;
    const { fast, slow } = slo.burnRates;
    const inWords = (b: BurnRateConfig) =>
      `${b.factor}x over ${b.longWindow} and ${b.shortWindow} for ${b.for}`;
    expect(documentedDefaults()).toEqual({
      ...alerts,
      availabilityTarget: slo.availabilityTarget,
      burnRates: `fast: ${inWords(fast)}; slow: ${inWords(slow)}`,
      ...intervalsAndRunbooks,
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
  // [setting, wrong value, the problem after "monitoring.<setting>: "]
  const cases: [string, unknown, string][] = [
    ["alerts.highErrorRatio.ratio", 2, "must be a number between 0 and 1 (exclusive), got 2"],
    ["alerts.highErrorRatio.ratio", "5%", 'must be a number between 0 and 1 (exclusive), got "5%"'],
    ["alerts.highLatency.p95Seconds", -1, "must be a positive number, got -1"],
    ["alerts.podRestarting.restarts", 1.5, "must be an integer from 1 to 1000, got 1.5"],
    [
      "alerts.targetDown.for",
      "1h30m",
      'must be a single-unit Prometheus duration such as "30s", "5m" or "1h", got "1h30m"',
    ],
    ["scrapeInterval", "5m", 'must be from 1s to 120s, got "5m"'],
    ["evaluationInterval", "500ms", 'must be from 1s to 300s, got "500ms"'],
    [
      "alerts.highLatency.window",
      "30s",
      'must be at least 4 × monitoring.scrapeInterval (15s), so a missed scrape still leaves a rate, got "30s"',
    ],
    ["slo.availabilityTarget", 1, "must be a number between 0 and 1 (exclusive), got 1"],
    [
      "slo.burnRates.fast.factor",
      1000,
      "times the error budget (1 - monitoring.slo.availabilityTarget = 0.001) must stay below 1, or the alert could never fire, got 1000",
    ],
    [
      "slo.burnRates.slow.shortWindow",
      "6h",
      'must be shorter than monitoring.slo.burnRates.slow.longWindow (6h), got "6h"',
    ],
    [
      "runbookBaseUrl",
      "https://example.com/README.md#runbooks",
      'must be an absolute http(s) URL without a #fragment, got "https://example.com/README.md#runbooks"',
    ],
    ["runbookBaseUrl", "README.md", 'must be an absolute http(s) URL without a #fragment, got "README.md"'],
  ];

  it.each(cases)("rejects %s = %j", (setting, value, problem) => {
    expect(problemsWith({ [setting]: value })).toEqual([`monitoring.${setting}: ${problem}`]);
  });

  it("reports every problem at once", () => {
    expect(problemsWith({ "alerts.highErrorRatio.ratio": 0, "slo.burnRates.fast.for": "soon" })).toHaveLength(
      2,
    );
  });

  it("checks windows against the configured scrape interval", () => {
    expect(problemsWith({ scrapeInterval: "2m" })).toEqual([
      'monitoring.alerts.highErrorRatio.window: must be at least 4 × monitoring.scrapeInterval (2m), so a missed scrape still leaves a rate, got "5m"',
      'monitoring.alerts.highLatency.window: must be at least 4 × monitoring.scrapeInterval (2m), so a missed scrape still leaves a rate, got "5m"',
      'monitoring.alerts.unauthorizedBurst.window: must be at least 4 × monitoring.scrapeInterval (2m), so a missed scrape still leaves a rate, got "5m"',
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
