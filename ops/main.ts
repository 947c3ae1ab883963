/**
 * `npm run ops -- <command> [options]`: day-2 operations on the deployed service. Every command prints
 * the kubectl command it runs; `--dry-run` (or INFER8S_DRY_RUN=1) prints without running.
 * `npm run ops -- help` lists the commands with the exact kubectl commands for the current settings.
 */
import { parseArgs } from "node:util";
import { readSettingsOverrides, resolveSettings } from "../charts/settings.js";
import { PATHS } from "../src/contract/index.js";
import {
  DEFAULT_LOG_TAIL,
  deleteSteps,
  deploySteps,
  diffSteps,
  formatCommand,
  logsSteps,
  portForwardSteps,
  restartSteps,
  ROLLOUT_VERBS,
  rolloutSteps,
  scaleSteps,
  statusSteps,
  type KubectlStep,
} from "./cluster-commands.js";
import {
  deploymentTarget,
  PORT_FORWARD_NAMES,
  type DeploymentTarget,
  type PortForwardName,
} from "./deployment-target.js";
import { runKubectl } from "./kubectl-runner.js";
import { generateLoad, LOAD_DEFAULTS, loadTestOptions, type LoadOptions } from "./load-generator.js";

/** A mistake in the command line: printed with the usage hint, exit code 2. */
class UsageError extends Error {}

const { values, positionals } = parseArgsOrExit();
const dryRun = values["dry-run"] === true || process.env.INFER8S_DRY_RUN === "1";
const distDir = values.dist;

try {
  process.exitCode = await main();
} catch (error) {
  console.error(
    error instanceof UsageError ? `${error.message}\nSee: npm run ops -- help` : (error as Error).message,
  );
  process.exitCode = error instanceof UsageError ? 2 : 1;
}

