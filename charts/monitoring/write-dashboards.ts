/**
 * `npm run dashboards [-- --check]`: writes `dashboards/*.json` from the typed dashboards, for importing
 * into a Grafana we do not deploy. With `--check` it writes nothing and fails when the files differ.
 *
 * Synth does not read these files: the Grafana ConfigMaps embed the same rendering directly, so `dist/`
 * can never lag behind the code. `test/monitoring/dashboards.test.ts` fails when these files do.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { parseArgs } from "node:util";
import { buildApp } from "../app.js";
import { logsShown, resolveSettings } from "../settings.js";
import { dashboardsFor, renderDashboard } from "./mixin/dashboards/dashboards.js";
import { monitoredService } from "./monitored-service.js";

/** Where the dashboard files live, relative to the repository root. */
export const DASHBOARDS_DIR = "dashboards";

/** File name → JSON text of every dashboard, rendered for the default settings (the committed dist/). */
export function renderedDashboardFiles(): Map<string, string> {
  // The outdir is only used by synth(), which is never called here.
  const settings = resolveSettings();
  const { inference } = buildApp(settings, join(tmpdir(), "infer8s-dashboards-unused"));
  const service = monitoredService(inference.service, inference.autoscaler);
  const dashboards = dashboardsFor(service, { logs: logsShown(settings.monitoring) });
  return new Map(dashboards.map((d) => [d.fileName, renderDashboard(d.dashboard)]));
}

/** Files to write, rewrite or delete so that `dir` holds exactly `files`. */
export function dashboardDrift(dir: string, files: ReadonlyMap<string, string>): string[] {
  const present = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith(".json")) : [];
  const stale = present.filter((f) => !files.has(f)).map((f) => `stale: ${f}`);
  const changed = [...files]
    .filter(([name, text]) => !present.includes(name) || readFileSync(join(dir, name), "utf8") !== text)
    .map(([name]) => `${present.includes(name) ? "changed" : "missing"}: ${name}`);
  return [...changed, ...stale];
}

function main(): void {
  const { values } = parseArgs({ options: { check: { type: "boolean", default: false } }, strict: true });
  const files = renderedDashboardFiles();
  const drift = dashboardDrift(DASHBOARDS_DIR, files);
  if (values.check) {
    if (drift.length === 0) {
      console.log(`dashboards: ${DASHBOARDS_DIR}/ matches the typed dashboards (${files.size} files)`);
      return;
    }
    console.error(
      `dashboards: ${DASHBOARDS_DIR}/ differs from the typed dashboards:\n  ${drift.join("\n  ")}`,
    );
    console.error("Fix: run `npm run dashboards` and commit dashboards/ with the change.");
    process.exitCode = 1;
    return;
  }
  mkdirSync(DASHBOARDS_DIR, { recursive: true });
  for (const name of readdirSync(DASHBOARDS_DIR).filter((f) => f.endsWith(".json") && !files.has(f))) {
    rmSync(join(DASHBOARDS_DIR, name));
  }
  for (const [name, text] of files) writeFileSync(join(DASHBOARDS_DIR, name), text);
  console.log(`dashboards: wrote ${[...files.keys()].join(", ")} to ${DASHBOARDS_DIR}/`);
}

if (process.argv[1] && import.meta.url === new URL(process.argv[1], "file://").href) main();
