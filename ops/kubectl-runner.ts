/**
 * Runs `KubectlStep`s one after another, printing each command before it runs, so every operation
 * teaches the kubectl command behind it. In dry-run mode it only prints.
 */
import { spawn } from "node:child_process";
import { formatCommand, type KubectlStep } from "./cluster-commands.js";

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
    print(`$ ${formatCommand(["kubectl", ...step.args])}`);
    if (options.dryRun) continue;
    exitCode = await runOne(step.args);
    if (exitCode !== 0 && !(step.acceptedExitCodes ?? []).includes(exitCode)) {
      print(`kubectl exited with code ${exitCode}`);
      return exitCode;
    }
  }
  return exitCode;
}

function runOne(args: readonly string[]): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn("kubectl", args, { stdio: "inherit" });
    // Ctrl-C reaches kubectl too (same process group); wait for it to exit and report its code.
    const ignoreInterrupt = (): void => {};
    process.on("SIGINT", ignoreInterrupt);
    const done = (code: number): void => {
      process.off("SIGINT", ignoreInterrupt);
      resolve(code);
    };
    child.once("error", (error: NodeJS.ErrnoException) => {
      console.error(
        error.code === "ENOENT"
          ? "kubectl is not on PATH. Install it: https://kubernetes.io/docs/tasks/tools/"
          : `Cannot run kubectl: ${error.message}`,
      );
      done(127);
    });
    child.once("exit", (code, signal) => done(code ?? (signal === "SIGINT" ? 130 : 1)));
  });
}
