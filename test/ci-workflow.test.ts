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
  if?: string;
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
const summaryJob = workflow.jobs["change-summary"]!;
const commentStep = summaryJob.steps.find((s) => s.uses?.startsWith("actions/github-script@"));

interface Comment {
  id: number;
  body: string;
  user: { type: string };
}

/** Runs the workflow's comment script against a pull request holding `comments`; returns its API calls. */
async function runCommentScript(summary: string, comments: Comment[]) {
  const calls: { method: string; params: Record<string, unknown> }[] = [];
  const record = (method: string) => async (params: Record<string, unknown>) => {
    calls.push({ method, params });
    return { data: { html_url: "https://github.test/comment" } };
  };
  const github = {
    paginate: async (method: unknown, params: Record<string, unknown>) => {
      calls.push({ method: "paginate", params });
      expect(method).toBe(github.rest.issues.listComments);
      return comments;
    },
    rest: {
      issues: {
        listComments: record("listComments"),
        updateComment: record("updateComment"),
        createComment: record("createComment"),
      },
    },
  };
  const context = { repo: { owner: "acme", repo: "infer8s" }, issue: { number: 17 } };
  const core = { info: () => {} };
  const fakeRequire = (id: string) => {
    expect(id).toBe("node:fs");
    return { readFileSync: (path: string) => (path === "synth-diff.md" ? summary : "") };
  };
  const AsyncFunction = Object.getPrototypeOf(async () => {}).constructor as new (
    ...args: string[]
  ) => (...values: unknown[]) => Promise<void>;
  await new AsyncFunction("require", "github", "context", "core", String(commentStep?.with?.script))(
    fakeRequire,
    github,
    context,
    core,
  );
  return calls.filter((c) => c.method !== "paginate");
}
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

  it("summarizes a pull request with npm run synth:diff against its base branch, with the history it needs", () => {
    expect(summaryJob.if).toBe("github.event_name == 'pull_request'");
    const checkout = summaryJob.steps.find((s) => s.uses?.startsWith("actions/checkout@"));
    expect(checkout?.with?.["fetch-depth"]).toBe(0);
    const setupNode = (steps: Step[]) => steps.find((s) => s.uses?.startsWith("actions/setup-node@"))?.with;
    expect(setupNode(summaryJob.steps)).toEqual(setupNode(checkSteps));
    const summarize = summaryJob.steps.find((s) => npmCommands(s.run ?? "").includes("npm run synth:diff"));
    expect(summaryJob.steps.flatMap((s) => npmCommands(s.run ?? ""))).toEqual([
      "npm ci",
      "npm run synth:diff",
    ]);
    expect(summarize?.env?.BASE_REF).toBe("${{ github.base_ref }}");
    expect(summarize?.run).toContain(
      'npm run synth:diff -- --base "origin/${BASE_REF}" --output synth-diff.md',
    );
    expect(summarize?.run).toContain('>> "$GITHUB_STEP_SUMMARY"');
  });

  it("grants pull-requests: write to the summary job only", () => {
    expect(summaryJob.permissions).toEqual({ contents: "read", "pull-requests": "write" });
    const writers = Object.entries(workflow.jobs).filter(([, job]) => job.permissions?.["pull-requests"]);
    expect(writers.map(([name]) => name)).toEqual(["change-summary"]);
  });

  it("posts the summary from a pinned github-script major, and only where the token can write", () => {
    expect(commentStep?.uses).toMatch(/^actions\/github-script@v\d+$/);
    const sameRepository = "github.event.pull_request.head.repo.full_name == github.repository";
    expect(commentStep?.if).toBe(sameRepository);
    const forkNotice = summaryJob.steps.find((s) => s.if === sameRepository.replace("==", "!="));
    expect(forkNotice?.run).toMatch(/^echo "::notice::Pull request from a fork/);
  });

  it("creates one marked comment on a pull request without one", async () => {
    const calls = await runCommentScript("## Synthesized manifests\n", [
      { id: 1, body: "LGTM", user: { type: "User" } },
    ]);
    expect(calls).toEqual([
      {
        method: "createComment",
        params: {
          owner: "acme",
          repo: "infer8s",
          issue_number: 17,
          body: "<!-- infer8s-synth-diff -->\n## Synthesized manifests\n",
        },
      },
    ]);
  });

  it("updates the marked comment on a new push instead of adding a second one", async () => {
    const calls = await runCommentScript("new summary\n", [
      { id: 1, body: "quoting <!-- infer8s-synth-diff --> by hand", user: { type: "User" } },
      { id: 2, body: "<!-- infer8s-synth-diff -->\nold summary\n", user: { type: "Bot" } },
    ]);
    expect(calls).toEqual([
      {
        method: "updateComment",
        params: {
          owner: "acme",
          repo: "infer8s",
          comment_id: 2,
          body: "<!-- infer8s-synth-diff -->\nnew summary\n",
        },
      },
    ]);
  });

  it("cuts a summary too long for a comment, saying where the whole one is", async () => {
    const [call] = await runCommentScript("x".repeat(100_000), []);
    const body = String(call?.params.body);
    expect(body.length).toBeLessThan(65_536);
    expect(body).toMatch(/cut short: the whole summary is in the job summary of this run\.$/);
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
