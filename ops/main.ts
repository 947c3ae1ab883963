/**
 * `npm run ops -- <command> [options]`: day-2 operations on the deployed service. Every command prints
 * the kubectl command it runs; `--dry-run` (or INFER8S_DRY_RUN=1) prints without running.
 * `npm run ops -- help` (or `--help`) lists the commands with the exact kubectl commands for the current
 * settings; `npm run ops -- <command> --help` shows one. `--env <name>` acts on `dist/<name>/`.
 */
import { existsSync, readdirSync, realpathSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { readSettingsOverrides, resolveSettings } from "../charts/settings.js";
import { PATHS } from "../src/contract/index.js";
import {
  APPLYSET_MIN_KUBECTL,
  applySetFor,
  type ApplySetRef,
  parseKubectlClientVersion,
  supportsApplySets,
  type KubectlClientVersion,
} from "./applyset.js";
import {
  applySetCreationStep,
  applySetDefinitionSteps,
  applySetLookupStep,
  DEFAULT_LOG_TAIL,
  deleteSteps,
  deploySteps,
  diffSteps,
  formatCommand,
  formatStep,
  logsSteps,
  portForwardSteps,
  pruningApplyStep,
  restartSteps,
  ROLLOUT_VERBS,
  rolloutStatusStep,
  rolloutSteps,
  scaleSteps,
  statusSteps,
  type KubectlStep,
} from "./cluster-commands.js";
import {
  deploymentTarget,
  PORT_FORWARD_NAMES,
  readDeploymentTarget,
  type DeploymentTarget,
  type PortForwardName,
} from "./deployment-target.js";
import { captureKubectl, runKubectl } from "./kubectl-runner.js";
import { generateLoad, LOAD_DEFAULTS, loadTestOptions, type LoadOptions } from "./load-generator.js";
import { keepForwarding } from "./port-forward.js";

/** A mistake in the command line: printed with the usage hint, exit code 2. */
class UsageError extends Error {}

/** What a command gets: the positional arguments after its name, and what to act on. */
interface CommandContext {
  readonly args: readonly string[];
  readonly target: DeploymentTarget;
  readonly portForwardPort: number;
}

/** One command: its usage (shown when the number of arguments is wrong) and what it does. */
interface CommandSpec {
  /** The command line after `npm run ops -- `, in the help and when the number of arguments is wrong. */
  readonly usage: string;
  /** How many positional arguments it takes. */
  readonly argCount: number;
  /** What it does, for the help. */
  readonly summary: (context: CommandContext) => string;
  /** The kubectl commands it runs, for the help. @default none shown */
  readonly helpSteps?: (target: DeploymentTarget) => readonly KubectlStep[];
  readonly run: (context: CommandContext) => Promise<number>;
}

const COMMANDS = {
  deploy: {
    usage: "deploy",
    argCount: 0,
    summary: () =>
      `server-side apply ${distDir}/ as ApplySet ${applySet.name}, deleting the objects removed from the charts ` +
      "since the last deploy (needs kubectl >= 1.27; the ApplySet's parent is created only when missing), then " +
      "wait for the rollout",
    helpSteps: (target) => deploySteps(target, distDir, applySet, "<kubectl version>"),
    run: ({ target }) => deploy(target),
  },
  diff: {
    usage: "diff",
    argCount: 0,
    summary: () =>
      "what deploy would change, and which objects it would delete (exit code 1: there are differences)",
    helpSteps: () => diffSteps(distDir, applySet),
    run: () => diff(),
  },
  status: kubectlCommand(
    "status",
    "the service's objects and pods (and the monitoring stack's)",
    statusSteps,
  ),
  logs: {
    usage: "logs [--follow] [--tail N]",
    argCount: 0,
    summary: () => `server logs from every pod (default --tail ${DEFAULT_LOG_TAIL})`,
    helpSteps: (target) => logsSteps(target, { follow: false, tail: DEFAULT_LOG_TAIL }),
    run: ({ target }) =>
      runSteps(
        logsSteps(target, { follow: values.follow === true, tail: integerOption("tail", values.tail, 0) }),
      ),
  },
  scale: {
    usage: "scale <replicas>",
    argCount: 1,
    summary: () => "set the replica count (the autoscaler moves it back within its bounds)",
    helpSteps: (target) => scaleSteps(target, target.minReplicas),
    run: scale,
  },
  restart: kubectlCommand("restart", "roll every pod, surge first, and wait", restartSteps),
  rollout: {
    usage: `rollout <${ROLLOUT_VERBS.join("|")}>`,
    argCount: 1,
    summary: () =>
      "with an Argo Rollout (rollout.strategy canary or blueGreen): its step, ReplicaSets and analysis; leave " +
      "the current pause or switch to the new pods (both with the kubectl-argo-rollouts plugin); or abort, " +
      "back to the stable pods (plain kubectl)",
    helpSteps: (target) => ROLLOUT_VERBS.flatMap((verb) => rolloutSteps(target, verb) ?? []),
    run: rollout,
  },
  "port-forward": {
    usage: `port-forward <${PORT_FORWARD_NAMES.join("|")}>`,
    argCount: 1,
    summary: ({ target }) =>
      `forward a loopback port (${PORT_FORWARD_NAMES.map(
        (name) => `${name} http://127.0.0.1:${target.portForward[name]?.localPort ?? "-"}`,
      ).join(
        ", ",
      )}); when the pod behind it goes away, forward again to one that is there (said on stderr) ` +
      "until Ctrl-C",
    helpSteps: (target) => PORT_FORWARD_NAMES.flatMap((name) => portForwardSteps(target, name) ?? []),
    run: portForward,
  },
  delete: {
    usage: "delete --yes",
    argCount: 0,
    summary: () => "delete everything deploy created, namespaces included, and the ApplySet's parent",
    helpSteps: () => deleteSteps(distDir, applySet),
    run: confirmedDelete,
  },
  load: {
    usage: "load [--url URL] [--duration S] [--requests N] [--connections C] [--allow-remote]",
    argCount: 0,
    summary: ({ portForwardPort }) =>
      `POST ${PATHS.predict} at http://127.0.0.1:${portForwardPort} (after port-forward api); defaults ` +
      `--duration ${LOAD_DEFAULTS.durationSeconds} --requests ${LOAD_DEFAULTS.maxRequests} ` +
      `--connections ${LOAD_DEFAULTS.connections}; loopback only unless --allow-remote`,
    run: ({ target, portForwardPort }) => load(target, portForwardPort),
  },
} satisfies Record<string, CommandSpec>;
type Command = keyof typeof COMMANDS;

