/**
 * `npm run synth:diff [-- --base <git ref>] [--output summary.md]`: what a change does to the synthesized
 * manifests, for a reviewer.
 *
 * Synthesizes the base revision (its own `charts/main.ts`, run in a `git archive` of it with this checkout's
 * node_modules) and the working tree, both from source into temporary directories, so a stale committed
 * `dist/` cannot hide or invent a change, and prints a Markdown summary (charts/review/change-summary.ts).
 * The base defaults to the merge base of HEAD and `main`. Exits 2 on a bad ref or argument, 1 when a synth fails.
 */
import { execFile, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { parseArgs } from "node:util";
import { compareManifestTrees, renderChangeSummary } from "./review/change-summary.js";
import { readManifestTree } from "./review/manifest-tree.js";

const USAGE = `Usage: npm run synth:diff -- [--base <git ref>] [--output <file.md>]

Synthesizes the charts of the base revision and of the working tree from source and prints, as Markdown,
which objects each environment gains, loses or changes, grouped by release, capacity and cost, security,
availability, restarts and monitoring.

  --base <git ref>   revision to compare with (default: git merge-base HEAD main)
  --output <file>    write the Markdown to this file instead of stdout
  -h, --help         print this help
`;

const root = join(import.meta.dirname, "..");

/** A failure with the exit code it ends the program with. */
class SynthDiffError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

function git(args: readonly string[]): { ok: boolean; stdout: string; stderr: string } {
  const result = spawnSync("git", args, { cwd: root, encoding: "utf8" });
  return { ok: result.status === 0, stdout: result.stdout.trim(), stderr: result.stderr.trim() };
}

/** The commit to compare with, and how the heading names it. */
function resolveBase(ref: string | undefined): { commit: string; label: string } {
  if (ref === undefined) {
    const mergeBase = git(["merge-base", "HEAD", "main"]);
    if (!mergeBase.ok) {
      throw new SynthDiffError(
        `synth:diff: cannot find the merge base of HEAD and main (${mergeBase.stderr || "no common ancestor"}); ` +
          "pass --base <git ref>",
        2,
      );
    }
    return { commit: mergeBase.stdout, label: `merge base with \`main\` (${mergeBase.stdout.slice(0, 7)})` };
  }
  const resolved = git(["rev-parse", "--verify", "--quiet", `${ref}^{commit}`]);
  if (!resolved.ok || ref.startsWith("-"))
    throw new SynthDiffError(`synth:diff: unknown git ref "${ref}"`, 2);
  return { commit: resolved.stdout, label: `\`${ref}\` (${resolved.stdout.slice(0, 7)})` };
}

const run = promisify(execFile);

/** Runs `charts/main.ts --outdir <outdir>` of the tree at `cwd`; rejects with its stderr. */
async function synthesize(cwd: string, outdir: string, what: string): Promise<void> {
  try {
    await run(process.execPath, ["--import", "tsx", "charts/main.ts", "--outdir", outdir], {
      cwd,
      maxBuffer: 16 * 1024 * 1024,
    });
  } catch (error) {
    const stderr = String((error as { stderr?: string }).stderr ?? (error as Error).message).trim();
    throw new SynthDiffError(
      `synth:diff: synthesizing ${what} failed:\n${stderr.split("\n").slice(-20).join("\n")}`,
      1,
    );
  }
}

async function main(argv: readonly string[]): Promise<void> {
  let values: { base?: string; output?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        base: { type: "string" },
        output: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
    }));
  } catch (error) {
    throw new SynthDiffError(`synth:diff: ${(error as Error).message}\n\n${USAGE}`, 2);
  }
  if (values.help) {
    process.stdout.write(USAGE);
    return;
  }
  const base = resolveBase(values.base);
  const scratch = mkdtempSync(join(tmpdir(), "infer8s-synth-diff-"));
  try {
    const source = join(scratch, "base-source");
    mkdirSync(source);
    const archive = join(scratch, "base.tar");
    const archived = git(["archive", "--format=tar", "-o", archive, base.commit]);
    if (!archived.ok)
      throw new SynthDiffError(`synth:diff: git archive ${base.commit} failed: ${archived.stderr}`, 1);
    const extracted = spawnSync("tar", ["-xf", archive, "-C", source], { encoding: "utf8" });
    if (extracted.status !== 0)
      throw new SynthDiffError(`synth:diff: extracting the base failed: ${extracted.stderr}`, 1);
    // The base runs with this checkout's dependencies: a base that needs others fails and says so.
    rmSync(join(source, "node_modules"), { recursive: true, force: true });
    symlinkSync(join(root, "node_modules"), join(source, "node_modules"), "dir");
    const baseOut = join(scratch, "base");
    const headOut = join(scratch, "head");
    // Both run to the end before the scratch directory is removed, even when one fails.
    const results = await Promise.allSettled([
      synthesize(source, baseOut, `the base revision ${base.commit.slice(0, 7)}`),
      synthesize(root, headOut, "the working tree"),
    ]);
    const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
    if (failed) throw failed.reason;
    const summary = renderChangeSummary(
      compareManifestTrees(readManifestTree(baseOut), readManifestTree(headOut)),
      {
        base: base.label,
        head: "working tree",
      },
    );
    if (values.output) writeFileSync(values.output, summary);
    else process.stdout.write(summary);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

main(process.argv.slice(2)).catch((error: unknown) => {
  console.error(error instanceof SynthDiffError ? error.message : `synth:diff: ${(error as Error).stack}`);
  process.exitCode = error instanceof SynthDiffError ? error.exitCode : 1;
});
