/**
 * The kubectl commands behind `npm run ops -- <command>`, as argv arrays built from a `DeploymentTarget`.
 * Pure functions: tests assert the exact commands, and the runner prints each one before running it.
 */
import {
  APPLYSET_ENV,
  APPLYSET_RESOURCE,
  applySetDefinitionManifest,
  applySetParentManifest,
  type ApplySetRef,
} from "./applyset.js";
import type { DeploymentTarget, PortForwardName } from "./deployment-target.js";

/** One kubectl invocation. */
export interface KubectlStep {
  /** Arguments after `kubectl`. */
  readonly args: readonly string[];
  /** Exit codes that mean success besides 0, e.g. 1 from `kubectl diff` when there are differences. */
  readonly acceptedExitCodes?: readonly number[];
  /** Environment variables kubectl needs besides the inherited ones, e.g. `KUBECTL_APPLYSET=true`. */
  readonly env?: Readonly<Record<string, string>>;
  /** YAML fed to `-f -`. */
  readonly stdin?: string;
}

/**
 * Field manager of `ops diff`'s server-side dry run. Not deploy's (kubectl's default, `kubectl`): under that
 * name every object would show the ApplySet's `part-of` label as removed, since diff does not add it.
 */
export const DIFF_FIELD_MANAGER = "infer8s-diff";

/** How long `deploy` and `restart` wait for the rollout before reporting failure. */
export const ROLLOUT_TIMEOUT = "5m";

/** Lines of history `logs` prints per pod before following. */
export const DEFAULT_LOG_TAIL = 100;

/** Arguments that run the Argo Rollouts kubectl plugin (`kubectl-argo-rollouts` on the PATH). */
const ARGO_ROLLOUTS_PLUGIN = ["argo", "rollouts"] as const;

/** The resource the pods belong to, as kubectl names it: `deployment/<name>` or the Argo Rollout. */
function workloadResource(target: DeploymentTarget): string {
  return target.rollout
    ? `rollouts.argoproj.io/${target.rollout.name}`
    : `deployment/${target.deploymentName}`;
}

/**
 * Waits for the server's rollout, failing after `ROLLOUT_TIMEOUT`: `kubectl rollout status` for the
 * Deployment, the Argo Rollouts plugin for a Rollout (kubectl's own only knows built-in kinds).
 */
export function rolloutStatusStep(target: DeploymentTarget): KubectlStep {
  if (target.rollout) {
    return {
      args: [
        ...ARGO_ROLLOUTS_PLUGIN,
        "status",
        target.rollout.name,
        "--namespace",
        target.namespace,
        "--timeout",
        ROLLOUT_TIMEOUT,
      ],
    };
  }
  return {
    args: [
      "rollout",
      "status",
      `deployment/${target.deploymentName}`,
      "--namespace",
      target.namespace,
      `--timeout=${ROLLOUT_TIMEOUT}`,
    ],
  };
}

/** Installs (or updates) the CustomResourceDefinition of ApplySet parents and waits until it is served. */
export function applySetDefinitionSteps(): KubectlStep[] {
  return [
    { args: ["apply", "--server-side", "-f", "-"], stdin: applySetDefinitionManifest() },
    {
      args: [
        "wait",
        "--for=condition=Established",
        `customresourcedefinition/${APPLYSET_RESOURCE}`,
        "--timeout=60s",
      ],
    },
  ];
}

/** Prints `applyset.infer8s.io/<name>` when the environment's parent exists, nothing when it does not. */
export function applySetLookupStep(applySet: ApplySetRef): KubectlStep {
  return { args: ["get", applySet.flag, "--ignore-not-found", "--output", "name"] };
}

/** Creates the parent; only run when the lookup printed nothing (re-creating it would reset the set). */
export function applySetCreationStep(applySet: ApplySetRef, kubectlVersion: string): KubectlStep {
  return { args: ["create", "-f", "-"], stdin: applySetParentManifest(applySet, kubectlVersion) };
}

