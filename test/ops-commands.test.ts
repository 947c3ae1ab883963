/**
 * The kubectl commands behind `npm run ops` act on the objects `kubectl apply -f dist` creates: names,
 * namespace, selector and ports are checked against the committed dist/ YAML, not retyped.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parse, parseAllDocuments } from "yaml";
import { buildApp } from "../charts/app.js";
import { synthesizeInto } from "../charts/output-directory.js";
import { DEFAULT_SETTINGS, resolveSettings } from "../charts/settings.js";
import {
  APPLYSET_ENV,
  applySetFor,
  applySetId,
  applySetParentManifest,
  parseKubectlClientVersion,
  supportsApplySets,
} from "../ops/applyset.js";
import {
  applySetDefinitionSteps,
  deleteSteps,
  deploySteps,
  diffSteps,
  formatCommand,
  formatStep,
  logsSteps,
  portForwardSteps,
  restartSteps,
  ROLLOUT_TIMEOUT,
  rolloutSteps,
  scaleSteps,
  statusSteps,
} from "../ops/cluster-commands.js";
import { deploymentTarget, readDeploymentTarget } from "../ops/deployment-target.js";

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
const applySet = applySetFor(undefined);
const scratch = mkdtempSync(join(tmpdir(), "infer8s-ops-commands-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe("deployment target", () => {
  it("names the Deployment, namespace and HPA bounds that dist/ deploys", () => {
    expect(target.deploymentName).toBe(deployment.metadata.name);
    expect(target.namespace).toBe(namespace);
    expect([target.minReplicas, target.maxReplicas]).toEqual([hpa.spec?.minReplicas, hpa.spec?.maxReplicas]);
    expect(target.hpaName).toBe(hpa.metadata.name);
  });

  it("names KEDA's HorizontalPodAutoscaler in request-rate autoscaling mode", () => {
    const requests = deploymentTarget(resolveSettings({ autoscaling: { mode: "requests", maxReplicas: 6 } }));
    expect(requests.hpaName).toBe(`keda-hpa-${deployment.metadata.name}`);
    expect([requests.minReplicas, requests.maxReplicas]).toEqual([2, 6]);
  });

  it("selects the pods with the Deployment's own selector", () => {
    const matchLabels = deployment.spec?.selector?.matchLabels ?? {};
    const expected = Object.entries(matchLabels).map(([k, v]) => `${k}=${v}`);
    expect(target.podSelector.split(",").sort()).toEqual(expected.sort());
    expect(expected.length).toBeGreaterThan(0);
  });

  it("reads the same target from the synthesized directory, as --env does", () => {
    expect(readDeploymentTarget(join(root, "dist"), DEFAULT_SETTINGS.portForwardPort)).toEqual(target);
  });

  it.each([
    ["operator-mode monitoring", { monitoring: { mode: "operator" } }],
    ["no monitoring", { namespace: "ml-serving", monitoring: { enabled: false } }],
    ["a canary Rollout", { rollout: { strategy: "canary" } }],
    ["a blue-green Rollout", { namespace: "ml-blue", rollout: { strategy: "blueGreen" } }],
    ["request-rate autoscaling", { autoscaling: { mode: "requests", minReplicas: 3, maxReplicas: 7 } }],
    [
      "a canary Rollout scaled by KEDA",
      { rollout: { strategy: "canary" }, autoscaling: { mode: "requests" } },
    ],
  ] as const)(
    "reads the target of a directory synthesized with %s like the settings give it",
    (_, overrides) => {
      const settings = resolveSettings(overrides);
      const outdir = join(scratch, JSON.stringify(overrides).replace(/\W+/g, "-"));
      synthesizeInto(buildApp(settings, outdir).app);
      expect(readDeploymentTarget(outdir, settings.portForwardPort)).toEqual(deploymentTarget(settings));
    },
  );

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

  it("deploy installs the parent CRD, creates the parent when missing, applies with pruning, then waits", () => {
    const steps = deploySteps(target, "dist", applySet, "v1.32.4");
    expect(steps.map(formatStep).map((line) => line.split("\n")[0])).toEqual([
      "kubectl apply --server-side -f - <<'EOF'",
      "kubectl wait --for=condition=Established customresourcedefinition/applysets.infer8s.io --timeout=60s",
      "kubectl get applysets.infer8s.io/infer8s --ignore-not-found --output name",
      "kubectl create -f - <<'EOF'",
      "KUBECTL_APPLYSET=true kubectl apply -f dist --server-side --prune --applyset=applysets.infer8s.io/infer8s",
      formatCommand(["kubectl", ...rolloutStatus]),
    ]);
    expect(steps[4]).toEqual({
      args: ["apply", "-f", "dist", "--server-side", "--prune", "--applyset=applysets.infer8s.io/infer8s"],
      env: { KUBECTL_APPLYSET: "true" },
    });
  });

  it.each([
    ["staging", "dist/staging", "infer8s-staging"],
    ["production", "dist/production", "infer8s-production"],
  ])("deploy --env %s prunes its own ApplySet only", (environment, dir, parent) => {
    const steps = deploySteps(target, dir, applySetFor(environment), "v1.32.4");
    expect(steps[4]?.args).toEqual([
      "apply",
      "-f",
      dir,
      "--server-side",
      "--prune",
      `--applyset=applysets.infer8s.io/${parent}`,
    ]);
    expect(steps[2]?.args).toContain(`applysets.infer8s.io/${parent}`);
    expect(steps[3]?.stdin).toContain(`  name: ${parent}\n`);
  });

  it("diff shows field changes under its own field manager, then dry-runs the pruning apply", () => {
    expect(diffSteps("dist/staging", applySetFor("staging"))).toEqual([
      {
        args: [
          "diff",
          "-f",
          "dist/staging",
          "--server-side",
          "--field-manager=infer8s-diff",
          "--force-conflicts",
        ],
        acceptedExitCodes: [1],
      },
      {
        args: [
          "apply",
          "-f",
          "dist/staging",
          "--server-side",
          "--prune",
          "--applyset=applysets.infer8s.io/infer8s-staging",
          "--dry-run=server",
        ],
        env: APPLYSET_ENV,
      },
    ]);
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

  it("delete deletes the directory's objects, then the ApplySet parent, tolerating already-deleted ones", () => {
    expect(deleteSteps("dist", applySet)).toEqual([
      { args: ["delete", "-f", "dist", "--ignore-not-found"] },
      { args: ["delete", "applysets.infer8s.io/infer8s", "--ignore-not-found"] },
    ]);
  });
});

describe("ApplySet", () => {
  it("computes the parent ID as kubectl does (kubectl's own cross-namespace test fixture)", () => {
    // staging/src/k8s.io/kubectl/pkg/cmd/apply/testdata/prune/cross_namespace/manifest1-expected-parent.yaml
    expect(
      applySetId({ name: "cross_namespace", namespace: "applyset-namespace", kind: "Secret", group: "" }),
    ).toBe("applyset-maUyxm9hLztJjNIswOCgA-VT6EJxr1_CcWA5kSzuMYE-v1");
  });

  it("names one cluster-scoped parent per environment, with distinct IDs", () => {
    const sets = [undefined, "development", "staging", "production"].map(applySetFor);
    expect(sets.map((s) => s.flag)).toEqual([
      "applysets.infer8s.io/infer8s",
      "applysets.infer8s.io/infer8s-development",
      "applysets.infer8s.io/infer8s-staging",
      "applysets.infer8s.io/infer8s-production",
    ]);
    expect(new Set(sets.map((s) => s.id)).size).toBe(4);
    expect(applySet.id).toBe(
      applySetId({ name: "infer8s", namespace: "", kind: "ApplySet", group: "infer8s.io" }),
    );
  });

  it("creates the parent with the metadata kubectl requires of an existing parent", () => {
    const parent = parse(applySetParentManifest(applySet, "v1.32.4")) as {
      metadata: { labels: Record<string, string>; annotations: Record<string, string> };
    };
    expect(parent.metadata.labels).toEqual({ "applyset.kubernetes.io/id": applySet.id });
    expect(parent.metadata.annotations).toEqual({
      "applyset.kubernetes.io/tooling": "kubectl/v1.32.4",
      "applyset.kubernetes.io/contains-group-kinds": "",
    });
  });

  it("installs a cluster-scoped CRD labelled as an ApplySet parent type", () => {
    const crd = parse(applySetDefinitionSteps()[0]!.stdin!) as {
      metadata: { name: string; labels: Record<string, string> };
      spec: { group: string; scope: string; names: { kind: string; plural: string } };
    };
    expect(crd.metadata).toEqual({
      name: "applysets.infer8s.io",
      labels: { "applyset.kubernetes.io/is-parent-type": "true" },
    });
    expect([crd.spec.group, crd.spec.scope, crd.spec.names.kind, crd.spec.names.plural]).toEqual([
      "infer8s.io",
      "Cluster",
      "ApplySet",
      "applysets",
    ]);
  });

  it.each([
    ['{"clientVersion":{"major":"1","minor":"32+","gitVersion":"v1.32.4-dispatcher"}}', true],
    ['{"clientVersion":{"major":"1","minor":"27","gitVersion":"v1.27.0"}}', true],
    ['{"clientVersion":{"major":"1","minor":"26","gitVersion":"v1.26.15"}}', false],
    ['{"clientVersion":{"major":"2","minor":"0","gitVersion":"v2.0.0"}}', true],
  ])("reads kubectl's version from %s: ApplySets supported %s", (json, supported) => {
    const version = parseKubectlClientVersion(json);
    expect(version).toBeDefined();
    expect(supportsApplySets(version!)).toBe(supported);
  });

  it("does not mistake other output for a version", () => {
    expect(parseKubectlClientVersion("Client Version: v1.32.4")).toBeUndefined();
    expect(parseKubectlClientVersion('{"serverVersion":{}}')).toBeUndefined();
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
    expect(deploySteps(canary, "dist", applySetFor(undefined), "v1.32.4").at(-1)).toEqual({ args: wait });
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
