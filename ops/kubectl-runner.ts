/**
 * Runs `KubectlStep`s one after another, printing each command before it runs, so every operation
 * teaches the kubectl command behind it. In dry-run mode it only prints.
 */
import { spawn } from "node:child_process";
import { formatStep, type KubectlStep } from "./cluster-commands.js";

export interface RunOptions {
  /** Print the commands without running them. */
  readonly dryRun: boolean;
  /** Where command lines and messages go. @default console.log */
  readonly print?: (line: string) => void;
}

/**
 * Runs `steps` in order and stops at the first failure.
 *
 * @returns the exit code of the last command run (0 in dry-run mode); an accepted non-zero code (such
 *   as 1 from `kubectl diff`) is returned but does not stop the sequence.
 */
export async function runKubectl(steps: readonly KubectlStep[], options: RunOptions): Promise<number> {
  const print = options.print ?? ((line: string) => console.log(line));
  let exitCode = 0;
  for (const step of steps) {
    print(`$ ${formatStep(step)}`);
    if (options.dryRun) continue;
    exitCode = await runOne(step);
    if (exitCode !== 0 && !(step.acceptedExitCodes ?? []).includes(exitCode)) {
      print(`kubectl exited with code ${exitCode}`);
      return exitCode;
    }
  }
  return exitCode;
}

/** What a captured kubectl run printed. */
export interface CapturedRun {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs one step and returns its output instead of showing it, for the answers ops acts on (kubectl's
 * version, whether an object exists). Printed first like every other command unless `quiet`.
 */
export async function captureKubectl(
  step: KubectlStep,
  options: { print?: (line: string) => void; quiet?: boolean } = {},
): Promise<CapturedRun> {
  if (options.quiet !== true)
    (options.print ?? ((line: string) => console.log(line)))(`$ ${formatStep(step)}`);
  return new Promise((resolve) => {
    const child = spawn("kubectl", step.args, {
      env: { ...process.env, ...step.env },
      stdio: [step.stdin === undefined ? "ignore" : "pipe", "pipe", "pipe"],
    });
    // kubectl may exit before reading all of stdin (e.g. a flag it rejects): its exit code tells why.
    child.stdin?.on("error", () => {});
    child.stdin?.end(step.stdin);
    let stdout = "";
    let stderr = "";
    child.stdout?.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.once("error", (error: NodeJS.ErrnoException) =>
      resolve({ exitCode: 127, stdout, stderr: cannotRun(error) }),
    );
    child.once("close", (code) => resolve({ exitCode: code ?? 1, stdout, stderr }));
  });
}

function cannotRun(error: NodeJS.ErrnoException): string {
  return error.code === "ENOENT"
    ? "kubectl is not on PATH. Install it: https://kubernetes.io/docs/tasks/tools/"
    : `Cannot run kubectl: ${error.message}`;
}

function runOne(step: KubectlStep): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn("kubectl", step.args, {
      env: { ...process.env, ...step.env },
      stdio: [step.stdin === undefined ? "inherit" : "pipe", "inherit", "inherit"],
    });
    // kubectl may exit before reading all of stdin (e.g. a flag it rejects): its exit code tells why.
    child.stdin?.on("error", () => {});
    child.stdin?.end(step.stdin);
    // Ctrl-C reaches kubectl too (same process group); wait for it to exit and report its code.
    const ignoreInterrupt = (): void => {};
    process.on("SIGINT", ignoreInterrupt);
    const done = (code: number): void => {
      process.off("SIGINT", ignoreInterrupt);
      resolve(code);
    };
    child.once("error", (error: NodeJS.ErrnoException) => {
      console.error(cannotRun(error));
      done(127);
    });
    child.once("exit", (code, signal) => done(code ?? (signal === "SIGINT" ? 130 : 1)));
  });
}