/**
 * Server-side apply of the directory (files in name order: namespaces first) as the environment's ApplySet:
 * kubectl labels every object `applyset.kubernetes.io/part-of=<id>`, then deletes the objects carrying that
 * label which the directory no longer holds. `dryRun` makes it a server-side dry run that only reports.
 */
export function pruningApplyStep(distDir: string, applySet: ApplySetRef, dryRun = false): KubectlStep {
  return {
    args: [
      "apply",
      "-f",
      distDir,
      "--server-side",
      "--prune",
      `--applyset=${applySet.flag}`,
      ...(dryRun ? ["--dry-run=server"] : []),
    ],
    env: APPLYSET_ENV,
  };
}

/**
 * Everything `deploy` runs, in order. The creation step runs only when the lookup before it finds no parent.
 * `kubectlVersion` goes into the parent's tooling annotation (kubectl only checks the `kubectl/` part).
 */
export function deploySteps(
  target: DeploymentTarget,
  distDir: string,
  applySet: ApplySetRef,
  kubectlVersion: string,
): KubectlStep[] {
  return [
    ...applySetDefinitionSteps(),
    applySetLookupStep(applySet),
    applySetCreationStep(applySet, kubectlVersion),
    pruningApplyStep(distDir, applySet),
    rolloutStatusStep(target),
  ];
}

/**
 * What `deploy` would change: the field-level diff (exit code 1 means "there are differences"), then a
 * server-side dry run of the pruning apply, which names the objects deploy would delete. (`kubectl diff`
 * has `--prune` but no `--applyset` as of kubectl 1.32; kubernetes/kubectl#1435.)
 */
export function diffSteps(distDir: string, applySet: ApplySetRef): KubectlStep[] {
  return [
    {
      args: [
        "diff",
        "-f",
        distDir,
        "--server-side",
        `--field-manager=${DIFF_FIELD_MANAGER}`,
        // A dry run under another manager's name: take over fields without asking, nothing is written.
        "--force-conflicts",
      ],
      acceptedExitCodes: [1],
    },
    pruningApplyStep(distDir, applySet, true),
  ];
}

/** Lists the server's objects and pods, then the standalone monitoring stack's. */
export function statusSteps(target: DeploymentTarget): KubectlStep[] {
  const steps: KubectlStep[] = [
    {
      args: [
        "get",
        `${target.rollout ? "rollouts.argoproj.io,analysisruns.argoproj.io" : "deployments"},replicasets,pods,services,horizontalpodautoscalers,poddisruptionbudgets`,
        "--namespace",
        target.namespace,
        "--selector",
        target.podSelector,
        "--output",
        "wide",
      ],
    },
  ];
  if (target.monitoringNamespace !== undefined) {
    steps.push({
      args: [
        "get",
        "deployments,pods,services",
        "--namespace",
        target.monitoringNamespace,
        "--output",
        "wide",
      ],
    });
  }
  return steps;
}

/** Logs of every server pod, each line prefixed with its pod. */
export function logsSteps(
  target: DeploymentTarget,
  options: { follow: boolean; tail: number },
): KubectlStep[] {
  return [
    {
      args: [
        "logs",
        "--namespace",
        target.namespace,
        "--selector",
        target.podSelector,
        "--prefix",
        `--tail=${options.tail}`,
        // kubectl streams from at most 5 pods unless told otherwise; the HPA may run more.
        `--max-log-requests=${Math.max(target.maxReplicas, 5)}`,
        ...(options.follow ? ["--follow"] : []),
      ],
    },
  ];
}

/** Sets the Deployment's (or Rollout's) replica count (the HPA moves it back within its bounds). */
export function scaleSteps(target: DeploymentTarget, replicas: number): KubectlStep[] {
  return [
    {
      args: ["scale", workloadResource(target), "--namespace", target.namespace, `--replicas=${replicas}`],
    },
  ];
}

