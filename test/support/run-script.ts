import { spawn } from "node:child_process";

/** What a finished script printed and how it exited. */
export interface ScriptRun {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs a TypeScript entry point as users do (`node --import tsx <file>`), without a shell or npm, and
 * collects its output.
 *
 * @example const { status, stdout } = await runScript("ops/main.ts", ["--help"], { cwd: root });
 */
export function runScript(
  file: string,
  args: readonly string[],
  options: { readonly cwd: string; readonly env?: NodeJS.ProcessEnv },
): Promise<ScriptRun> {
  const child = spawn(process.execPath, ["--import", "tsx", file, ...args], {
    cwd: options.cwd,
    ...(options.env ? { env: options.env } : {}),
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve) => child.once("close", (status) => resolve({ status, stdout, stderr })));
}
