/**
 * The kubectl commands behind `npm run ops` act on the objects `kubectl apply -f dist` creates: names,
 * namespace, selector and ports are checked against the committed dist/ YAML, not retyped.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { DEFAULT_SETTINGS, resolveSettings } from "../charts/settings.js";
import {
  deleteSteps,
  deploySteps,
  diffSteps,
  formatCommand,
  logsSteps,
  portForwardSteps,
  restartSteps,
  ROLLOUT_TIMEOUT,
  rolloutSteps,
  scaleSteps,
  statusSteps,
} from "../ops/cluster-commands.js";
import { deploymentTarget } from "../ops/deployment-target.js";

interface K8sObject {
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  spec?: {
    selector?: { matchLabels?: Record<string, string> } & Record<string, string>;
    ports?: { port: number }[];
    maxReplicas?: number;
    minReplicas?: number;
    scaleTargetRef?: { name: string };
  };
}

const root = join(import.meta.dirname, "..");
const distObjects: K8sObject[] = readdirSync(join(root, "dist"))
  .filter((f) => f.endsWith(".yaml"))
  .sort()
  .flatMap((f) =>
    parseAllDocuments(readFileSync(join(root, "dist", f), "utf8")).map((d) => d.toJS() as K8sObject),
  );
const image = `${DEFAULT_SETTINGS.image.repository}:${DEFAULT_SETTINGS.image.tag}`;
const deployment = distObjects.find(
  (o) => o.kind === "Deployment" && JSON.stringify(o).includes(`"image":"${image}"`),
)!;
const hpa = distObjects.find(
  (o) => o.kind === "HorizontalPodAutoscaler" && o.spec?.scaleTargetRef?.name === deployment.metadata.name,
)!;
const service = distObjects.find(
  (o) => o.kind === "Service" && o.metadata.namespace === deployment.metadata.namespace && o.spec?.selector,
)!;
const namespace = deployment.metadata.namespace!;
const target = deploymentTarget(DEFAULT_SETTINGS);

describe("deployment target", () => {
  it("names the Deployment, namespace and HPA bounds that dist/ deploys", () => {
    expect(target.deploymentName).toBe(deployment.metadata.name);
    expect(target.namespace).toBe(namespace);
    expect([target.minReplicas, target.maxReplicas]).toEqual([hpa.spec?.minReplicas, hpa.spec?.maxReplicas]);
  });

  it("selects the pods with the Deployment's own selector", () => {
    const matchLabels = deployment.spec?.selector?.matchLabels ?? {};
    const expected = Object.entries(matchLabels).map(([k, v]) => `${k}=${v}`);
    expect(target.podSelector.split(",").sort()).toEqual(expected.sort());
    expect(expected.length).toBeGreaterThan(0);
  });

  it("follows settings overrides", () => {
    const custom = deploymentTarget(
      resolveSettings({ namespace: "ml-serving", portForwardPort: 9000, monitoring: { enabled: false } }),
    );
    expect(custom.namespace).toBe("ml-serving");
    expect(custom.portForward.api?.localPort).toBe(9000);
    expect(custom.monitoringNamespace).toBeUndefined();
    expect(custom.portForward.grafana).toBeUndefined();
  });
});

describe("kubectl commands", () => {
  const rolloutStatus = [
    "rollout",
    "status",
    `deployment/${deployment.metadata.name}`,
    "--namespace",
    namespace,
    `--timeout=${ROLLOUT_TIMEOUT}`,
  ];

  it("deploy applies the directory, then waits for the rollout", () => {
    expect(deploySteps(target, "dist")).toEqual([{ args: ["apply", "-f", "dist"] }, { args: rolloutStatus }]);
  });

  it("diff accepts exit code 1, which means there are differences", () => {
    expect(diffSteps("my-dist")).toEqual([{ args: ["diff", "-f", "my-dist"], acceptedExitCodes: [1] }]);
  });

  it("status lists the service's objects by selector, then the monitoring namespace", () => {
    const steps = statusSteps(target);
    expect(steps[0]?.args).toEqual([
      "get",
      "deployments,replicasets,pods,services,horizontalpodautoscalers,poddisruptionbudgets",
      "--namespace",
      namespace,
      "--selector",
      target.podSelector,
      "--output",
      "wide",
    ]);
    expect(steps.slice(1).map((s) => s.args[3])).toEqual(
      DEFAULT_SETTINGS.monitoring.enabled && DEFAULT_SETTINGS.monitoring.mode === "standalone"
        ? [DEFAULT_SETTINGS.monitoring.namespace]
        : [],
    );
  });

  it("logs streams every pod up to the HPA's maximum", () => {
    expect(logsSteps(target, { follow: true, tail: 20 })).toEqual([
      {
        args: [
          "logs",
          "--namespace",
          namespace,
          "--selector",
          target.podSelector,
          "--prefix",
          "--tail=20",
          `--max-log-requests=${Math.max(hpa.spec!.maxReplicas!, 5)}`,
          "--follow",
        ],
      },
    ]);
    expect(logsSteps(target, { follow: false, tail: 5 })[0]?.args).not.toContain("--follow");
  });

  it("scale sets the Deployment's replicas", () => {
    expect(scaleSteps(target, 4)).toEqual([
      { args: ["scale", `deployment/${deployment.metadata.name}`, "--namespace", namespace, "--replicas=4"] },
    ]);
  });

  it("restart rolls the Deployment and waits", () => {
    expect(restartSteps(target)).toEqual([
      { args: ["rollout", "restart", `deployment/${deployment.metadata.name}`, "--namespace", namespace] },
      { args: rolloutStatus },
    ]);
  });

  it("port-forward api reaches the Service port on the README's local port, on loopback only", () => {
    expect(portForwardSteps(target, "api")).toEqual([
      {
        args: [
          "port-forward",
          "--namespace",
          namespace,
          `service/${service.metadata.name}`,
          `${DEFAULT_SETTINGS.portForwardPort}:${service.spec!.ports![0]!.port}`,
          "--address",
          "127.0.0.1",
        ],
      },
    ]);
  });

  it.each(["grafana", "prometheus"] as const)(
    "port-forward %s reaches that Service of the standalone monitoring stack on its own port",
    (name) => {
      const forward = target.portForward[name]!;
      const deployed = distObjects.find(
        (o) =>
          o.kind === "Service" &&
          o.metadata.name === forward.serviceName &&
          o.metadata.namespace === forward.namespace,
      );
      expect(forward.namespace).toBe(DEFAULT_SETTINGS.monitoring.namespace);
      expect(deployed?.spec?.ports?.map((p) => p.port)).toEqual([forward.servicePort]);
      expect(portForwardSteps(target, name)?.[0]?.args).toEqual([
        "port-forward",
        "--namespace",
        forward.namespace,
        `service/${forward.serviceName}`,
        `${forward.servicePort}:${forward.servicePort}`,
        "--address",
        "127.0.0.1",
      ]);
    },
  );

  it("has nothing to forward to Grafana or Prometheus when kube-prometheus-stack runs them", () => {
    const operator = deploymentTarget(resolveSettings({ monitoring: { mode: "operator" } }));
    expect(portForwardSteps(operator, "grafana")).toBeUndefined();
    expect(portForwardSteps(operator, "prometheus")).toBeUndefined();
    expect(statusSteps(operator)).toHaveLength(1);
  });

  it("delete deletes the directory's objects and tolerates already-deleted ones", () => {
    expect(deleteSteps("dist")).toEqual([{ args: ["delete", "-f", "dist", "--ignore-not-found"] }]);
  });
});

describe("formatCommand", () => {
  it("prints plain arguments as they are and quotes the rest for a POSIX shell", () => {
    expect(formatCommand(["kubectl", "get", "pods", "--selector", "a=b,c=d"])).toBe(
      "kubectl get pods --selector a=b,c=d",
    );
    expect(formatCommand(["echo", "it's here", ""])).toBe(`echo 'it'\\''s here' ''`);
  });
});

describe("deployment target with an Argo Rollout (rollout.strategy canary or blueGreen)", () => {
  const canary = deploymentTarget(resolveSettings({ rollout: { strategy: "canary" } }));
  const rolling = { name: deployment.metadata.name, namespace };

  it("names the Rollout (the Deployment's name) and its strategy; none with the default rolling update", () => {
    expect(canary.rollout).toEqual({ name: rolling.name, strategy: "canary" });
    expect(deploymentTarget(resolveSettings({ rollout: { strategy: "blueGreen" } })).rollout).toEqual({
      name: rolling.name,
      strategy: "blueGreen",
    });
    expect(target.rollout).toBeUndefined();
  });

  it("rollout status and promote use the kubectl-argo-rollouts plugin; abort is a plain kubectl status patch", () => {
    expect(rolloutSteps(canary, "status")).toEqual([
      { args: ["argo", "rollouts", "get", "rollout", rolling.name, "--namespace", namespace] },
    ]);
    expect(rolloutSteps(canary, "promote")).toEqual([
      { args: ["argo", "rollouts", "promote", rolling.name, "--namespace", namespace] },
    ]);
    expect(rolloutSteps(canary, "abort")).toEqual([
      {
        args: [
          "patch",
          `rollouts.argoproj.io/${rolling.name}`,
          "--namespace",
          namespace,
          "--subresource=status",
          "--type=merge",
          "--patch",
          '{"status":{"abort":true}}',
        ],
      },
    ]);
    expect(rolloutSteps(target, "abort")).toBeUndefined();
  });

  it("deploy and restart wait with the plugin, scale and status address the Rollout", () => {
    const wait = [
      "argo",
      "rollouts",
      "status",
      rolling.name,
      "--namespace",
      namespace,
      "--timeout",
      ROLLOUT_TIMEOUT,
    ];
    expect(deploySteps(canary, "dist")).toEqual([{ args: ["apply", "-f", "dist"] }, { args: wait }]);
    expect(restartSteps(canary)).toEqual([
      { args: ["argo", "rollouts", "restart", rolling.name, "--namespace", namespace] },
      { args: wait },
    ]);
    expect(scaleSteps(canary, 3)[0]?.args.slice(0, 2)).toEqual([
      "scale",
      `rollouts.argoproj.io/${rolling.name}`,
    ]);
    expect(statusSteps(canary)[0]?.args[1]).toMatch(
      /^rollouts\.argoproj\.io,analysisruns\.argoproj\.io,replicasets,/,
    );
  });
});
