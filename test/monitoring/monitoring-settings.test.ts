import { describe, expect, it } from "vitest";
import { DEFAULT_MONITORING_CONFIG } from "../../charts/monitoring/mixin/config.js";
import { resolveSettings, type SettingsOverrides } from "../../charts/settings.js";

function errorOf(overrides: SettingsOverrides): string {
  try {
    resolveSettings(overrides);
  } catch (error) {
    return (error as Error).message;
  }
  return "no error";
}

describe("Prometheus settings", () => {
  it("default to 15 days of retention in an emptyDir", () => {
    expect(resolveSettings().monitoring).toMatchObject({
      prometheusRetention: "15d",
      prometheusStorageSize: undefined,
      prometheusStorageClassName: undefined,
    });
  });

  it("accept a retention, a claim size and a StorageClass", () => {
    const settings = resolveSettings({
      monitoring: {
        prometheusRetention: "30d",
        prometheusStorageSize: "50Gi",
        prometheusStorageClassName: "fast.ssd",
      },
    });
    expect(settings.monitoring.prometheusStorageSize).toBe("50Gi");
  });

  it("reject a retention Prometheus would not parse", () => {
    expect(errorOf({ monitoring: { prometheusRetention: "2 weeks" } })).toBe(
      'Invalid settings:\n  - monitoring.prometheusRetention: must be a Prometheus duration such as "15d" or "12h", got "2 weeks"',
    );
  });

  it("reject a claim size that is not a binary quantity", () => {
    expect(errorOf({ monitoring: { prometheusStorageSize: "50GB" } })).toBe(
      'Invalid settings:\n  - monitoring.prometheusStorageSize: must be a storage quantity in Ki, Mi, Gi or Ti such as "20Gi", got "50GB"',
    );
  });

  it("reject a StorageClass without a claim size", () => {
    expect(errorOf({ monitoring: { prometheusStorageClassName: "fast" } })).toBe(
      'Invalid settings:\n  - monitoring.prometheusStorageClassName: needs monitoring.prometheusStorageSize to be set, got "fast"',
    );
  });
});

describe("monitoring config settings", () => {
  it("default to the mixin's DEFAULT_MONITORING_CONFIG", () => {
    expect(resolveSettings().monitoring).toMatchObject(DEFAULT_MONITORING_CONFIG);
  });

  it("merge a partial override at any depth, keeping the other defaults", () => {
    const { monitoring } = resolveSettings({
      monitoring: {
        scrapeInterval: "30s",
        alerts: { highErrorRatio: { ratio: 0.02 } },
        slo: { burnRates: { fast: { factor: 10 } } },
      },
    });
    expect(monitoring.scrapeInterval).toBe("30s");
    expect(monitoring.evaluationInterval).toBe("15s");
    expect(monitoring.alerts).toEqual({
      ...DEFAULT_MONITORING_CONFIG.alerts,
      highErrorRatio: { ratio: 0.02, window: "5m", for: "10m" },
    });
    expect(monitoring.slo).toEqual({
      availabilityTarget: 0.999,
      burnRates: {
        fast: { ...DEFAULT_MONITORING_CONFIG.slo.burnRates.fast, factor: 10 },
        slow: DEFAULT_MONITORING_CONFIG.slo.burnRates.slow,
      },
    });
    expect(DEFAULT_MONITORING_CONFIG.alerts.highErrorRatio.ratio).toBe(0.05);
  });

  it("reject a threshold out of range, naming the setting", () => {
    expect(errorOf({ monitoring: { alerts: { highErrorRatio: { ratio: 2 } } } })).toBe(
      "Invalid settings:\n  - monitoring.alerts.highErrorRatio.ratio: must be a number between 0 and 1 (exclusive), got 2",
    );
  });

  it("reject a scrape interval Prometheus would not parse, and the windows it makes too short", () => {
    expect(errorOf({ monitoring: { scrapeInterval: "15 s" as "15s" } })).toBe(
      'Invalid settings:\n  - monitoring.scrapeInterval: must be a single-unit Prometheus duration such as "30s", "5m" or "1h", got "15 s"',
    );
    expect(errorOf({ monitoring: { scrapeInterval: "90s" } })).toContain(
      'monitoring.alerts.highErrorRatio.window: must be at least 4 × monitoring.scrapeInterval (90s), so a missed scrape still leaves a rate, got "5m"',
    );
  });

  it("reject a misspelt threshold and a number where an alert's settings belong", () => {
    expect(errorOf({ monitoring: { alerts: { highErrorRatio: { threshold: 0.1 } as never } } })).toBe(
      "Invalid settings:\n  - monitoring.alerts.highErrorRatio.threshold: unknown setting",
    );
    expect(errorOf({ monitoring: { alerts: { highErrorRatio: 0.1 as never } } })).toBe(
      "Invalid settings:\n  - monitoring.alerts.highErrorRatio: must be an object, got 0.1",
    );
  });

  it("reject a runbook base URL that is not an absolute http(s) URL", () => {
    expect(errorOf({ monitoring: { runbookBaseUrl: "README.md" } })).toBe(
      'Invalid settings:\n  - monitoring.runbookBaseUrl: must be an absolute http(s) URL without a #fragment, got "README.md"',
    );
  });
});
