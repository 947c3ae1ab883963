import { describe, expect, it } from "vitest";
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
