import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ApiObject, App, Chart, YamlOutputType } from "cdk8s";
import { afterAll, describe, expect, it } from "vitest";
import { synthesizeInto } from "./output-directory.js";

const scratch = mkdtempSync(join(tmpdir(), "infer8s-main-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function synth(...args: string[]) {
  return spawnSync(process.execPath, ["--import", "tsx", "charts/main.ts", ...args], { encoding: "utf8" });
}

describe("charts/main.ts", () => {
  it("writes every environment: the default at the top of --outdir, the others in subdirectories", () => {
    const outdir = join(scratch, "all");
    mkdirSync(join(outdir, "retired-environment"), { recursive: true });
    writeFileSync(join(outdir, "retired-environment", "0000-namespaces.k8s.yaml"), "");
    const result = synth("--outdir", outdir);
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    expect(readdirSync(outdir).sort()).toEqual([
      "0000-namespaces.k8s.yaml",
      "0001-inference.k8s.yaml",
      "0002-monitoring.k8s.yaml",
      "development",
      "production",
      "staging",
    ]);
    expect(readFileSync(join(outdir, "0001-inference.k8s.yaml"))).toEqual(
      readFileSync("dist/0001-inference.k8s.yaml"),
    );
    expect(readFileSync(join(outdir, "staging", "0001-inference.k8s.yaml"), "utf8")).toContain(
      "namespace: infer8s-staging",
    );
  });

  it("refuses to clear an output directory with a foreign file in a subdirectory", () => {
    const outdir = join(scratch, "nested-foreign");
    mkdirSync(join(outdir, "staging"), { recursive: true });
    writeFileSync(join(outdir, "staging", "notes.md"), "mine");
    const result = synth("--outdir", outdir);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain("it holds files that synth did not write (staging/notes.md)");
    expect(readdirSync(join(outdir, "staging"))).toEqual(["notes.md"]);
  });

  it("writes the profile of a settings file into --outdir, replacing stale chart files", () => {
    const outdir = join(scratch, "operator");
    mkdirSync(outdir);
    writeFileSync(join(outdir, "0042-removed-chart.k8s.yaml"), "");
    const settings = join(scratch, "operator.json");
    writeFileSync(settings, JSON.stringify({ monitoring: { mode: "operator" }, image: { tag: "9.9.9" } }));
    const result = synth("--outdir", outdir, "--settings", settings);
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    const files = readdirSync(outdir);
    expect(files).toContain("0000-namespaces.k8s.yaml");
    expect(files).not.toContain("0042-removed-chart.k8s.yaml");
    expect(files).not.toContain("staging");
    expect(readFileSync(join(outdir, "0000-namespaces.k8s.yaml"), "utf8")).not.toContain("name: monitoring");
    expect(readFileSync(join(outdir, "0001-inference.k8s.yaml"), "utf8")).toContain("image: infer8s:9.9.9");
  });

  it("fails with the settings message and writes nothing when a setting is invalid", () => {
    const outdir = join(scratch, "invalid");
    const settings = join(scratch, "invalid.json");
    writeFileSync(settings, JSON.stringify({ image: { tag: "latest" } }));
    const result = synth("--outdir", outdir, "--settings", settings);
    expect(result.status).toBe(1);
    expect(result.stderr).toBe(
      'synth: Invalid settings:\n  - image.tag: must pin a version, not "latest", got "latest"\n',
    );
    expect(() => readdirSync(outdir)).toThrow();
  });

  it("refuses to clear a directory holding files it did not write", () => {
    const outdir = join(scratch, "checkout");
    mkdirSync(outdir);
    writeFileSync(join(outdir, "package.json"), "{}");
    const result = synth("--outdir", outdir);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(
      `synth: refusing to clear ${outdir}: it holds files that synth did not write (package.json)`,
    );
    expect(readdirSync(outdir)).toEqual(["package.json"]);
  });
});

describe("synthesizeInto", () => {
  it("leaves the previous output in place when a construct validation fails", () => {
    const outdir = join(scratch, "validation");
    mkdirSync(outdir);
    writeFileSync(join(outdir, "0000-previous.k8s.yaml"), "kind: Previous\n");
    const app = new App({ outdir, yamlOutputType: YamlOutputType.FILE_PER_CHART });
    const chart = new Chart(app, "broken");
    new ApiObject(chart, "object", { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "x" } });
    chart.node.addValidation({ validate: () => ["the rule this chart breaks"] });
    expect(() => synthesizeInto(app)).toThrow("[broken] the rule this chart breaks");
    expect(readdirSync(outdir)).toEqual(["0000-previous.k8s.yaml"]);
  });

  it("replaces the previous output when the app is valid", () => {
    const outdir = join(scratch, "valid");
    mkdirSync(outdir);
    writeFileSync(join(outdir, "0000-previous.k8s.yaml"), "kind: Previous\n");
    const app = new App({ outdir, yamlOutputType: YamlOutputType.FILE_PER_CHART });
    new ApiObject(new Chart(app, "fine"), "object", {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "x" },
    });
    synthesizeInto(app);
    expect(readdirSync(outdir)).toEqual(["fine.k8s.yaml"]);
  });
});
