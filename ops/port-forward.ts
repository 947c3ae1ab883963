/**
 * `kubectl port-forward service/...` picks one pod when it starts and dies with that pod (a rollout, an
 * eviction, a scale-down), leaving the local port closed. `keepForwarding` runs it again whenever it exits
 * without being asked to, so `kubectl` picks a pod that exists now, and says so on stderr; Ctrl-C or SIGTERM
 * stops it cleanly.
 */
import { spawn } from "node:child_process";
import type { KubectlStep } from "./cluster-commands.js";

export interface ForwardLoopOptions {
  /** Where restart notices go. @default console.error */
  readonly warn?: (line: string) => void;
  /** Pause before the first restart; doubled after each quick failure, back to this after a good run. */
  readonly initialDelayMs?: number;
  /** Longest pause between restarts. */
  readonly maxDelayMs?: number;
  /** A forward that served at least this long counts as good: the next restart is immediate-ish again. */
  readonly healthyAfterMs?: number;
  /** Give up (exit 1) when no forward has lasted `healthyAfterMs` for this long, e.g. a port already in use. */
  readonly giveUpAfterMs?: number;
}

/** Restart pacing: 0.5 s, then 1 s, then 2 s while kubectl keeps failing right away. */
export const FORWARD_DEFAULTS = {
  initialDelayMs: 500,
  maxDelayMs: 2_000,
  healthyAfterMs: 5_000,
  giveUpAfterMs: 120_000,
} as const;

/**
 * Runs `kubectl <step.args>` until SIGINT or SIGTERM, restarting it whenever it exits on its own.
 *
 * @returns 0 when stopped by a signal; 1 when kubectl kept failing for `giveUpAfterMs`; 127 without kubectl.
 * @example await keepForwarding(portForwardSteps(target, "api")![0]!)
 */
export async function keepForwarding(step: KubectlStep, options: ForwardLoopOptions = {}): Promise<number> {
  const warn = options.warn ?? ((line: string) => console.error(line));
  const { initialDelayMs, maxDelayMs, healthyAfterMs, giveUpAfterMs } = { ...FORWARD_DEFAULTS, ...options };
  let stopping = false;
  let current: ReturnType<typeof spawn> | undefined;
  let wake: (() => void) | undefined;
  const stop = (signal: NodeJS.Signals): void => {
    stopping = true;
    // Ctrl-C in a terminal reaches kubectl too; a SIGTERM sent to this process alone does not.
    current?.kill(signal);
    wake?.();
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
  try {
    let delay = initialDelayMs;
    let lastHealthy = Date.now();
    for (;;) {
      const started = Date.now();
      const outcome = await new Promise<{ code: number | null; missing: boolean }>((resolve) => {
        current = spawn("kubectl", step.args, { env: { ...process.env, ...step.env }, stdio: "inherit" });
        current.once("error", (error: NodeJS.ErrnoException) =>
          resolve({ code: 127, missing: error.code === "ENOENT" }),
        );
        current.once("exit", (code) => resolve({ code, missing: false }));
      });
      current = undefined;
      if (stopping) return 0;
      if (outcome.missing) {
        warn("kubectl is not on PATH. Install it: https://kubernetes.io/docs/tasks/tools/");
        return 127;
      }
      const now = Date.now();
      if (now - started >= healthyAfterMs) {
        lastHealthy = now;
        delay = initialDelayMs;
      } else if (now - lastHealthy >= giveUpAfterMs) {
        warn(
          `port-forward: kubectl kept failing for ${Math.round(giveUpAfterMs / 1000)} s (exit code ${outcome.code}); giving up.`,
        );
        return 1;
      }
      warn(
        `port-forward: kubectl exited with code ${outcome.code} (the pod it forwarded to went away, or none is ` +
          `ready yet); forwarding again in ${delay / 1000} s to a pod that is there now. Ctrl-C to stop.`,
      );
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, delay);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wake = undefined;
      if (stopping) return 0;
      delay = Math.min(delay * 2, maxDelayMs);
    }
  } finally {
    process.off("SIGINT", stop);
    process.off("SIGTERM", stop);
  }
}
