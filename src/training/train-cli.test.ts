import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const ROOT = new URL("../..", import.meta.url).pathname;
const work = mkdtempSync(join(tmpdir(), "infer8s-train-cli-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/**
 * `npm run train -- <args>` as the README shows it, minus npm (~0.3 s a run): the script's
 * `tsx src/training/train.ts` is node with tsx's loader.
 */
function train(...args: string[]) {
  return spawnSync(process.execPath, ["--import", "tsx", "src/training/train.ts", ...args], {
    cwd: ROOT,
    encoding: "utf8",
  });
}

describe("npm run train", () => {
  it("writes a model where --out says and reports its accuracy", () => {
    const out = join(work, "model");
    const run = train("--seed", "7", "--out", out, "--epochs", "40");
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/trained iris [0-9a-f]{12} in [\d.]+s: holdout accuracy [\d.]+ on 30 flowers/);
    for (const file of ["model.json", "weights.bin", "metadata.json"])
      expect(existsSync(join(out, file))).toBe(true);
  });

  it("fails, naming the threshold, and writes nothing when the holdout accuracy is below --min-accuracy", () => {
    const out = join(work, "strict");
    const run = train("--out", out, "--epochs", "1", "--min-accuracy", "0.99");
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/holdout accuracy [\d.]+ is below --min-accuracy 0.99; nothing was written/);
    expect(existsSync(out)).toBe(false);
  });

  it("rejects a malformed --epochs", () => {
    const run = train("--out", join(work, "bad"), "--epochs", "ten");
    expect(run.status).toBe(2);
    expect(run.stderr).toContain("--epochs must be a non-negative integer");
  });
});
