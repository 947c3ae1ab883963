/**
 * `npm run ops` end to end, without a cluster: a fake `kubectl` on PATH records its argv, so the tests see
 * that each command prints exactly what it runs, stops at the first failure, and that dry-run runs nothing.
 * Each run of the CLI builds every chart in memory (~1 s of CPU), so the runs that share nothing go
 * concurrently; each records its kubectl calls in a file of its own.
 */
import { spawn } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_SETTINGS } from "../charts/settings.js";
import { PATHS } from "../src/contract/index.js";
import { deploymentTarget } from "../ops/deployment-target.js";

const root = join(import.meta.dirname, "..");
const fakeBin = mkdtempSync(join(tmpdir(), "infer8s-fake-kubectl-"));
const target = deploymentTarget(DEFAULT_SETTINGS);
let runs = 0;

// Records one line per call (arguments joined by a space) in FAKE_KUBECTL_LOG, exits with FAKE_KUBECTL_EXIT.
writeFileSync(
  join(fakeBin, "kubectl"),
  `#!/bin/sh\necho "$*" >> "$FAKE_KUBECTL_LOG"\nexit "\${FAKE_KUBECTL_EXIT:-0}"\n`,
);
chmodSync(join(fakeBin, "kubectl"), 0o755);

interface OpsRun {
  status: number | null;
  stdout: string;
  stderr: string;
  /** kubectl invocations, in order. */
  kubectl: string[];
}

