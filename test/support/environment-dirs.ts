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
