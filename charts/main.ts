/**
 * `npm run synth [-- --outdir DIR] [--settings overrides.json]`: synthesizes the charts into YAML.
 * Without arguments it rewrites the committed `dist/` from `DEFAULT_SETTINGS`.
 */
import { parseArgs } from "node:util";
import { buildApp } from "./app.js";
import { synthesizeInto } from "./output-directory.js";
import { readSettingsOverrides, resolveSettings } from "./settings.js";

try {
  const { values } = parseArgs({
    options: { outdir: { type: "string", default: "dist" }, settings: { type: "string" } },
    strict: true,
  });
  const settings = resolveSettings(values.settings ? readSettingsOverrides(values.settings) : {});
  synthesizeInto(buildApp(settings, values.outdir).app);
} catch (error) {
  console.error(`synth: ${(error as Error).message}`);
  process.exitCode = 1;
}