/** A command without arguments that runs the kubectl steps it shows in the help. */
function kubectlCommand(
  usage: string,
  summary: string,
  steps: (target: DeploymentTarget) => readonly KubectlStep[],
): CommandSpec {
  return {
    usage,
    argCount: 0,
    summary: () => summary,
    helpSteps: steps,
    run: ({ target }) => runSteps(steps(target)),
  };
}

// One command line's state, set by runOps before main() runs.
let values: CommandLine["values"];
let positionals: readonly string[];
let dryRun: boolean;
let environment: string | undefined;
let distDir: string;
let applySet: ApplySetRef;

/**
 * Runs one `npm run ops` command line (the arguments after the script) with `process.env`, printing to the
 * console; returns the exit code: 0 done, 1 failed (or kubectl's exit code), 2 a command-line mistake.
 * Tests call it in process; run as a script (`npm run ops`), this module calls it with `process.argv`.
 *
 * @example process.exitCode = await runOps(["--dry-run", "status"]);
 */
export async function runOps(argv: readonly string[]): Promise<number> {
  try {
    ({ values, positionals } = parseCommandLine(argv));
  } catch (error) {
    console.error(`${(error as Error).message}\nSee: npm run ops -- help`);
    return 2;
  }
  dryRun = values["dry-run"] === true || process.env.INFER8S_DRY_RUN === "1";
  environment = values.env;
  distDir = environment === undefined ? values.dist : join(values.dist, environment);
  applySet = applySetFor(environment);
  try {
    return await main();
  } catch (error) {
    console.error(
      error instanceof UsageError ? `${error.message}\nSee: npm run ops -- help` : (error as Error).message,
    );
    return error instanceof UsageError ? 2 : 1;
  }
}

