import { spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { compareDirectories, listFiles } from "../charts/dist-diff.js";
import { buildEnvironmentApps } from "../charts/environment-apps.js";

const scratch = mkdtempSync(join(tmpdir(), "infer8s-determinism-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function synthInto(name: string): string {
  const dir = join(scratch, name);
  for (const app of buildEnvironmentApps(dir).apps) app.synth();
  return dir;
}

describe("synthesis", () => {
  it("is byte-identical across runs, every environment included", () => {
    const first = synthInto("first");
    const second = synthInto("second");
    const drift = compareDirectories(first, second);
    expect(drift.unchanged).toEqual(
      expect.arrayContaining(["0001-inference.k8s.yaml", "staging/0001-inference.k8s.yaml"]),
    );
    expect(drift).toEqual({ added: [], removed: [], changed: [], unchanged: listFiles(first) });
  });

  it("matches the committed dist/ (run `npm run synth` after changing charts/)", () => {
    const drift = compareDirectories("dist", synthInto("fresh"));
    expect({ added: drift.added, removed: drift.removed, changed: drift.changed }).toEqual({
      added: [],
      removed: [],
      changed: [],
    });
  });
});

describe("npm run synth:check", () => {
  const run = (dir: string) =>
    spawnSync(process.execPath, ["--import", "tsx", "charts/synth-check.ts", dir], { encoding: "utf8" });

  it("passes on an up-to-date copy of dist/", () => {
    const copy = join(scratch, "copy-ok");
    cpSync("dist", copy, { recursive: true });
    const result = run(copy);
    expect(result.status).toBe(0);
    expect(result.stdout).toContain("matches a fresh synth");
    expect(result.stdout).toContain("4 environments");
  });

  it("names the stale environment when only an environment's directory drifted", () => {
    const copy = join(scratch, "copy-staging");
    cpSync("dist", copy, { recursive: true });
    const inference = join(copy, "staging", "0001-inference.k8s.yaml");
    writeFileSync(inference, readFileSync(inference, "utf8").replace("maxReplicas: 4", "maxReplicas: 5"));
    rmSync(join(copy, "production", "0000-namespaces.k8s.yaml"));
    const result = run(copy);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('stale: environment "staging", environment "production"');
    expect(result.stderr).toContain("changed: staging/0001-inference.k8s.yaml");
    expect(result.stderr).toContain("missing from");
    expect(result.stderr).toContain("production/0000-namespaces.k8s.yaml");
    expect(result.stderr).not.toContain('environment "default"');
  });

  it("fails naming the changed and stale files, with a diff and the fix", () => {
    const copy = join(scratch, "copy-drifted");
    cpSync("dist", copy, { recursive: true });
    const inference = join(copy, "0001-inference.k8s.yaml");
    writeFileSync(inference, readFileSync(inference, "utf8").replace("maxReplicas: 10", "maxReplicas: 12"));
    writeFileSync(join(copy, "0009-leftover.k8s.yaml"), "apiVersion: v1\n");
    const result = run(copy);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain("differs from a fresh synth of charts/");
    expect(result.stderr).toContain('stale: environment "default"\n');
    expect(result.stderr).toContain("changed: 0001-inference.k8s.yaml");
    expect(result.stderr).toContain("stale in");
    expect(result.stderr).toContain("0009-leftover.k8s.yaml");
    expect(result.stderr).toMatch(/^- {2}maxReplicas: 12$/m);
    expect(result.stderr).toMatch(/^\+ {2}maxReplicas: 10$/m);
    expect(result.stderr).toContain("Fix: run `npm run synth`");
  });
});
