/**
 * `dashboards/*.json` are written by `npm run dashboards` from the typed dashboards; synth embeds the same
 * rendering in the Grafana ConfigMaps. This test fails when either drifts from the code.
 */
import { readFileSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import {
  DASHBOARDS_DIR,
  dashboardDrift,
  renderedDashboardFiles,
} from "../../charts/monitoring/write-dashboards.js";
import { loadManifestDir } from "../support/k8s-checks.js";
import { tempDir } from "./fixtures.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const dir = join(ROOT, DASHBOARDS_DIR);
const files = renderedDashboardFiles();

describe("dashboards/", () => {
  it("holds exactly the typed dashboards, byte for byte (fix: npm run dashboards)", () => {
    expect(dashboardDrift(dir, files)).toEqual([]);
    expect(
      readdirSync(dir)
        .filter((f) => f.endsWith(".json"))
        .sort(),
    ).toEqual([...files.keys()].sort());
  });

  it("holds what the committed dist/ embeds in Grafana's dashboards ConfigMap", () => {
    const configMap = loadManifestDir(join(ROOT, "dist"))
      .map((l) => l.object)
      .find((o) => o.kind === "ConfigMap" && o.metadata.name === "grafana-dashboards");
    const data = (configMap?.data ?? {}) as Record<string, string>;
    expect(Object.keys(data).sort()).toEqual([...files.keys()].sort());
    for (const name of files.keys()) expect(data[name], name).toBe(readFileSync(join(dir, name), "utf8"));
  });

  it("reports a changed, a missing and a stale file (the drift check can fail)", () => {
    const empty = tempDir("dashboards");
    expect(dashboardDrift(empty, files)).toEqual([...files.keys()].map((f) => `missing: ${f}`));
    rmSync(empty, { recursive: true, force: true });
    expect(dashboardDrift(dir, new Map([["other.json", "{}\n"]]))).toEqual([
      "missing: other.json",
      ...[...files.keys()].map((f) => `stale: ${f}`),
    ]);
    const [first] = files.keys();
    expect(dashboardDrift(dir, new Map([[first!, "{}\n"]]))).toEqual([`changed: ${first}`]);
  });

  it("are valid JSON dashboards with a uid", () => {
    for (const [name, text] of files) {
      const dashboard = JSON.parse(text) as { uid?: string; panels?: unknown[] };
      expect(dashboard.uid, name).toMatch(/^[a-z0-9-]+$/);
      expect(dashboard.panels?.length, name).toBeGreaterThan(10);
    }
  });
});
