import { App, YamlOutputType } from "cdk8s";
import { join } from "node:path";
import { buildApp } from "./app.js";
import {
  ARGOCD_DIRECTORY,
  ENVIRONMENTS,
  environmentDirectory,
  repositoryPath,
  resolveEnvironments,
  type Environment,
  type ResolvedEnvironment,
} from "./environments.js";
import { GitOpsChart } from "./gitops-chart.js";

/** Everything `npm run synth` writes into one output directory. */
export interface EnvironmentApps {
  /** One cdk8s App per environment, each with its own output directory. */
  readonly environments: readonly (ResolvedEnvironment & { readonly app: App })[];
  /** The Argo CD Applications (`<outdir>/argocd`); undefined when no environment sets gitops.repositoryUrl. */
  readonly argocd: App | undefined;
  /** Every App above, in writing order. */
  readonly apps: readonly App[];
}

/**
 * Builds the apps of every environment into `outdir`: the default at its top, the others in
 * `<outdir>/<name>/`, Argo CD Applications in `<outdir>/argocd/`.
 *
 * @throws Error naming each environment and setting that is invalid (see `resolveEnvironments`)
 * @example
 *   synthesizeAllInto(buildEnvironmentApps("dist"), "dist");
 */
export function buildEnvironmentApps(
  outdir: string,
  environments: readonly Environment[] = ENVIRONMENTS,
): EnvironmentApps {
  const resolved = resolveEnvironments(environments).map((r) => ({
    ...r,
    app: buildApp(r.settings, join(outdir, environmentDirectory(r.environment))).app,
  }));
  const withRepository = resolved.filter((r) => r.settings.gitops.repositoryUrl !== undefined);
  let argocd: App | undefined;
  if (withRepository.length > 0) {
    argocd = new App({
      outdir: join(outdir, ARGOCD_DIRECTORY),
      yamlOutputType: YamlOutputType.FILE_PER_CHART,
      recordConstructMetadata: false,
    });
    for (const { environment, settings } of withRepository) {
      new GitOpsChart(argocd, environment.name, { settings, path: repositoryPath(environment) });
    }
  }
  const apps = [...resolved.map((r) => r.app), ...(argocd ? [argocd] : [])];
  return { environments: resolved, argocd, apps };
}