if (isEntryPoint()) process.exitCode = await runOps(process.argv.slice(2));

/** Whether node started this module (`npm run ops`), rather than a test importing runOps. */
function isEntryPoint(): boolean {
  try {
    return realpathSync(process.argv[1] ?? "") === fileURLToPath(import.meta.url);
  } catch {
    return false;
  }
}

async function main(): Promise<number> {
  const [command, ...args] = positionals;
  const settings = resolveSettings(values.settings ? readSettingsOverrides(values.settings) : {});
  const target = resolveTarget(settings.portForwardPort, () => deploymentTarget(settings));

  if (command === undefined || command === "help" || values.help === true) {
    const topic = command === "help" ? args[0] : command;
    if (topic !== undefined && !isCommand(topic)) throw new UsageError(`Unknown command "${topic}"`);
    console.log(helpText(target, settings.portForwardPort, topic));
    return 0;
  }
  if (!isCommand(command)) throw new UsageError(`Unknown command "${command}"`);
  const spec: CommandSpec = COMMANDS[command];
  if (args.length !== spec.argCount) throw new UsageError(`Usage: npm run ops -- ${spec.usage}`);
  return spec.run({ args, target, portForwardPort: settings.portForwardPort });
}

function runSteps(steps: readonly KubectlStep[]): Promise<number> {
  return runKubectl(steps, { dryRun });
}

/** `rollout <status|promote|abort>`: the Argo Rollout's verbs; refused when the settings deploy a Deployment. */
function rollout({ args, target }: CommandContext): Promise<number> {
  const verb = args[0] as (typeof ROLLOUT_VERBS)[number];
  if (!ROLLOUT_VERBS.includes(verb)) {
    throw new UsageError(`rollout: expected one of ${ROLLOUT_VERBS.join(", ")}, got "${args[0]}"`);
  }
  const steps = rolloutSteps(target, verb);
  if (steps === undefined) {
    throw new UsageError(
      `rollout ${verb}: these settings deploy a Deployment (rollout.strategy "rolling"), not an Argo Rollout; ` +
        `use deploy, status and restart`,
    );
  }
  return runSteps(steps);
}

/** `scale <replicas>`: sets the Deployment's replicas, saying that the HPA moves them back within bounds. */
function scale({ args, target }: CommandContext): Promise<number> {
  const replicas = Number(args[0]);
  if (!Number.isInteger(replicas) || replicas < 0 || !/^\d+$/.test(args[0]!)) {
    throw new UsageError(`scale: <replicas> must be a whole number >= 0, got "${args[0]}"`);
  }
  console.log(
    `Note: the HorizontalPodAutoscaler keeps ${target.rollout ? "the Rollout " : ""}${target.deploymentName} between ${target.minReplicas} and ` +
      `${target.maxReplicas} replicas and will move it back within those bounds; change autoscaling in ` +
      `charts/settings.ts to change them for good.`,
  );
  return runSteps(scaleSteps(target, replicas));
}

/** `port-forward <name>`: forwards to one Service, re-establishing the forward until Ctrl-C. */
function portForward({ args, target }: CommandContext): Promise<number> {
  const name = args[0] as PortForwardName;
  if (!PORT_FORWARD_NAMES.includes(name)) {
    throw new UsageError(`port-forward: expected one of ${PORT_FORWARD_NAMES.join(", ")}, got "${args[0]}"`);
  }
  const steps = portForwardSteps(target, name);
  if (steps === undefined) {
    throw new UsageError(
      `port-forward ${name}: these settings deploy no ${name} (monitoring.enabled is false or monitoring.mode ` +
        `is "operator"); with kube-prometheus-stack, forward that stack's ${name} Service instead.`,
    );
  }
  const service = target.portForward[name]!;
  console.log(`Forwarding http://127.0.0.1:${service.localPort}${service.path} (Ctrl-C to stop)`);
  if (dryRun) return runSteps(steps);
  console.log(`$ ${formatStep(steps[0]!)}`);
  return keepForwarding(steps[0]!);
}

