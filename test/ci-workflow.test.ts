/**
 * The GitHub workflow users get must run what `.ci/run` (the local truth) runs, through npm scripts that
 * exist, on the Node release the image is built from, and publish only from main without committed secrets.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { PATHS, RUN_AS_GID, RUN_AS_UID, SERVER_PORT } from "../src/contract/index.js";
import { readDockerfile } from "./support/dockerfile.js";

interface Step {
  name?: string;
  uses?: string;
  run?: string;
  if?: string;
  env?: Record<string, string>;
  with?: Record<string, unknown>;
}
interface Job {
  steps: Step[];
  needs?: string | string[];
  env?: Record<string, string>;
  permissions?: Record<string, string>;
}
interface Workflow {
  on: Record<string, unknown>;
  permissions: Record<string, string>;
  jobs: Record<string, Job>;
}

const root = join(import.meta.dirname, "..");
const workflowText = readFileSync(join(root, ".github/workflows/ci.yml"), "utf8");
const workflow = parse(workflowText) as Workflow;
const scripts = (
  JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { scripts: Record<string, string> }
).scripts;
const localCi = readFileSync(join(root, ".ci/run"), "utf8");

/** Shell lines that run npm, normalized to `npm ci`, `npm test` or `npm run <script>` (messages ignored). */
function npmCommands(shell: string): string[] {
  return [...shell.matchAll(/^\s*npm (ci|test|run [\w:.-]+)/gm)].map((m) => `npm ${m[1]}`);
}

const checkSteps = workflow.jobs.check!.steps;
const workflowNpm = checkSteps.flatMap((s) => npmCommands(s.run ?? ""));

describe(".github/workflows/ci.yml", () => {
  it("calls only npm scripts that package.json defines", () => {
    const all = Object.values(workflow.jobs).flatMap((job) =>
      job.steps.flatMap((s) => npmCommands(s.run ?? "")),
    );
    const missing = all
      .map((command) => command.replace(/^npm run /, "").replace(/^npm test$/, "test"))
      .filter((name) => name !== "npm ci" && !(name in scripts));
    expect(all.length).toBeGreaterThan(0);
    expect(missing).toEqual([]);
  });

  it("runs every npm command of .ci/run, in the same order", () => {
    const local = npmCommands(localCi);
    expect(local.length).toBeGreaterThan(0);
    expect(workflowNpm.filter((command) => local.includes(command))).toEqual(local);
  });

  it("runs lint, typecheck, tests and the dist/ drift check after a clean install", () => {
    expect(workflowNpm).toEqual([
      "npm ci",
      "npm run lint",
      "npm run typecheck",
      "npm test",
      "npm run synth:check",
    ]);
  });

  it("audits the production dependencies right after the install, failing on high or critical advisories", () => {
    const runs = checkSteps.map((s) => s.run ?? "");
    const audit = runs.indexOf("npm audit --omit=dev --audit-level=high");
    expect(audit).toBeGreaterThan(runs.indexOf("npm ci --no-audit --no-fund"));
    expect(audit).toBeLessThan(runs.indexOf("npm test"));
  });

  it("requires the monitoring tests' Prometheus tools, as .ci/run does", () => {
    expect(localCi).toMatch(/export INFER8S_REQUIRE_PROMETHEUS=1/);
    const testStep = checkSteps.find((s) => s.run === "npm test");
    expect(testStep?.env?.INFER8S_REQUIRE_PROMETHEUS).toBe("1");
    expect(checkSteps.some((s) => /apt-get install .*prometheus/.test(s.run ?? ""))).toBe(true);
  });

  it("tests on the Node release the image is built from", () => {
    const setupNode = checkSteps.find((s) => s.uses?.startsWith("actions/setup-node@"));
    const baseImage = readDockerfile(root).stages.at(-1)!.baseImage;
    expect(baseImage).toBe(`node:${String(setupNode?.with?.["node-version"])}-bookworm-slim`);
  });

  it("runs on pull requests and on pushes to main", () => {
    expect(Object.keys(workflow.on)).toEqual(expect.arrayContaining(["push", "pull_request"]));
    expect((workflow.on.push as { branches: string[] }).branches).toEqual(["main"]);
  });

  it("builds the image only after the checks pass, and pushes only from main", () => {
    const image = workflow.jobs.image!;
    expect(image.needs).toBe("check");
    expect(image.env?.PUSH).toBe("${{ github.event_name == 'push' && github.ref == 'refs/heads/main' }}");
    const pushSteps = image.steps.filter(
      (s) => s.with?.push === true || s.uses?.startsWith("docker/login-action@"),
    );
    expect(pushSteps.length).toBe(2);
    for (const step of pushSteps) expect(step.if).toBe("env.PUSH == 'true'");
    const buildSteps = image.steps.filter((s) => s.uses?.startsWith("docker/build-push-action@"));
    expect(buildSteps.map((s) => s.with?.context)).toEqual([".", "."]);
  });

  it("grants write access to packages in the image job only", () => {
    expect(workflow.permissions).toEqual({ contents: "read" });
    expect(workflow.jobs.image!.permissions).toEqual({ contents: "read", packages: "write" });
  });

  it("takes credentials from the workflow token or repository secrets, never from the file", () => {
    const secrets = [...workflowText.matchAll(/secrets\.(\w+)/g)].map((m) => m[1]);
    expect(new Set(secrets)).toEqual(new Set(["IMAGE_REGISTRY_PASSWORD", "GITHUB_TOKEN"]));
    const login = workflow.jobs.image!.steps.find((s) => s.uses?.startsWith("docker/login-action@"));
    expect(String(login?.with?.password)).toMatch(/^\$\{\{ .* \}\}$/);
  });

  it("smoke-tests the image on the contract's port, paths and uid", () => {
    const smoke = workflow.jobs.image!.steps.find((s) => s.name?.startsWith("Smoke test"))?.run ?? "";
    expect(smoke).toContain(`127.0.0.1:${SERVER_PORT}:${SERVER_PORT}`);
    expect(smoke).toContain(`http://127.0.0.1:${SERVER_PORT}${PATHS.ready}`);
    expect(smoke).toContain(`http://127.0.0.1:${SERVER_PORT}${PATHS.predict}`);
    expect(smoke).toContain(`http://127.0.0.1:${SERVER_PORT}${PATHS.info}`);
    expect(smoke).toContain(`= "${RUN_AS_UID}:${RUN_AS_GID}"`);
  });
});
