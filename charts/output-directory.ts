import type { App } from "cdk8s";
import { existsSync, readdirSync, rmdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { listFiles } from "./dist-diff.js";

/**
 * Empties a synth output directory, subdirectories included (environments, Argo CD Applications), so a
 * chart or environment that disappears takes its files with it. Refuses when the directory holds anything
 * but synthesized `*.k8s.yaml` files, at any depth, so `--outdir .` cannot delete a checkout.
 */
export function clearOutputDirectory(outdir: string): void {
  const files = listFiles(outdir);
  const foreign = files.filter((file) => !file.endsWith(".k8s.yaml"));
  if (foreign.length > 0) {
    throw new Error(
      `refusing to clear ${outdir}: it holds files that synth did not write (${foreign.slice(0, 3).join(", ")}${foreign.length > 3 ? ", ..." : ""})`,
    );
  }
  for (const file of files) rmSync(join(outdir, file));
  removeEmptyDirectories(outdir);
}

/** Removes the directories under `root` that are now empty, deepest first; `root` itself stays. */
function removeEmptyDirectories(root: string): void {
  if (!existsSync(root)) return;
  const directories = readdirSync(root, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => join(entry.parentPath, entry.name))
    .sort((a, b) => b.length - a.length);
  for (const directory of directories) {
    if (readdirSync(directory).length === 0) rmdirSync(directory);
  }
}

/**
 * Writes `app` into its output directory, replacing what a previous synth wrote there. The app is rendered
 * and its construct validations run first, so an app that fails them leaves the directory as it was.
 */
export function synthesizeInto(app: App): void {
  synthesizeAllInto([app], app.outdir);
}

/**
 * Writes several apps whose output directories lie in `outdir` (environments in subdirectories), replacing
 * everything a previous synth wrote there. All apps are validated before anything is removed.
 */
export function synthesizeAllInto(apps: readonly App[], outdir: string): void {
  for (const app of apps) app.synthYaml();
  clearOutputDirectory(outdir);
  for (const app of apps) app.synth();
}
