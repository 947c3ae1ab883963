/**
 * `npm run synth [-- --outdir DIR] [--settings overrides.json]`: synthesizes the charts into YAML.
 *
 * Without `--settings` it writes every environment of `charts/environments.ts` into `--outdir` (default
 * `dist`): the default environment at the top, each other one in `<outdir>/<environment>/`, and Argo CD
 * Applications in `<outdir>/argocd/` when `gitops.repositoryUrl` is set. With `--settings` it writes the one
 * profile those overrides describe into `--outdir`, and nothing else.
 */
import { parseArgs } from "node:util";

const USAGE = `Usage: npm run synth [-- --outdir DIR] [--settings overrides.json]

  (no --settings)      write every environment into DIR (default dist): the default environment's
                       files at the top, the others in DIR/<environment>/, Argo CD Applications in
                       DIR/argocd/ when gitops.repositoryUrl is set (charts/environments.ts)
  --settings FILE      write only the profile of these JSON overrides of DEFAULT_SETTINGS into DIR
  --outdir DIR         output directory; synth replaces the *.k8s.yaml files in it and refuses to
                       touch a directory holding other files
  -h, --help           print this help`;

try {
  const { values } = parseArgs({
    options: {
      outdir: { type: "string", default: "dist" },
      settings: { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
    strict: true,
  });
  if (values.help) console.log(USAGE);
  else await synthesize(values.outdir, values.settings);
} catch (error) {
  // parseArgs marks command-line mistakes with ERR_PARSE_ARGS_*: exit 2 with a hint, like the other CLIs.
  const usage = String((error as { code?: unknown }).code).startsWith("ERR_PARSE_ARGS");
  console.error(`synth: ${(error as Error).message}${usage ? "\nSee: npm run synth -- --help" : ""}`);
  process.exitCode = usage ? 2 : 1;
}

/** Loads the charts (cdk8s-plus, every construct) only here, so --help and a mistake answer at once. */
async function synthesize(outdir: string, settingsFile: string | undefined): Promise<void> {
  const [
    { buildApp },
    { buildEnvironmentApps },
    { synthesizeAllInto },
    { readSettingsOverrides, resolveSettings },
  ] = await Promise.all([
    import("./app.js"),
    import("./environment-apps.js"),
    import("./output-directory.js"),
    import("./settings.js"),
  ]);
  if (settingsFile !== undefined) {
    const settings = resolveSettings(readSettingsOverrides(settingsFile));
    synthesizeAllInto([buildApp(settings, outdir).app], outdir);
  } else {
    synthesizeAllInto(buildEnvironmentApps(outdir).apps, outdir);
  }
}
