/**
 * `npm run synth:check`: fails when the committed `dist/` is not what the charts synthesize now.
 *
 * Synthesizes into a temporary directory and compares file names and bytes with `dist/`. On a difference
 * it prints which files were added, removed or changed, a bounded unified diff, and the fix.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildApp } from "./app.js";
import { compareDirectories } from "./dist-diff.js";
import { resolveSettings } from "./settings.js";

const committed = process.argv[2] ?? "dist";
const fresh = mkdtempSync(join(tmpdir(), "infer8s-synth-"));
try {
  buildApp(resolveSettings(), fresh).app.synth();
  const drift = compareDirectories(committed, fresh);
  if (drift.added.length + drift.removed.length + drift.changed.length === 0) {
    console.log(`synth:check: ${committed}/ matches a fresh synth (${drift.unchanged.length} files)`);
  } else {
    const lines = [
      `synth:check: ${committed}/ differs from a fresh synth of charts/.`,
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
} finally {
  rmSync(fresh, { recursive: true, force: true });
}
