import { execFile, spawn, type ChildProcess } from "node:child_process";
import { accessSync, constants } from "node:fs";
import { delimiter, join } from "node:path";
import { describe, it } from "vitest";

/** Set by `.ci/run`: without it a missing Prometheus skips these tests, with it their absence fails. */
export const REQUIRE_PROMETHEUS_ENV = "INFER8S_REQUIRE_PROMETHEUS";

/** Absolute path of an executable on the PATH, or undefined. */
export function findOnPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    if (dir === "") continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

/** The binaries of Debian's `prometheus` package, when installed. */
export const prometheusTools = {
  promtool: findOnPath("promtool"),
  prometheus: findOnPath("prometheus"),
};

/**
 * `describe` for tests that need real Prometheus binaries. When one is missing the suite is skipped with
 * the reason in its name — unless `INFER8S_REQUIRE_PROMETHEUS=1`, where a single failing test says what is
 * missing, so CI can never pass by skipping.
 */
export function describeWithPrometheus(
  name: string,
  needs: readonly (keyof typeof prometheusTools)[],
  body: (tools: { promtool: string; prometheus: string }) => void,
): void {
  const missing = needs.filter((tool) => prometheusTools[tool] === undefined);
  if (missing.length === 0) {
    describe(name, () => body(prometheusTools as { promtool: string; prometheus: string }));
    return;
  }
  const reason = `${missing.join(" and ")} not on PATH (apt-get install prometheus)`;
  if (process.env[REQUIRE_PROMETHEUS_ENV] === "1") {
    describe(name, () => {
      it(`needs ${missing.join(" and ")}`, () => {
        throw new Error(`${reason}, and ${REQUIRE_PROMETHEUS_ENV}=1 requires it`);
      });
    });
    return;
  }
  console.warn(`[monitoring] skipping "${name}": ${reason}; set ${REQUIRE_PROMETHEUS_ENV}=1 to fail instead`);
  describe.skip(`${name} — skipped: ${reason}`, () => body({ promtool: "", prometheus: "" }));
}

/** Result of running a command to completion. */
export interface CommandResult {
  readonly code: number;
  readonly output: string;
}

/** Runs a command and collects its exit code and combined output; never rejects on a non-zero exit. */
export function run(file: string, args: readonly string[], cwd?: string): Promise<CommandResult> {
  return new Promise((resolve) => {
    execFile(file, args, { cwd, timeout: 60_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
      resolve({ code, output: `${stdout}${stderr}` });
    });
  });
}

/** A long-running child process (a server, Prometheus) with the tail of its output kept for failure messages. */
export function startWithOutput(
  command: string,
  args: readonly string[],
  options: { readonly cwd?: string; readonly env?: NodeJS.ProcessEnv } = {},
): { child: ChildProcess; output: () => string } {
  let output = "";
  const child = spawn(command, args, { ...options, stdio: ["ignore", "pipe", "pipe"] });
  child.stdout?.on("data", (chunk: Buffer) => (output = (output + chunk.toString()).slice(-20_000)));
  child.stderr?.on("data", (chunk: Buffer) => (output = (output + chunk.toString()).slice(-20_000)));
  return { child, output: () => output };
}
