import { join } from "node:path";
import { ENVIRONMENTS, environmentDirectory, type Environment } from "../../charts/environments.js";

/** One environment's directory of the committed `dist/`. */
export interface EnvironmentDir {
  readonly name: string;
  /** `dist` for the default environment, `dist/<name>` for the others. */
  readonly dir: string;
  readonly environment: Environment;
}

/** Every environment's directory under `root` (default the committed `dist`), the default first. */
export function environmentDirs(root = "dist"): EnvironmentDir[] {
  return ENVIRONMENTS.map((environment) => ({
    name: environment.name,
    dir: join(root, environmentDirectory(environment)),
    environment,
  }));
}

/**
 * What an output directory holds after a synth without gitops: the default environment's files at the top
 * and one subdirectory per other environment, sorted as `readdirSync(...).sort()` returns them.
 */
export const OUTPUT_DIRECTORY_LISTING: readonly string[] = [
  "0000-namespaces.k8s.yaml",
  "0001-inference.k8s.yaml",
  "0002-monitoring.k8s.yaml",
  "development",
  "production",
  "staging",
];
