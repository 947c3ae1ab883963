/**
 * Every command-line entry point answers `--help`/`-h` with its usage and exit code 0 before doing any
 * work, and a mistyped option with exit code 2, one line naming it and a hint, never a stack trace.
 * The entry points are run as the npm scripts run them, minus the benchmarks' compile step.
 */

import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runScript, type ScriptRun } from "./support/run-script.js";

const root = join(import.meta.dirname, "..");
const scratch = mkdtempSync(join(tmpdir(), "infer8s-cli-help-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function run(file: string, args: string[]): Promise<ScriptRun> {
  return runScript(file, args, { cwd: root });
}

/** Entry point, npm script, and an option that would make it write somewhere if it did any work. */
const ENTRY_POINTS = [
  ["ops/main.ts", "ops", []],
  ["charts/main.ts", "synth", ["--outdir", "synth-out"]],
  ["src/training/train.ts", "train", ["--out", "train-out"]],
  ["bench/run.ts", "bench", ["--json", "bench-out/latest.json"]],
  ["bench/overload.ts", "bench:overload", []],
  ["bench/soak.ts", "bench:soak", []],
  ["bench/model-call.ts", "bench:model", []],
  ["bench/auth-cost.ts", "bench:auth", []],
] as const;

describe.each(ENTRY_POINTS)("%s (npm run %s)", (file, script, workOptions) => {
  it.each(["--help", "-h"])("%s prints the usage and exits 0 without doing any work", async (flag) => {
    const options = workOptions.map((option) => (option.startsWith("--") ? option : join(scratch, option)));
    const result = await run(file, [flag, ...options]);
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(new RegExp(`^Usage: npm run ${script}( |$)`, "m"));
    expect(result.stdout).toMatch(/-h, --help/);
    for (const option of options.filter((o) => o.startsWith(scratch))) expect(existsSync(option)).toBe(false);
  });

  it("rejects an unknown option with exit code 2, the option named and a hint, no stack trace", async () => {
    const result = await run(file, ["--no-such-option"]);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain("Unknown option '--no-such-option'");
    expect(result.stderr).toContain(script === "ops" ? "npm run ops -- help" : `npm run ${script} -- --help`);
    expect(result.stderr).not.toMatch(/^\s+at /m);
    expect(result.stdout).toBe("");
  });
});