/** `delete --yes`: deletes everything, only when confirmed (or only printed, with `--dry-run`). */
function confirmedDelete({ target }: CommandContext): Promise<number> {
  if (values.yes !== true && !dryRun) {
    throw new UsageError(
      `delete removes every object in ${distDir}/, namespaces ${target.namespace}` +
        `${target.monitoringNamespace ? ` and ${target.monitoringNamespace}` : ""} included. ` +
        `Run again with --yes to confirm (or --dry-run to see the command).`,
    );
  }
  return deleteAll();
}

function isCommand(name: string): name is Command {
  return Object.hasOwn(COMMANDS, name);
}

/**
 * The objects to act on: from settings for the default environment (so `--settings` works as for synth),
 * from the synthesized directory for `--env NAME`, whose settings this CLI does not rebuild.
 */
function resolveTarget(portForwardPort: number, fromSettings: () => DeploymentTarget): DeploymentTarget {
  if (environment === undefined) return fromSettings();
  if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(environment)) {
    throw new UsageError(`--env must be a lowercase name like "staging", got "${environment}"`);
  }
  if (values.settings !== undefined) {
    throw new UsageError(
      "--settings describes the default environment; --env reads dist/<env>/ as synthesized",
    );
  }
  if (!existsSync(distDir)) {
    const known = existsSync(values.dist)
      ? readdirSync(values.dist, { withFileTypes: true })
          .filter((entry) => entry.isDirectory())
          .map((entry) => entry.name)
      : [];
    throw new UsageError(
      `--env ${environment}: ${distDir}/ does not exist (npm run synth writes the environments; found: ` +
        `${known.join(", ") || "none"})`,
    );
  }
  return readDeploymentTarget(distDir, portForwardPort);
}

/** Reads kubectl's version and refuses, with the reason, one too old to prune with an ApplySet. */
async function checkKubectl(): Promise<KubectlClientVersion | number> {
  const answer = await captureKubectl({ args: ["version", "--client", "--output", "json"] });
  if (answer.exitCode !== 0) {
    console.error(answer.stderr.trim());
    return answer.exitCode;
  }
  const version = parseKubectlClientVersion(answer.stdout);
  if (version === undefined) {
    console.error(`Cannot read kubectl's version from \`kubectl version --client --output json\`.`);
    return 1;
  }
  if (!supportsApplySets(version)) {
    const { major, minor } = APPLYSET_MIN_KUBECTL;
    console.error(
      `kubectl ${version.gitVersion} cannot prune: \`kubectl apply --prune --applyset\` needs kubectl ` +
        `${major}.${minor} or newer (alpha there, enabled by KUBECTL_APPLYSET=true). Nothing was applied. ` +
        `Upgrade kubectl (https://kubernetes.io/docs/tasks/tools/), or apply without pruning, which never ` +
        `deletes an object removed from the charts: kubectl apply -f ${distDir}`,
    );
    return 1;
  }
  return version;
}

