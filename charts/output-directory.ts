import type { App } from "cdk8s";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { listFiles } from "./dist-diff.js";

/**
 * Empties a synth output directory so a chart that disappears takes its file with it. Refuses when the
 * directory holds anything but synthesized `*.k8s.yaml` files, so `--outdir .` cannot delete a checkout.
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
}

/**
 * Writes `app` into its output directory, replacing what a previous synth wrote there. The app is rendered
 * and its construct validations run first, so an app that fails them leaves the directory as it was.
 */
export function synthesizeInto(app: App): void {
  app.synthYaml();
  clearOutputDirectory(app.outdir);
  app.synth();
}