async function main(): Promise<number> {
  const [command, ...args] = positionals;
  const settings = resolveSettings(values.settings ? readSettingsOverrides(values.settings) : {});
  const target = deploymentTarget(settings);
  const run = (steps: readonly KubectlStep[]): Promise<number> => runKubectl(steps, { dryRun });
  const expectArgs = (count: number, usage: string): void => {
    if (args.length !== count) throw new UsageError(`Usage: npm run ops -- ${usage}`);
  };

  switch (command) {
    case undefined:
    case "help":
      console.log(helpText(target, settings.portForwardPort));
      return 0;
    case "deploy":
      expectArgs(0, "deploy");
      return run(deploySteps(target, distDir));
    case "diff": {
      expectArgs(0, "diff");
      const code = await run(diffSteps(distDir));
      if (code === 1)
        console.log("The cluster differs from the YAML above; `npm run ops -- deploy` applies it.");
      return code;
    }
    case "status":
      expectArgs(0, "status");
      return run(statusSteps(target));
    case "logs":
      expectArgs(0, "logs [--follow] [--tail N]");
      return run(
        logsSteps(target, { follow: values.follow === true, tail: integerOption("tail", values.tail, 0) }),
      );
    case "scale": {
      expectArgs(1, "scale <replicas>");
      const replicas = Number(args[0]);
      if (!Number.isInteger(replicas) || replicas < 0 || !/^\d+$/.test(args[0]!)) {
        throw new UsageError(`scale: <replicas> must be a whole number >= 0, got "${args[0]}"`);
      }
      console.log(
        `Note: the HorizontalPodAutoscaler keeps ${target.rollout ? "the Rollout " : ""}${target.deploymentName} between ${target.minReplicas} and ` +
          `${target.maxReplicas} replicas and will move it back within those bounds; change autoscaling in ` +
          `charts/settings.ts to change them for good.`,
      );
      return run(scaleSteps(target, replicas));
    }
    case "restart":
      expectArgs(0, "restart");
      return run(restartSteps(target));
    case "rollout": {
      expectArgs(1, `rollout <${ROLLOUT_VERBS.join("|")}>`);
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
      return run(steps);
    }
    case "port-forward": {
      expectArgs(1, `port-forward <${PORT_FORWARD_NAMES.join("|")}>`);
      const name = args[0] as PortForwardName;
      if (!PORT_FORWARD_NAMES.includes(name)) {
        throw new UsageError(
          `port-forward: expected one of ${PORT_FORWARD_NAMES.join(", ")}, got "${args[0]}"`,
        );
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
      return run(steps);
    }
    case "delete":
      expectArgs(0, "delete --yes");
      if (values.yes !== true && !dryRun) {
        throw new UsageError(
          `delete removes every object in ${distDir}/, namespaces ${target.namespace}` +
            `${target.monitoringNamespace ? ` and ${target.monitoringNamespace}` : ""} included. ` +
            `Run again with --yes to confirm (or --dry-run to see the command).`,
        );
      }
      return run(deleteSteps(distDir));
    case "load":
      expectArgs(0, "load [--url URL] [--duration S] [--requests N] [--connections C] [--allow-remote]");
      return load(target, settings.portForwardPort);
    default:
      throw new UsageError(`Unknown command "${command}"`);
  }
}

async function load(target: DeploymentTarget, portForwardPort: number): Promise<number> {
  const options: LoadOptions = {
    url: values.url ?? `http://127.0.0.1:${portForwardPort}${PATHS.predict}`,
    durationSeconds: integerOption("duration", values.duration, 1),
    maxRequests: integerOption("requests", values.requests, 1),
    connections: integerOption("connections", values.connections, 1),
    allowRemote: values["allow-remote"] === true,
  };
  try {
    loadTestOptions(options);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  console.log(
    `POST ${options.url} with ${options.connections} connections, for at most ${options.durationSeconds} s or ` +
      `${options.maxRequests} requests. Watch the autoscaler in another terminal:\n` +
      `  ${formatCommand(["kubectl", "get", "hpa", target.deploymentName, "--namespace", target.namespace, "--watch"])}`,
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

function helpText(target: DeploymentTarget, portForwardPort: number): string {
  const show = (steps: readonly KubectlStep[] | undefined): string =>
    (steps ?? []).map((s) => `      $ ${formatCommand(["kubectl", ...s.args])}`).join("\n") ||
    "      (not deployed with these settings)";
  const lines = [
    "Usage: npm run ops -- <command> [options]",
    "",
    "Commands, with the kubectl commands they run for the current settings:",
    `  deploy              apply ${distDir}/ and wait for the rollout`,
    show(deploySteps(target, distDir)),
    `  diff                what deploy would change (exit code 1: there are differences)`,
    show(diffSteps(distDir)),
    "  status              the service's objects and pods (and the monitoring stack's)",
    show(statusSteps(target)),
    `  logs [--follow] [--tail N]   server logs from every pod (default --tail ${DEFAULT_LOG_TAIL})`,
    show(logsSteps(target, { follow: false, tail: DEFAULT_LOG_TAIL })),
    "  scale <replicas>    set the replica count (the autoscaler moves it back within its bounds)",
    show(scaleSteps(target, target.minReplicas)),
    "  restart             roll every pod, surge first, and wait",
    show(restartSteps(target)),
    "  rollout status      the Argo Rollout's step, ReplicaSets and analysis (kubectl-argo-rollouts plugin)",
    show(rolloutSteps(target, "status")),
    "  rollout promote     leave the current pause (canary) or switch to the new pods (blue-green) (plugin)",
    show(rolloutSteps(target, "promote")),
    "  rollout abort       back to the stable pods, the new ones scaled down (plain kubectl)",
    show(rolloutSteps(target, "abort")),
    ...PORT_FORWARD_NAMES.flatMap((name) => [
      `  port-forward ${name.padEnd(10)} http://127.0.0.1:${target.portForward[name]?.localPort ?? "-"}`,
      show(portForwardSteps(target, name)),
    ]),
    "  delete --yes        delete everything deploy created, namespaces included",
    show(deleteSteps(distDir)),
    `  load                POST ${PATHS.predict} at http://127.0.0.1:${portForwardPort} (after port-forward api);`,
    `                      --duration S (${LOAD_DEFAULTS.durationSeconds}) --requests N (${LOAD_DEFAULTS.maxRequests}) ` +
      `--connections C (${LOAD_DEFAULTS.connections}),`,
    "                      loopback only unless --allow-remote",
    "",
    "Options: --settings FILE (overrides, as for npm run synth)  --dist DIR (default dist)",
    "         --dry-run or INFER8S_DRY_RUN=1: print the kubectl commands without running them",
  ];
  return lines.join("\n");
}

function parseArgsOrExit() {
  try {
    return parseArgs({
      allowPositionals: true,
      strict: true,
      options: {
        settings: { type: "string" },
        dist: { type: "string", default: "dist" },
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
  } catch (error) {
    console.error(`${(error as Error).message}\nSee: npm run ops -- help`);
    process.exit(2);
  }
}
