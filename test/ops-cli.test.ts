/**
 * `npm run ops` end to end, without a cluster: a fake `kubectl` on PATH records its argv (and stdin), answers
 * `version` and the ApplySet lookup, so the tests see that each command prints exactly what it runs, stops
 * at the first failure, and that dry-run runs nothing.
 *
 * Most tests call `runOps` in this process, with the fake kubectl first on PATH (kubectl is still a real child
 * process): a CLI process costs ~0.7 s of CPU (tsx, building every chart). The CLI runs as a process where
 * the process is the behaviour: exit codes, signals (port-forward).
 */
import { spawn, type ChildProcess } from "node:child_process";
import {
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { format } from "node:util";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { DEFAULT_SETTINGS } from "../charts/settings.js";
import { PATHS } from "../src/contract/index.js";
import { applySetFor } from "../ops/applyset.js";
import { deploymentTarget } from "../ops/deployment-target.js";
import { runOps } from "../ops/main.js";

const root = join(import.meta.dirname, "..");
const fakeBin = mkdtempSync(join(tmpdir(), "infer8s-fake-kubectl-"));
const invocations = join(fakeBin, "invocations.log");
const stdinLog = join(fakeBin, "stdin.log");
const target = deploymentTarget(DEFAULT_SETTINGS);
const rollout = `rollout status deployment/${target.deploymentName} --namespace ${target.namespace} --timeout=5m`;

// Records one line per call (KUBECTL_APPLYSET if set, then the arguments) and what `-f -` reads. Answers
// `version` (minor FAKE_KUBECTL_MINOR), the ApplySet parent lookup (FAKE_APPLYSET_PARENT; FAKE_NO_APPLYSET_CRD:
// the parents' CRD is not installed), a server-side dry run (FAKE_DRY_RUN_OUTPUT) and `diff` (exit
// FAKE_DIFF_EXIT); `port-forward` serves FAKE_FORWARD_TICKS tenths of a second and then exits 1, as kubectl
// does when its pod goes away. Anything else exits FAKE_KUBECTL_EXIT.
writeFileSync(
  join(fakeBin, "kubectl"),
  `#!/bin/sh
echo "\${KUBECTL_APPLYSET:+KUBECTL_APPLYSET=$KUBECTL_APPLYSET }$*" >> "${invocations}"
case "$*" in *" -f -") cat >> "${stdinLog}";; esac
case "$1" in
  version)
    minor="\${FAKE_KUBECTL_MINOR:-32}"
    echo '{"clientVersion":{"major":"1","minor":"'"$minor"'","gitVersion":"v1.'"$minor"'.0"}}'
    exit 0;;
  get)
    case "$2" in applysets.*)
      if [ -n "$FAKE_NO_APPLYSET_CRD" ]; then echo "error: the server doesn't have a resource type applysets" >&2; exit 1; fi
      [ -n "$FAKE_APPLYSET_PARENT" ] && echo "applyset.infer8s.io/$FAKE_APPLYSET_PARENT"
      exit 0;;
    esac;;
  diff) exit "\${FAKE_DIFF_EXIT:-0}";;
  port-forward)
    trap 'exit 0' INT TERM
    echo "Forwarding from $5"
    i=0
    while [ "$i" -lt "\${FAKE_FORWARD_TICKS:-1}" ]; do sleep 0.1; i=$((i + 1)); done
    echo "lost connection to pod" >&2
    exit 1;;
esac
case "$*" in *--dry-run=server*) printf '%s' "$FAKE_DRY_RUN_OUTPUT";; esac
exit "\${FAKE_KUBECTL_EXIT:-0}"
`,
);
chmodSync(join(fakeBin, "kubectl"), 0o755);

interface OpsRun {
  status: number | null;
  stdout: string;
  stderr: string;
  /** kubectl invocations, in order. */
  kubectl: string[];
  /** What kubectl read from stdin, all invocations together. */
  stdin: string;
}

interface RunningOps {
  readonly child: ChildProcess;
  readonly output: () => { stdout: string; stderr: string };
  readonly done: Promise<OpsRun>;
}

function kubectlCalls(): string[] {
  return existsSync(invocations) ? readFileSync(invocations, "utf8").trim().split("\n") : [];
}

function kubectlEnvironment(env: Record<string, string>): Record<string, string | undefined> {
  return { PATH: `${fakeBin}:${process.env.PATH}`, HOME: process.env.HOME, ...env };
}

function resetFakeKubectl(): void {
  rmSync(invocations, { force: true });
  rmSync(stdinLog, { force: true });
}

function finished(status: number | null, stdout: string, stderr: string): OpsRun {
  return {
    status,
    stdout,
    stderr,
    kubectl: kubectlCalls(),
    stdin: existsSync(stdinLog) ? readFileSync(stdinLog, "utf8") : "",
  };
}

/** `npm run ops -- <args>` as a process (`node --import tsx ops/main.ts`, what the npm script runs). */
function startOps(args: string[], env: Record<string, string> = {}): RunningOps {
  resetFakeKubectl();
  const child = spawn(process.execPath, ["--import", "tsx", "ops/main.ts", ...args], {
    cwd: root,
    env: kubectlEnvironment(env),
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const done = new Promise<OpsRun>((resolve) =>
    child.once("close", (status) => resolve(finished(status, stdout, stderr))),
  );
  return { child, output: () => ({ stdout, stderr }), done };
}

/** Variables the fake kubectl or the CLI read: unset in this process unless a test sets them. */
const VARIABLES = [
  "FAKE_KUBECTL_MINOR",
  "FAKE_APPLYSET_PARENT",
  "FAKE_NO_APPLYSET_CRD",
  "FAKE_DRY_RUN_OUTPUT",
  "FAKE_DIFF_EXIT",
  "FAKE_FORWARD_TICKS",
  "FAKE_KUBECTL_EXIT",
  "INFER8S_DRY_RUN",
  "KUBECTL_APPLYSET",
];

/**
 * `npm run ops -- <args>` in this process: `runOps` with the fake kubectl first on PATH and `env` set,
 * what it prints to the console collected. Asynchronous, so a server in this process can answer the load
 * generator.
 */
async function ops(args: string[], env: Record<string, string> = {}): Promise<OpsRun> {
  resetFakeKubectl();
  for (const [name, value] of Object.entries({ ...kubectlEnvironment({}), ...env })) vi.stubEnv(name, value);
  for (const name of VARIABLES.filter((name) => !(name in env))) vi.stubEnv(name, undefined);
  let stdout = "";
  let stderr = "";
  const log = vi.spyOn(console, "log").mockImplementation((...line) => (stdout += `${format(...line)}\n`));
  const error = vi
    .spyOn(console, "error")
    .mockImplementation((...line) => (stderr += `${format(...line)}\n`));
  try {
    return finished(await runOps(args), stdout, stderr);
  } finally {
    log.mockRestore();
    error.mockRestore();
    vi.unstubAllEnvs();
  }
}

/** The commands a run printed (`$ ...` lines), without the prompt, the program name and here-documents. */
function printed(run: OpsRun): string[] {
  return run.stdout
    .split("\n")
    .filter((line) => line.startsWith("$ "))
    .map((line) =>
      line
        .slice(2)
        .replace(/ <<'EOF'$/, "")
        .replace(/^((?:\w+=\S+ )*)kubectl /, "$1"),
    );
}

async function until(condition: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("timed out");
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

afterAll(() => rmSync(fakeBin, { recursive: true, force: true }));

describe("npm run ops deploy and diff", () => {
  const set = applySetFor(undefined);
  const pruningApply = `KUBECTL_APPLYSET=true apply -f dist --server-side --prune --applyset=${set.flag}`;

  it("first deploy checks kubectl, installs the parent CRD, creates the parent, applies with pruning", async () => {
    const run = await ops(["deploy"]);
    expect(run.status).toBe(0);
    expect(run.kubectl).toEqual([
      "version --client --output json",
      "apply --server-side -f -",
      "wait --for=condition=Established customresourcedefinition/applysets.infer8s.io --timeout=60s",
      `get ${set.flag} --ignore-not-found --output name`,
      "create -f -",
      pruningApply,
      rollout,
    ]);
    expect(printed(run)).toEqual(run.kubectl);
    expect(run.stdin).toContain("kind: CustomResourceDefinition");
    expect(run.stdin).toContain(`applyset.kubernetes.io/id: ${set.id}`);
    expect(run.stdin).toContain("applyset.kubernetes.io/tooling: kubectl/v1.32.0");
    expect(run.stdout).toContain("First deploy of ApplySet infer8s");
  });

  it("later deploys keep the existing parent, whose annotations list the set's members", async () => {
    const run = await ops(["deploy"], { FAKE_APPLYSET_PARENT: "infer8s" });
    expect(run.status).toBe(0);
    expect(run.kubectl).not.toContain("create -f -");
    expect(run.kubectl.slice(-2)).toEqual([pruningApply, rollout]);
  });

  it("refuses an older kubectl with the reason, before touching the cluster", async () => {
    const run = await ops(["deploy"], { FAKE_KUBECTL_MINOR: "26" });
    expect(run.status).toBe(1);
    expect(run.kubectl).toEqual(["version --client --output json"]);
    expect(run.stderr).toContain(
      "kubectl v1.26.0 cannot prune: `kubectl apply --prune --applyset` needs kubectl 1.27 or newer",
    );
    expect(run.stderr).toContain("KUBECTL_APPLYSET=true");
  });

  it("stops at the first failing command and exits with its code", async () => {
    const run = await ops(["deploy"], { FAKE_KUBECTL_EXIT: "3" });
    expect(run.status).toBe(3);
    expect(run.kubectl).toEqual(["version --client --output json", "apply --server-side -f -"]);
    expect(run.stdout).toContain("kubectl exited with code 3");
  });

  it("deploy --env NAME applies dist/NAME as that environment's own ApplySet", async () => {
    const base = join(fakeBin, "envs");
    mkdirSync(base, { recursive: true });
    cpSync(join(root, "dist"), join(base, "staging"), { recursive: true });
    const run = await ops(["--dist", base, "--env", "staging", "deploy"], {
      FAKE_APPLYSET_PARENT: "infer8s-staging",
    });
    expect(run.status).toBe(0);
    const staging = applySetFor("staging");
    expect(run.kubectl.slice(-2)).toEqual([
      `KUBECTL_APPLYSET=true apply -f ${join(base, "staging")} --server-side --prune --applyset=${staging.flag}`,
      rollout,
    ]);
    const missing = await ops(["--dist", base, "--env", "qa", "deploy"]);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain(`--env qa: ${join(base, "qa")}/ does not exist`);
    expect(missing.stderr).toContain("found: staging");
    expect(missing.kubectl).toEqual([]);
  });

  it("diff reports differences (exit 1) and names the objects deploy would prune", async () => {
    const run = await ops(["diff"], {
      FAKE_DIFF_EXIT: "1",
      FAKE_APPLYSET_PARENT: "infer8s",
      FAKE_DRY_RUN_OUTPUT:
        "deployment.apps/iris-inference serverside-applied (server dry run)\n" +
        "configmap/old-dashboards pruned (server dry run)\n",
    });
    expect(run.status).toBe(1);
    expect(run.kubectl).toEqual([
      "diff -f dist --server-side --field-manager=infer8s-diff --force-conflicts",
      "version --client --output json",
      `get ${set.flag} --ignore-not-found --output name`,
      `${pruningApply} --dry-run=server`,
    ]);
    expect(run.stdout).toContain("npm run ops -- deploy");
    expect(run.stdout).toContain(
      "deploy would delete 1 object(s) no longer in dist/:\n  configmap/old-dashboards pruned",
    );
    expect(run.stdout).not.toContain("kubectl exited with code");
  });

  it("diff says when nothing would be pruned, and before the first deploy that nothing can be", async () => {
    const clean = await ops(["diff"], {
      FAKE_APPLYSET_PARENT: "infer8s",
      FAKE_DRY_RUN_OUTPUT: "x unchanged\n",
    });
    expect(clean.status).toBe(0);
    expect(clean.stdout).toContain("deploy would delete nothing");
    const first = await ops(["diff"], { FAKE_NO_APPLYSET_CRD: "1" });
    expect(first.status).toBe(0);
    expect(first.stdout).toContain("No ApplySet infer8s in the cluster yet");
    expect(first.kubectl.some((call) => call.includes("--dry-run=server"))).toBe(false);
  });
});

describe("npm run ops as a process", () => {
  it("first deploy runs every step and exits 0", async () => {
    const run = await startOps(["deploy"]).done;
    expect(run.status).toBe(0);
    expect(run.kubectl.at(-1)).toBe(rollout);
    expect(printed(run)).toEqual(run.kubectl);
    expect(run.stdout).toContain("First deploy of ApplySet infer8s");
  });

  it("exits with kubectl's code when a step fails", async () => {
    const run = await startOps(["deploy"], { FAKE_KUBECTL_EXIT: "3" }).done;
    expect(run.status).toBe(3);
    expect(run.kubectl).toEqual(["version --client --output json", "apply --server-side -f -"]);
  });

  it("exits 2 with the hint on a command-line mistake", async () => {
    const run = await startOps(["scale", "two"]).done;
    expect(run.status).toBe(2);
    expect(run.stderr).toBe(
      `scale: <replicas> must be a whole number >= 0, got "two"\nSee: npm run ops -- help\n`,
    );
    expect(run.kubectl).toEqual([]);
  });
});

describe("npm run ops", () => {
  it("--dry-run prints the commands and runs none", async () => {
    const run = await ops(["--dry-run", "restart"]);
    expect(run.status).toBe(0);
    expect(printed(run)).toEqual([
      `rollout restart deployment/${target.deploymentName} --namespace ${target.namespace}`,
      rollout,
    ]);
    expect(run.kubectl).toEqual([]);
    const deploy = await ops(["--dry-run", "deploy"]);
    expect(deploy.status).toBe(0);
    expect(printed(deploy)).toContain(
      `KUBECTL_APPLYSET=true apply -f dist --server-side --prune --applyset=${applySetFor(undefined).flag}`,
    );
    expect(deploy.kubectl).toEqual([]);
  });

  it("INFER8S_DRY_RUN=1 is the same as --dry-run", async () => {
    const run = await ops(["scale", "3"], { INFER8S_DRY_RUN: "1" });
    expect(run.status).toBe(0);
    expect(printed(run)).toEqual([
      `scale deployment/${target.deploymentName} --namespace ${target.namespace} --replicas=3`,
    ]);
    expect(run.kubectl).toEqual([]);
  });

  it("port-forward api forwards again when kubectl exits, says so on stderr, and stops cleanly on SIGINT", async () => {
    const api = target.portForward.api!;
    const forward = `port-forward --namespace ${api.namespace} service/${api.serviceName} ${api.localPort}:${api.servicePort} --address 127.0.0.1`;
    const running = startOps(["port-forward", "api"], { FAKE_FORWARD_TICKS: "3" });
    await until(() => kubectlCalls().length >= 3);
    running.child.kill("SIGINT");
    const run = await running.done;
    expect(run.status).toBe(0);
    expect(run.kubectl.length).toBeGreaterThanOrEqual(3);
    expect(new Set(run.kubectl)).toEqual(new Set([forward]));
    expect(run.stderr).toContain(
      "port-forward: kubectl exited with code 1 (the pod it forwarded to went away",
    );
    expect(run.stdout).toContain(`http://127.0.0.1:${api.localPort}${PATHS.info}`);
  });

  it("port-forward stops on SIGTERM while kubectl is serving, and kubectl is stopped too", async () => {
    const running = startOps(["port-forward", "api"], { FAKE_FORWARD_TICKS: "600" });
    await until(() => running.output().stdout.includes("Forwarding from"));
    running.child.kill("SIGTERM");
    const run = await running.done;
    expect(run.status).toBe(0);
    expect(run.kubectl).toHaveLength(1);
    expect(run.stderr).not.toContain("forwarding again");
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
    const flag = applySetFor(undefined).flag;
    const confirmed = await ops(["delete", "--yes"], { FAKE_APPLYSET_PARENT: "infer8s" });
    expect(confirmed.status).toBe(0);
    expect(confirmed.kubectl).toEqual([
      "delete -f dist --ignore-not-found",
      `get ${flag} --ignore-not-found --output name`,
      `delete ${flag} --ignore-not-found`,
    ]);
    // Deployed before pruning existed (or never): no parent to delete, and no error for its absence.
    const withoutParent = await ops(["delete", "--yes"]);
    expect(withoutParent.status).toBe(0);
    expect(withoutParent.kubectl).toEqual([
      "delete -f dist --ignore-not-found",
      `get ${flag} --ignore-not-found --output name`,
    ]);
  });

  it.each([
    [["scale"], "Usage: npm run ops -- scale <replicas>"],
    [["scale", "-1"], "Unknown option '-1'"],
    [["scale", "two"], `scale: <replicas> must be a whole number >= 0, got "two"`],
    [["port-forward", "db"], `port-forward: expected one of api, grafana, prometheus, got "db"`],
    [["logs", "--tail", "many"], `--tail must be a whole number >= 0, got "many"`],
    [["frobnicate"], `Unknown command "frobnicate"`],
    [["--frobnicate", "deploy"], "Unknown option '--frobnicate'"],
    [["--env", "Staging!", "deploy"], `--env must be a lowercase name like "staging", got "Staging!"`],
  ])("rejects %j with exit code 2 and a hint, without a stack trace: %s", async (args, message) => {
    const run = await ops(args);
    expect(run.status).toBe(2);
    expect(run.stderr).toContain(message);
    expect(run.stderr).toContain("See: npm run ops -- help");
    expect(run.stderr).not.toMatch(/^\s+at /m);
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

  it.each([["help"], ["--help"], ["-h"]])(
    "%s shows every command with the kubectl commands it runs",
    async (flag) => {
      const run = await ops([flag]);
      expect(run.status).toBe(0);
      for (const command of [
        "deploy",
        "diff",
        "status",
        "logs",
        "scale",
        "restart",
        "rollout",
        "port-forward",
        "delete",
        "load",
      ]) {
        expect(run.stdout).toMatch(new RegExp(`^  ${command}`, "m"));
      }
      expect(run.stdout).toContain(`$ KUBECTL_APPLYSET=true kubectl apply -f dist --server-side --prune`);
      expect(run.kubectl).toEqual([]);
    },
  );

  it.each([
    ["deploy", "--help"],
    ["port-forward", "-h"],
    ["help", "diff"],
  ])("%s %s shows that command's usage only", async (...args) => {
    const run = await ops(args);
    const command = args[0] === "help" ? args[1]! : args[0]!;
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(new RegExp(`^Usage: npm run ops -- ${command}`));
    expect(run.stdout).not.toMatch(/^ {2}restart/m);
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
    expect(run.stdout).toContain(`kubectl get hpa ${target.hpaName} --namespace ${target.namespace} --watch`);
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
