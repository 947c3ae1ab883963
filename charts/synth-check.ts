/**
 * `npm run synth:check [DIR]`: fails when the committed `dist/` (or DIR) is not what the charts synthesize
 * now, for every environment and the Argo CD Applications.
 *
 * Synthesizes everything into a temporary directory and compares file names and bytes with `dist/`. On a
 * difference it prints which environments are stale, which files were added, removed or changed, a bounded
 * unified diff, and the fix.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { compareDirectories } from "./dist-diff.js";
import { buildEnvironmentApps } from "./environment-apps.js";
import { ARGOCD_DIRECTORY, DEFAULT_ENVIRONMENT, ENVIRONMENTS } from "./environments.js";

const committed = process.argv[2] ?? "dist";
const fresh = mkdtempSync(join(tmpdir(), "infer8s-synth-"));

/** Which environment (or the Argo CD Applications) a file of the output directory belongs to. */
function ownerOf(file: string): string {
  const [first, ...rest] = file.split("/");
  if (rest.length === 0) return `environment "${DEFAULT_ENVIRONMENT.name}"`;
  if (first === ARGOCD_DIRECTORY) return "the Argo CD Applications";
  return ENVIRONMENTS.some((e) => e.name === first)
    ? `environment "${first}"`
    : `${first}/ (no such environment)`;
}

try {
  for (const app of buildEnvironmentApps(fresh).apps) app.synth();
  const drift = compareDirectories(committed, fresh);
  const differing = [...drift.added, ...drift.removed, ...drift.changed];
  if (differing.length === 0) {
    console.log(
      `synth:check: ${committed}/ matches a fresh synth (${drift.unchanged.length} files, ${ENVIRONMENTS.length} environments)`,
    );
  } else {
    const owners = new Set(differing.map(ownerOf));
    const inOrder = [...ENVIRONMENTS.map((e) => `environment "${e.name}"`), "the Argo CD Applications"];
    const stale = [
      ...inOrder.filter((o) => owners.has(o)),
      ...[...owners].filter((o) => !inOrder.includes(o)),
    ];
    const lines = [
      `synth:check: ${committed}/ differs from a fresh synth of charts/.`,
      `  stale: ${stale.join(", ")}`,
      ...drift.added.map((f) => `  missing from ${committed}/ (synth creates it): ${f}`),
      ...drift.removed.map((f) => `  stale in ${committed}/ (synth no longer creates it): ${f}`),
      ...drift.changed.map((f) => `  changed: ${f}`),
    ];
    console.error(lines.join("\n"));
    const diff = spawnSync("diff", ["-ruN", committed, fresh], { encoding: "utf8" });
    if (diff.stdout) {
      const diffLines = diff.stdout.split("\n");
      console.error(diffLines.slice(0, 200).join("\n"));
      if (diffLines.length > 200) console.error(`  ... ${diffLines.length - 200} more diff lines`);
    }
    console.error("Fix: run `npm run synth` and commit dist/ with the chart change.");
    process.exitCode = 1;
  }
} catch (error) {
  console.error(`synth:check: ${(error as Error).message}`);
  process.exitCode = 1;
} finally {
  rmSync(fresh, { recursive: true, force: true });
}