/** Whether the environment's ApplySet parent exists; a number is kubectl's failure exit code. */
async function parentExists(): Promise<boolean | number> {
  const lookup = await captureKubectl(applySetLookupStep(applySet));
  // Before the first deploy the parents' CRD is not installed: no such resource type, so no parent either.
  if (lookup.exitCode !== 0 && /doesn't have a resource type/.test(lookup.stderr)) return false;
  if (lookup.exitCode !== 0) {
    console.error(lookup.stderr.trim());
    return lookup.exitCode;
  }
  return lookup.stdout.trim() !== "";
}

async function deploy(target: DeploymentTarget): Promise<number> {
  if (dryRun) {
    return runKubectl(
      deploySteps(
        target,
        distDir,
        applySet,
        `v${APPLYSET_MIN_KUBECTL.major}.${APPLYSET_MIN_KUBECTL.minor}.0`,
      ),
      {
        dryRun,
      },
    );
  }
  const version = await checkKubectl();
  if (typeof version === "number") return version;
  const defined = await runKubectl(applySetDefinitionSteps(), { dryRun });
  if (defined !== 0) return defined;
  const exists = await parentExists();
  if (typeof exists === "number") return exists;
  if (!exists) {
    console.log(
      `First deploy of ApplySet ${applySet.name}: creating its parent, so nothing is pruned this time.`,
    );
    const created = await runKubectl([applySetCreationStep(applySet, version.gitVersion)], { dryRun });
    if (created !== 0) return created;
  }
  return runKubectl([pruningApplyStep(distDir, applySet), rolloutStatusStep(target)], { dryRun });
}

/** Deletes the directory's objects, then the ApplySet parent if there is one (none before pruning deploys). */
async function deleteAll(): Promise<number> {
  const [objects, parent] = deleteSteps(distDir, applySet);
  if (dryRun) return runKubectl([objects!, parent!], { dryRun });
  const code = await runKubectl([objects!], { dryRun });
  if (code !== 0) return code;
  const exists = await parentExists();
  if (typeof exists === "number") return exists;
  return exists ? runKubectl([parent!], { dryRun }) : 0;
}

async function diff(): Promise<number> {
  const [fieldDiff, prunePreview] = diffSteps(distDir, applySet);
  const code = await runKubectl([fieldDiff!], { dryRun });
  if (code !== 0 && code !== 1) return code;
  if (code === 1)
    console.log(`The cluster differs from ${distDir}/ (above); \`npm run ops -- deploy\` applies it.`);
  if (dryRun) return runKubectl([applySetLookupStep(applySet), prunePreview!], { dryRun });
  const version = await checkKubectl();
  if (typeof version === "number") return version;
  const exists = await parentExists();
  if (typeof exists === "number") return exists;
  if (!exists) {
    console.log(
      `No ApplySet ${applySet.name} in the cluster yet: the first deploy creates it and prunes nothing.`,
    );
    return code;
  }
  const preview = await captureKubectl(prunePreview!);
  if (preview.exitCode !== 0) {
    console.error(preview.stderr.trim());
    return preview.exitCode;
  }
  const pruned = preview.stdout.split("\n").filter((line) => /\bpruned\b/.test(line));
  if (pruned.length === 0) {
    console.log("deploy would delete nothing: every object of the ApplySet is still in the charts.");
    return code;
  }
  console.log(`deploy would delete ${pruned.length} object(s) no longer in ${distDir}/:`);
  for (const line of pruned) console.log(`  ${line.trim()}`);
  return 1;
}

async function load(target: DeploymentTarget, portForwardPort: number): Promise<number> {
  const options: LoadOptions = {
    url: values.url ?? `http://127.0.0.1:${portForwardPort}${PATHS.predict}`,
    durationSeconds: integerOption("duration", values.duration, 1),
    maxRequests: integerOption("requests", values.requests, 1),
    connections: integerOption("connections", values.connections, 1),
    allowRemote: values["allow-remote"] === true,
    // From the environment, never a flag: a flag's value shows in `ps` and the shell history.
    ...(process.env.INFER8S_API_KEY ? { apiKey: process.env.INFER8S_API_KEY } : {}),
  };
  try {
    loadTestOptions(options);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  console.log(
    `POST ${options.url} with ${options.connections} connections, for at most ${options.durationSeconds} s or ` +
      `${options.maxRequests} requests. Watch the autoscaler in another terminal:\n` +
      `  ${formatCommand(["kubectl", "get", "hpa", target.hpaName, "--namespace", target.namespace, "--watch"])}`,
  );
  if (dryRun) return 0;
  let lastReport = 0;
  const summary = await generateLoad(options, (responses) => {
    const now = Date.now();
    if (now - lastReport >= 10_000) {
      lastReport = now;
      console.log(`  ${responses} responses so far`);
    }
  });
  console.log(
    `Done: ${summary.requests} responses in ${summary.durationSeconds} s (${summary.requestsPerSecond}/s): ` +
      `${summary.status2xx} 2xx, ${summary.non2xx} other statuses, ${summary.errors} connection errors ` +
      `(${summary.timeouts} timeouts). Latency ms p50 ${summary.latencyMs.p50}, p90 ${summary.latencyMs.p90}, ` +
      `p99 ${summary.latencyMs.p99}, max ${summary.latencyMs.max}.`,
  );
  if (summary.requests === 0) {
    console.error(
      `No response from ${options.url}. Is the port-forward running? (npm run ops -- port-forward api)`,
    );
    return 1;
  }
  return 0;
}

function integerOption(name: string, raw: string | undefined, min: number): number {
  const value = Number(raw);
  if (raw === undefined || !/^\d+$/.test(raw) || value < min) {
    throw new UsageError(`--${name} must be a whole number >= ${min}, got "${raw}"`);
  }
  return value;
}

function helpText(target: DeploymentTarget, portForwardPort: number, topic: Command | undefined): string {
  const context: CommandContext = { args: [], target, portForwardPort };
  const show = (steps: readonly KubectlStep[]): string =>
    steps.map((step) => `      $ ${briefStep(step)}`).join("\n") ||
    "      (not deployed with these settings)";
  const chosen: CommandSpec[] = topic === undefined ? Object.values(COMMANDS) : [COMMANDS[topic]];
  const lines = [
    topic === undefined
      ? "Usage: npm run ops -- <command> [options]    (npm run ops -- <command> --help for one command)"
      : `Usage: npm run ops -- ${chosen[0]!.usage} [options]`,
    "",
    `${topic === undefined ? "Commands, with the kubectl commands they run" : "Runs"} for ${distDir}/:`,
    ...chosen.flatMap((command) => [
      `  ${command.usage}`,
      `      ${command.summary(context)}`,
      ...(command.helpSteps === undefined ? [] : [show(command.helpSteps(target))]),
    ]),
    "",
    "Options: --env NAME (act on dist/NAME/, e.g. staging; default: the default environment in dist/)",
    "         --settings FILE (overrides for the default environment, as for npm run synth)",
    "         --dist DIR: read DIR instead of dist (DIR/NAME with --env NAME)",
    "         --dry-run or INFER8S_DRY_RUN=1: print the kubectl commands without running them",
    "         -h, --help: this text",
  ];
  return lines.join("\n");
}

/** A step on one line for the help: a here-document is named by the object it carries. */
function briefStep(step: KubectlStep): string {
  if (step.stdin === undefined) return formatStep(step);
  const kind = /^kind: (\S+)/m.exec(step.stdin)?.[1];
  const name = /^ {2}name: (\S+)/m.exec(step.stdin)?.[1];
  return `${formatStep({ ...step, stdin: undefined })}    # stdin: ${kind}/${name}`;
}

/** The command line; throws node:util's error for an unknown option or a missing value. */
function parseCommandLine(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    options: {
      settings: { type: "string" },
      dist: { type: "string", default: "dist" },
      env: { type: "string" },
      help: { type: "boolean", short: "h" },
      "dry-run": { type: "boolean" },
      follow: { type: "boolean", short: "f" },
      tail: { type: "string", default: String(DEFAULT_LOG_TAIL) },
      yes: { type: "boolean" },
      url: { type: "string" },
      duration: { type: "string", default: String(LOAD_DEFAULTS.durationSeconds) },
      requests: { type: "string", default: String(LOAD_DEFAULTS.maxRequests) },
      connections: { type: "string", default: String(LOAD_DEFAULTS.connections) },
      "allow-remote": { type: "boolean" },
    },
  });
}

type CommandLine = ReturnType<typeof parseCommandLine>;