/** Replaces every server pod one by one (surge first, no serving pod removed early) and waits. */
export function restartSteps(target: DeploymentTarget): KubectlStep[] {
  return [
    target.rollout
      ? { args: [...ARGO_ROLLOUTS_PLUGIN, "restart", target.rollout.name, "--namespace", target.namespace] }
      : {
          args: [
            "rollout",
            "restart",
            `deployment/${target.deploymentName}`,
            "--namespace",
            target.namespace,
          ],
        },
    rolloutStatusStep(target),
  ];
}

/** Verbs of `npm run ops -- rollout <verb>`. */
export const ROLLOUT_VERBS = ["status", "promote", "abort"] as const;
export type RolloutVerb = (typeof ROLLOUT_VERBS)[number];

/**
 * Progressive delivery by hand; undefined when no Rollout is deployed (`rollout.strategy: "rolling"`).
 * - status: the plugin's tree of ReplicaSets, pods, step and analysis runs (`--watch` off: it returns).
 * - promote: the plugin, which knows how to leave a canary pause step or switch a blue-green Rollout.
 * - abort: plain kubectl, the same merge patch of the status subresource the plugin sends, so an emergency
 *   abort needs nothing beyond kubectl 1.24+: traffic goes back to the stable pods, the new ones scale down.
 */
export function rolloutSteps(target: DeploymentTarget, verb: RolloutVerb): KubectlStep[] | undefined {
  if (!target.rollout) return undefined;
  const { name } = target.rollout;
  switch (verb) {
    case "status":
      return [{ args: [...ARGO_ROLLOUTS_PLUGIN, "get", "rollout", name, "--namespace", target.namespace] }];
    case "promote":
      return [{ args: [...ARGO_ROLLOUTS_PLUGIN, "promote", name, "--namespace", target.namespace] }];
    case "abort":
      return [
        {
          args: [
            "patch",
            `rollouts.argoproj.io/${name}`,
            "--namespace",
            target.namespace,
            "--subresource=status",
            "--type=merge",
            "--patch",
            '{"status":{"abort":true}}',
          ],
        },
      ];
  }
}

/** Forwards a local loopback port to a Service; returns undefined when that service is not deployed. */
export function portForwardSteps(target: DeploymentTarget, name: PortForwardName): KubectlStep[] | undefined {
  const service = target.portForward[name];
  if (service === undefined) return undefined;
  return [
    {
      args: [
        "port-forward",
        "--namespace",
        service.namespace,
        `service/${service.serviceName}`,
        `${service.localPort}:${service.servicePort}`,
        "--address",
        "127.0.0.1",
      ],
    },
  ];
}

/** Deletes everything `deploy` created, namespaces included, and then the environment's ApplySet parent. */
export function deleteSteps(distDir: string, applySet: ApplySetRef): KubectlStep[] {
  return [
    { args: ["delete", "-f", distDir, "--ignore-not-found"] },
    { args: ["delete", applySet.flag, "--ignore-not-found"] },
  ];
}

/**
 * A step as a shell-pasteable command: environment variables first, YAML on stdin as a here-document.
 *
 * @example formatStep({ args: ["get", "pods"], env: { A: "1" } }) // "A=1 kubectl get pods"
 */
export function formatStep(step: KubectlStep): string {
  const env = Object.entries(step.env ?? {}).map(([key, value]) => `${key}=${value}`);
  const line = formatCommand([...env, "kubectl", ...step.args]);
  return step.stdin === undefined ? line : `${line} <<'EOF'\n${step.stdin}EOF`;
}

/**
 * `argv` as one shell-pasteable line, quoting only what needs it.
 *
 * @example formatCommand(["kubectl", "get", "pods"]) // "kubectl get pods"
 */
export function formatCommand(argv: readonly string[]): string {
  return argv
    .map((arg) => (/^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`))
    .join(" ");
}
