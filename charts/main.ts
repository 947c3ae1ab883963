/**
 * `npm run synth [-- --outdir DIR] [--settings overrides.json]`: synthesizes the charts into YAML.
 * Without arguments it rewrites the committed `dist/` from `DEFAULT_SETTINGS`.
 */
import { parseArgs } from "node:util";
import { buildApp } from "./app.js";
import { synthesizeInto } from "./output-directory.js";
import { readSettingsOverrides, resolveSettings } from "./settings.js";

const USAGE = `Usage: npm run synth [-- --outdir DIR] [--settings FILE]
Synthesizes the charts into YAML; without options it rewrites the committed dist/ from DEFAULT_SETTINGS.
  --outdir DIR     directory to (re)write (default dist)
  --settings FILE  JSON overrides of charts/settings.ts, validated like the defaults
  -h, --help       this text`;

try {
  const { values } = parseArgs({
    options: {
      outdir: { type: "string", default: "dist" },
      settings: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
    strict: true,
  });
  if (values.help) console.log(USAGE);
  else {
    const settings = resolveSettings(values.settings ? readSettingsOverrides(values.settings) : {});
    synthesizeInto(buildApp(settings, values.outdir).app);
  }
} catch (error) {
  // parseArgs marks command-line mistakes with ERR_PARSE_ARGS_*: exit 2 with a hint, like the other CLIs.
  const usage = String((error as { code?: unknown }).code).startsWith("ERR_PARSE_ARGS");
  console.error(`synth: ${(error as Error).message}${usage ? "\nSee: npm run synth -- --help" : ""}`);
  process.exitCode = usage ? 2 : 1;
}