/** Runs the CLI asynchronously, so a server in this process can answer the load generator. */
async function ops(args: string[], env: Record<string, string> = {}): Promise<OpsRun> {
  runs += 1;
  const invocations = join(fakeBin, `invocations-${runs}.log`);
  const child = spawn(process.execPath, ["--import", "tsx", "ops/main.ts", ...args], {
    cwd: root,
    env: {
      PATH: `${fakeBin}:${process.env.PATH}`,
      HOME: process.env.HOME,
      FAKE_KUBECTL_LOG: invocations,
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const status = await new Promise<number | null>((resolve) => child.once("close", (code) => resolve(code)));
  const kubectl = existsSync(invocations) ? readFileSync(invocations, "utf8").trim().split("\n") : [];
  return { status, stdout, stderr, kubectl };
}

/** The `$ kubectl ...` lines a run printed, without the prompt and the program name. */
function printed(run: OpsRun): string[] {
  return run.stdout
    .split("\n")
    .filter((line) => line.startsWith("$ kubectl "))
    .map((line) => line.slice("$ kubectl ".length));
}

afterAll(() => rmSync(fakeBin, { recursive: true, force: true }));

describe.concurrent("npm run ops", () => {
  it("deploy prints each kubectl command and runs exactly that", async () => {
    const run = await ops(["deploy"]);
    expect(run.status).toBe(0);
    expect(printed(run)).toEqual([
      "apply -f dist",
      `rollout status deployment/${target.deploymentName} --namespace ${target.namespace} --timeout=5m`,
    ]);
    expect(run.kubectl).toEqual(printed(run));
  });

  it("stops at the first failing command and exits with its code", async () => {
    const run = await ops(["deploy"], { FAKE_KUBECTL_EXIT: "3" });
    expect(run.status).toBe(3);
    expect(run.kubectl).toEqual(["apply -f dist"]);
    expect(run.stdout).toContain("kubectl exited with code 3");
  });

  it("diff reports differences (exit 1) as such, not as a failure", async () => {
    const run = await ops(["diff"], { FAKE_KUBECTL_EXIT: "1" });
    expect(run.status).toBe(1);
    expect(run.kubectl).toEqual(["diff -f dist"]);
    expect(run.stdout).toContain("npm run ops -- deploy");
    expect(run.stdout).not.toContain("kubectl exited with code");
  });

  it("--dry-run prints the commands and runs none", async () => {
    const run = await ops(["--dry-run", "restart"]);
    expect(run.status).toBe(0);
    expect(printed(run)).toEqual([
      `rollout restart deployment/${target.deploymentName} --namespace ${target.namespace}`,
      `rollout status deployment/${target.deploymentName} --namespace ${target.namespace} --timeout=5m`,
    ]);
    expect(run.kubectl).toEqual([]);
  });

  it("INFER8S_DRY_RUN=1 is the same as --dry-run", async () => {
    const run = await ops(["scale", "3"], { INFER8S_DRY_RUN: "1" });
    expect(run.status).toBe(0);
    expect(printed(run)).toEqual([
      `scale deployment/${target.deploymentName} --namespace ${target.namespace} --replicas=3`,
    ]);
    expect(run.kubectl).toEqual([]);
  });

  it("port-forward api forwards the configured local port on loopback", async () => {
    const run = await ops(["port-forward", "api"]);
    expect(run.status).toBe(0);
    const api = target.portForward.api!;
    expect(run.kubectl).toEqual([
      `port-forward --namespace ${api.namespace} service/${api.serviceName} ${api.localPort}:${api.servicePort} --address 127.0.0.1`,
    ]);
    expect(run.stdout).toContain(`http://127.0.0.1:${api.localPort}${PATHS.info}`);
  });

  it("reads --settings overrides like npm run synth", async () => {
    const file = join(fakeBin, "settings.json");
    writeFileSync(file, JSON.stringify({ namespace: "ml-serving", monitoring: { enabled: false } }));
    const run = await ops(["--settings", file, "--dist", "my-dist", "--dry-run", "status"]);
    expect(run.status).toBe(0);
    expect(printed(run)).toHaveLength(1);
    expect(printed(run)[0]).toContain("--namespace ml-serving");
    const forward = await ops(["--settings", file, "port-forward", "grafana"]);
    expect(forward.status).toBe(2);
    expect(forward.stderr).toContain("these settings deploy no grafana");
    expect(forward.kubectl).toEqual([]);
  });

  it("delete refuses to run without --yes", async () => {
    const refused = await ops(["delete"]);
    expect(refused.status).toBe(2);
    expect(refused.stderr).toContain("Run again with --yes to confirm");
    expect(refused.kubectl).toEqual([]);
    const confirmed = await ops(["delete", "--yes"]);
    expect(confirmed.status).toBe(0);
    expect(confirmed.kubectl).toEqual(["delete -f dist --ignore-not-found"]);
  });

  it.each([
    [["scale"], "Usage: npm run ops -- scale <replicas>"],
    [["scale", "-1"], "Unknown option '-1'"],
    [["scale", "two"], `scale: <replicas> must be a whole number >= 0, got "two"`],
    [["port-forward", "db"], `port-forward: expected one of api, grafana, prometheus, got "db"`],
    [["logs", "--tail", "many"], `--tail must be a whole number >= 0, got "many"`],
    [["frobnicate"], `Unknown command "frobnicate"`],
  ])("rejects %j with exit code 2: %s", async (args, message) => {
    const run = await ops(args);
    expect(run.status).toBe(2);
    expect(run.stderr).toContain(message);
    expect(run.kubectl).toEqual([]);
  });

  it("rollout abort prints and runs the status patch; without a Rollout it refuses", async () => {
    const settings = join(fakeBin, "canary.json");
    writeFileSync(settings, JSON.stringify({ rollout: { strategy: "canary" } }));
    const run = await ops(["rollout", "abort", "--settings", settings]);
    expect(run.status).toBe(0);
    const patch = `patch rollouts.argoproj.io/${target.deploymentName} --namespace ${target.namespace} --subresource=status --type=merge --patch`;
    expect(printed(run)).toEqual([`${patch} '{"status":{"abort":true}}'`]);
    expect(run.kubectl).toEqual([`${patch} {"status":{"abort":true}}`]);
    const refused = await ops(["rollout", "promote"]);
    expect(refused.status).toBe(2);
    expect(refused.stderr).toContain(
      'rollout promote: these settings deploy a Deployment (rollout.strategy "rolling")',
    );
    expect(refused.kubectl).toEqual([]);
  });

  it("help shows every command with the kubectl commands it runs", async () => {
    const run = await ops(["help"]);
    expect(run.status).toBe(0);
    for (const command of [
      "deploy",
      "diff",
      "status",
      "logs",
      "scale",
      "restart",
      "rollout status",
      "rollout promote",
      "rollout abort",
      "port-forward",
      "delete",
      "load",
    ]) {
      expect(run.stdout).toMatch(new RegExp(`^  ${command}`, "m"));
    }
    expect(run.stdout).toContain(`$ kubectl apply -f dist`);
    expect(run.kubectl).toEqual([]);
  });
});

describe("npm run ops -- load", () => {
  let server: Server;
  let url = "";
  let received = 0;

  beforeAll(async () => {
    server = createServer((request, response) => {
      request.resume();
      request.on("end", () => {
        received += 1;
        response.writeHead(200, { "content-type": "application/json" }).end('{"ok":true}');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const address = server.address();
    url = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}${PATHS.predict}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it("sends at most --requests requests to a loopback URL and summarizes them", async () => {
    received = 0;
    const run = await ops([
      "load",
      "--url",
      url,
      "--requests",
      "30",
      "--connections",
      "3",
      "--duration",
      "30",
    ]);
    expect(run.status).toBe(0);
    expect(received).toBe(30);
    expect(run.stdout).toContain("Done: 30 responses");
    expect(run.stdout).toContain(
      `kubectl get hpa ${target.deploymentName} --namespace ${target.namespace} --watch`,
    );
  });

  it("refuses a non-loopback URL unless --allow-remote", async () => {
    const run = await ops([
      "load",
      "--url",
      "http://10.20.30.40/predict",
      "--requests",
      "5",
      "--connections",
      "1",
    ]);
    expect(run.status).toBe(2);
    expect(run.stderr).toContain("--url http://10.20.30.40/predict is not a loopback address");
  });

  it("defaults to the port-forwarded API and sends nothing in dry-run mode", async () => {
    const defaults = await ops(["load", "--dry-run"]);
    expect(defaults.status).toBe(0);
    expect(defaults.stdout).toContain(
      `POST http://127.0.0.1:${DEFAULT_SETTINGS.portForwardPort}${PATHS.predict}`,
    );
    expect(defaults.stdout).not.toContain("Done:");
    // Aimed at this test's server, so "nothing sent" is observed rather than assumed.
    received = 0;
    const run = await ops(["load", "--dry-run", "--url", url, "--requests", "5", "--connections", "1"]);
    expect(run.status).toBe(0);
    expect(run.stdout).not.toContain("Done:");
    expect(received).toBe(0);
  });
});
