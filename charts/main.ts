/**
 * `npm run synth [-- --outdir DIR] [-- --settings overrides.json]`: synthesizes the charts into YAML.
 * Without arguments it writes the committed `dist/` from `DEFAULT_SETTINGS`.
 */
import { rmSync } from "node:fs";
import { parseArgs } from "node:util";
import { buildApp } from "./app.js";
import { readSettingsOverrides, resolveSettings } from "./settings.js";

const { values } = parseArgs({
  options: { outdir: { type: "string", default: "dist" }, settings: { type: "string" } },
  strict: true,
});
const settings = resolveSettings(values.settings ? readSettingsOverrides(values.settings) : {});
// A chart that disappears must take its file with it.
rmSync(values.outdir, { recursive: true, force: true });
buildApp(settings, values.outdir).app.synth();
