/**
 * `npm run synth:diff` end to end: a throwaway clone of this checkout commits a capacity change and an alert
 * threshold change to the defaults, and the summary against the previous commit names both where a reviewer
 * looks for them. Both revisions are synthesized from source, so the committed dist/ plays no part.
 */
import { spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const root = join(import.meta.dirname, "..");
const scratch = mkdtempSync(join(tmpdir(), "infer8s-synth-diff-test-"));
const clone = join(scratch, "repo");
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function run(command: string, args: readonly string[], cwd: string) {
  const result = spawnSync(command, args, { cwd, encoding: "utf8" });
  if (result.status !== 0) throw new Error(`${command} ${args.join(" ")}: ${result.stderr}`);
  return result.stdout;
}

const git = (...args: string[]) =>
  run("git", ["-c", "user.name=test", "-c", "user.email=test@example.com", ...args], clone);

function synthDiff(cwd: string, ...args: string[]) {
  return spawnSync(process.execPath, ["--import", "tsx", "charts/synth-diff.ts", ...args], {
    cwd,
    encoding: "utf8",
  });
}

/** Replaces `from` by `to` in a file of the clone, failing when `from` is not there (the test would be void). */
function edit(file: string, from: string, to: string) {
  const path = join(clone, file);
  const text = readFileSync(path, "utf8");
  expect(text).toContain(from);
  writeFileSync(path, text.replace(from, to));
}

beforeAll(() => {
  run("git", ["clone", "--quiet", "--local", root, clone], scratch);
  // The working tree's code, not only what is committed, is what this test checks.
  for (const path of ["charts", "src", "package.json"])
    cpSync(join(root, path), join(clone, path), { recursive: true });
  symlinkSync(join(root, "node_modules"), join(clone, "node_modules"), "dir");
  git("add", "charts", "src", "package.json");
  git("commit", "--quiet", "--allow-empty", "-m", "base");
  edit("charts/settings.ts", "maxReplicas: 10,", "maxReplicas: 12,");
  edit(
    "charts/monitoring/mixin/config.ts",
    'highErrorRatio: { ratio: 0.05, window: "5m", for: "10m" }',
    'highErrorRatio: { ratio: 0.02, window: "5m", for: "10m" }',
  );
  git("commit", "--quiet", "-am", "capacity and alert threshold");
  // A stale dist/ must not matter: the summary comes from synthesizing both revisions.
  rmSync(join(clone, "dist"), { recursive: true, force: true });
});

describe("npm run synth:diff", () => {
  it("writes a summary of a committed HPA bound and alert threshold change against the previous commit to --output", () => {
    const output = join(scratch, "summary.md");
    const result = synthDiff(clone, "--base", "HEAD~1", "--output", output);
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    expect(result.stdout).toBe("");
    const markdown = readFileSync(output, "utf8");
    expect(markdown).toMatch(/^## Synthesized manifests: `HEAD~1` \([0-9a-f]{7}\) → working tree\n/);
    // Other environments may change too (they inherit the defaults); the default one is the top section.
    expect(markdown).toMatch(
      /\*\*Summary:\*\* \d+ objects changed, 0 added, 0 removed in \d+ of \d+ environments? · capacity and cost, restarts, monitoring\n/,
    );
    expect(markdown).toContain(
      "### Default environment (top-level files)\n\n3 changed · 0 added · 0 removed",
    );
    const capacity = markdown.slice(
      markdown.indexOf("#### Capacity and cost"),
      markdown.indexOf("#### Restarts"),
    );
    expect(capacity).toContain(
      "- HorizontalPodAutoscaler `infer8s/iris-inference`\n  - `spec.maxReplicas`: `10` → `12`",
    );
    const monitoring = markdown.slice(markdown.indexOf("#### Monitoring"));
    expect(monitoring).toContain("alert **InferenceHighErrorRatio**");
    expect(monitoring).toMatch(/- `expr`: `…[^`]*> 0\.05` → `…[^`]*> 0\.02`/);
    expect(monitoring).toContain("(threshold 5%).` → `");
    expect(markdown).toContain("- Deployment `monitoring/prometheus`: its pods roll");
  });

  it("prints its usage on --help and refuses an unknown option with it", () => {
    const help = synthDiff(root, "--help");
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(
      /^Usage: npm run synth:diff -- \[--base <git ref>\] \[--output <file.md>\]\n/,
    );
    const wrong = synthDiff(root, "--bsae", "main");
    expect(wrong.status).toBe(2);
    expect(wrong.stderr).toMatch(/^synth:diff: Unknown option '--bsae'[\s\S]*Usage: npm run synth:diff/);
  });

  it("fails with exit code 2 naming an unknown ref", () => {
    const result = synthDiff(root, "--base", "nope");
    expect(result.stderr).toBe('synth:diff: unknown git ref "nope"\n');
    expect(result.status).toBe(2);
  });

  it("says when there is no main to find the merge base with, and how to go on", () => {
    // The clone has no local main (only origin/main), once its own branch is not called main either.
    git("branch", "--quiet", "--move", "feature");
    const result = synthDiff(clone);
    expect(result.stderr).toMatch(
      /^synth:diff: cannot find the merge base of HEAD and main \(.+\); pass --base <git ref>\n$/,
    );
    expect(result.status).toBe(2);
  });

  it("reports a base revision whose synth fails", () => {
    edit("charts/main.ts", "try {", 'throw new Error("broken at base");\ntry {');
    git("commit", "--quiet", "-am", "broken synth");
    git("checkout", "--quiet", "HEAD~1", "--", "charts/main.ts");
    git("commit", "--quiet", "-am", "fixed synth");
    const result = synthDiff(clone, "--base", "HEAD~1");
    expect(result.stderr).toMatch(
      /^synth:diff: synthesizing the base revision [0-9a-f]{7} failed:\n[\s\S]*broken at base/,
    );
    expect(result.status).toBe(1);
  });
});
