/* eslint-disable @typescript-eslint/no-explicit-any -- tests navigate synthesized YAML freely; the schema checks type it */
import { describe, expect, it } from "vitest";
import { buildApp } from "../../charts/app.js";
import { resolveSettings } from "../../charts/settings.js";
import {
  credentialLikeValues,
  credentialProblems,
  manifestProblems,
  networkPolicyProblems,
  parseManifests,
  rbacProblems,
  semanticProblems,
  synthObjects,
  type KubeObject,
} from "./k8s-checks.js";
import { customResourceModel } from "./custom-resource-schema.js";
import {
  KUBERNETES_SCHEMA_VERSION,
  kubernetesKinds,
  schemaProblems,
  structuralProblems,
} from "./k8s-schema.js";

/** A fresh, valid copy of the default manifests to break one thing in. */
function baseline(): any[] {
  const { namespaces, inference } = buildApp(resolveSettings(), "unused");
  return structuredClone([...synthObjects(namespaces), ...synthObjects(inference)]);
}
const find = (objects: any[], kind: string) => objects.find((o) => o.kind === kind);
const podSpec = (objects: any[]) => find(objects, "Deployment").spec.template.spec;
const container = (objects: any[]) => podSpec(objects).containers[0];

async function problemsAfter(mutate: (objects: any[]) => void): Promise<string[]> {
  const objects = baseline();
  mutate(objects);
  return manifestProblems(objects);
}

describe("the baseline", () => {
  it("has no problems, so every problem below comes from its mutation", async () => {
    expect(await manifestProblems(baseline())).toEqual([]);
  });
});

describe("schema", () => {
  it(`is Kubernetes ${KUBERNETES_SCHEMA_VERSION}: knows 1.28 kinds and fields, not later ones`, () => {
    expect(kubernetesKinds()).toEqual(
      expect.arrayContaining(["apps/v1/Deployment", "autoscaling/v2/HorizontalPodAutoscaler"]),
    );
    // flowcontrol v1 arrived in 1.29; v1beta3 is the 1.28 version.
    expect(kubernetesKinds()).toContain("flowcontrol.apiserver.k8s.io/v1beta3/FlowSchema");
    expect(kubernetesKinds()).not.toContain("flowcontrol.apiserver.k8s.io/v1/FlowSchema");
  });

  it("rejects a misspelt field", async () => {
    const problems = await problemsAfter((o) => {
      container(o).imagePullPolicyy = "IfNotPresent";
    });
    expect(problems).toEqual([
      "Deployment infer8s/iris-inference: spec.template.spec.containers[0].imagePullPolicyy: unknown field (not in Kubernetes 1.28 io.k8s.api.core.v1.Container)",
    ]);
  });

  it("rejects a field that only later Kubernetes versions know, and accepts a 1.28 one", () => {
    const objects = baseline();
    podSpec(objects).securityContext.appArmorProfile = { type: "RuntimeDefault" }; // 1.30
    podSpec(objects).initContainers = [{ name: "sidecar", image: "x:1", restartPolicy: "Always" }]; // 1.28
    expect(structuralProblems(find(objects, "Deployment"))).toEqual([
      "Deployment infer8s/iris-inference: spec.template.spec.securityContext.appArmorProfile: unknown field (not in Kubernetes 1.28 io.k8s.api.core.v1.PodSecurityContext)",
    ]);
  });

  it("rejects a missing required field and a wrong type", () => {
    const objects = baseline();
    delete find(objects, "Deployment").spec.selector;
    find(objects, "HorizontalPodAutoscaler").spec.maxReplicas = "10";
    expect([
      ...structuralProblems(find(objects, "Deployment")),
      ...structuralProblems(find(objects, "HorizontalPodAutoscaler")),
    ]).toEqual([
      "Deployment infer8s/iris-inference: spec.selector: required by io.k8s.api.apps.v1.DeploymentSpec",
      'HorizontalPodAutoscaler infer8s/iris-inference: spec.maxReplicas: expected a number, got "10"',
    ]);
  });

  it("rejects a value outside an enum (kubernetes-models pass)", async () => {
    const problems = await problemsAfter((o) => {
      container(o).imagePullPolicy = "Sometimes";
    });
    expect(problems).toEqual([
      "Deployment infer8s/iris-inference: data/spec/template/spec/containers/0/imagePullPolicy must be equal to one of the allowed values",
    ]);
  });

  it("rejects a kind Kubernetes 1.28 does not serve", async () => {
    const problems = await problemsAfter((o) => {
      find(o, "HorizontalPodAutoscaler").apiVersion = "autoscaling/v2beta2";
    });
    expect(problems).toContain(
      "HorizontalPodAutoscaler infer8s/iris-inference: autoscaling/v2beta2 HorizontalPodAutoscaler is not a Kubernetes 1.28 kind",
    );
  });
});

describe("custom resource schema (strict structure from the @kubernetes-models/* types)", () => {
  const meta = { name: "iris", namespace: "infer8s" };
  interface Case {
    readonly object: KubeObject;
    /** One misspelt field each: at the top of spec, in an array element, 3+ levels deep. */
    readonly misspelt: readonly [path: string, mutate: (o: any) => void, expected: string][];
    readonly wrongType: readonly [mutate: (o: any) => void, expected: string];
  }
  const cases: Record<string, Case> = {
    ServiceMonitor: {
      object: {
        apiVersion: "monitoring.coreos.com/v1",
        kind: "ServiceMonitor",
        metadata: { ...meta, labels: { release: "kube-prometheus-stack" } },
        spec: {
          selector: { matchLabels: { "app.kubernetes.io/name": "iris" } },
          namespaceSelector: { matchNames: ["infer8s"] },
          endpoints: [
            {
              port: "http",
              path: "/metrics",
              interval: "30s",
              targetPort: 8080,
              relabelings: [{ sourceLabels: ["__meta_kubernetes_pod_name"], targetLabel: "pod" }],
            },
          ],
        },
      },
      misspelt: [
        [
          "spec.endpointz",
          (o) => (o.spec.endpointz = []),
          "ServiceMonitor infer8s/iris: spec.endpointz: unknown field (not in IServiceMonitorSpec of @kubernetes-models/prometheus-operator 6.0.0)",
        ],
        [
          "spec.endpoints[0].intervall",
          (o) => (o.spec.endpoints[0].intervall = "30s"),
          "ServiceMonitor infer8s/iris: spec.endpoints[0].intervall: unknown field (not in IEndpoint of @kubernetes-models/prometheus-operator 6.0.0)",
        ],
        [
          "spec.endpoints[0].relabelings[0].sourceLabelz",
          (o) => (o.spec.endpoints[0].relabelings[0].sourceLabelz = ["pod"]),
          "ServiceMonitor infer8s/iris: spec.endpoints[0].relabelings[0].sourceLabelz: unknown field (not in IRelabelConfig of @kubernetes-models/prometheus-operator 6.0.0)",
        ],
      ],
      wrongType: [
        (o) => (o.spec.endpoints[0].targetPort = true),
        "ServiceMonitor infer8s/iris: spec.endpoints[0].targetPort: expected string | number, got true",
      ],
    },
    PrometheusRule: {
      object: {
        apiVersion: "monitoring.coreos.com/v1",
        kind: "PrometheusRule",
        metadata: meta,
        spec: {
          groups: [
            {
              name: "iris.rules",
              rules: [
                { alert: "IrisDown", expr: "up == 0", for: "5m", labels: { severity: "critical" } },
                { record: "job:up:sum", expr: "sum(up)" },
              ],
            },
          ],
        },
      },
      misspelt: [
        [
          "spec.groupz",
          (o) => (o.spec.groupz = []),
          "PrometheusRule infer8s/iris: spec.groupz: unknown field (not in IPrometheusRuleSpec of @kubernetes-models/prometheus-operator 6.0.0)",
        ],
        [
          "spec.groups[0].intervall",
          (o) => (o.spec.groups[0].intervall = "1m"),
          "PrometheusRule infer8s/iris: spec.groups[0].intervall: unknown field (not in IRuleGroup of @kubernetes-models/prometheus-operator 6.0.0)",
        ],
        [
          "spec.groups[0].rules[1].exprr",
          (o) => (o.spec.groups[0].rules[1].exprr = "up"),
          "PrometheusRule infer8s/iris: spec.groups[0].rules[1].exprr: unknown field (not in IRule of @kubernetes-models/prometheus-operator 6.0.0)",
        ],
      ],
      wrongType: [
        (o) => (o.spec.groups[0].rules[0].labels.severity = 3),
        "PrometheusRule infer8s/iris: spec.groups[0].rules[0].labels.severity: expected a string, got 3",
      ],
    },
    Rollout: {
      object: {
        apiVersion: "argoproj.io/v1alpha1",
        kind: "Rollout",
        metadata: meta,
        spec: {
          replicas: 2,
          selector: { matchLabels: { app: "iris" } },
          template: {
            metadata: { labels: { app: "iris" } },
            spec: {
              containers: [
                {
                  name: "server",
                  image: "infer8s:0.1.0",
                  ports: [{ name: "http", containerPort: 8080 }],
                  resources: { limits: { memory: "512Mi", cpu: 1 } },
                },
              ],
            },
          },
          strategy: {
            canary: {
              // IntOrString, both ways.
              maxSurge: "25%",
              maxUnavailable: 0,
              steps: [
                { setWeight: 20 },
                { pause: { duration: "1m" } },
                { analysis: { templates: [{ templateName: "success-rate" }] } },
              ],
            },
          },
        },
      },
      misspelt: [
        [
          "spec.replicaz",
          (o) => (o.spec.replicaz = 2),
          "Rollout infer8s/iris: spec.replicaz: unknown field (not in IRollout of @kubernetes-models/argo-rollouts 0.3.2)",
        ],
        [
          "spec.strategy.canary.steps[0].setWeigth",
          (o) => (o.spec.strategy.canary.steps[0].setWeigth = 20),
          "Rollout infer8s/iris: spec.strategy.canary.steps[0].setWeigth: unknown field (not in IRollout of @kubernetes-models/argo-rollouts 0.3.2)",
        ],
        [
          "spec.template.spec.containers[0].imagePullPolicyy",
          (o) => (o.spec.template.spec.containers[0].imagePullPolicyy = "Always"),
          "Rollout infer8s/iris: spec.template.spec.containers[0].imagePullPolicyy: unknown field (not in IRollout of @kubernetes-models/argo-rollouts 0.3.2)",
        ],
      ],
      wrongType: [
        (o) => (o.spec.replicas = "2"),
        'Rollout infer8s/iris: spec.replicas: expected a number, got "2"',
      ],
    },
    AnalysisTemplate: {
      object: {
        apiVersion: "argoproj.io/v1alpha1",
        kind: "AnalysisTemplate",
        metadata: meta,
        spec: {
          args: [{ name: "service-name" }],
          metrics: [
            {
              name: "success-rate",
              interval: "1m",
              successCondition: "result[0] >= 0.95",
              failureLimit: 3,
              provider: { prometheus: { address: "http://prometheus.monitoring:9090", query: "sum(up)" } },
            },
          ],
        },
      },
      misspelt: [
        [
          "spec.metricz",
          (o) => (o.spec.metricz = []),
          "AnalysisTemplate infer8s/iris: spec.metricz: unknown field (not in IAnalysisTemplate of @kubernetes-models/argo-rollouts 0.3.2)",
        ],
        [
          "spec.metrics[0].intervall",
          (o) => (o.spec.metrics[0].intervall = "1m"),
          "AnalysisTemplate infer8s/iris: spec.metrics[0].intervall: unknown field (not in IAnalysisTemplate of @kubernetes-models/argo-rollouts 0.3.2)",
        ],
        [
          "spec.metrics[0].provider.prometheus.queryy",
          (o) => (o.spec.metrics[0].provider.prometheus.queryy = "up"),
          "AnalysisTemplate infer8s/iris: spec.metrics[0].provider.prometheus.queryy: unknown field (not in IAnalysisTemplate of @kubernetes-models/argo-rollouts 0.3.2)",
        ],
      ],
      wrongType: [
        (o) => (o.spec.args[0].name = 5),
        "AnalysisTemplate infer8s/iris: spec.args[0].name: expected a string, got 5",
      ],
    },
    ScaledObject: {
      object: {
        apiVersion: "keda.sh/v1alpha1",
        kind: "ScaledObject",
        metadata: meta,
        spec: {
          scaleTargetRef: { name: "iris-inference" },
          minReplicaCount: 1,
          maxReplicaCount: 5,
          triggers: [
            {
              type: "prometheus",
              metadata: {
                serverAddress: "http://prometheus.monitoring:9090",
                query: "sum(up)",
                threshold: "10",
              },
            },
          ],
          advanced: {
            horizontalPodAutoscalerConfig: { behavior: { scaleDown: { stabilizationWindowSeconds: 300 } } },
          },
        },
      },
      misspelt: [
        [
          "spec.maxReplicaCountt",
          (o) => (o.spec.maxReplicaCountt = 5),
          "ScaledObject infer8s/iris: spec.maxReplicaCountt: unknown field (not in IScaledObject of @kubernetes-models/keda 0.4.2)",
        ],
        [
          "spec.triggers[0].metdata",
          (o) => (o.spec.triggers[0].metdata = {}),
          "ScaledObject infer8s/iris: spec.triggers[0].metdata: unknown field (not in IScaledObject of @kubernetes-models/keda 0.4.2)",
        ],
        [
          "spec.advanced.horizontalPodAutoscalerConfig.behavior.scaleDown.stabilizationWindowSecondz",
          (o) =>
            (o.spec.advanced.horizontalPodAutoscalerConfig.behavior.scaleDown.stabilizationWindowSecondz = 1),
          "ScaledObject infer8s/iris: spec.advanced.horizontalPodAutoscalerConfig.behavior.scaleDown.stabilizationWindowSecondz: unknown field (not in IScaledObject of @kubernetes-models/keda 0.4.2)",
        ],
      ],
      wrongType: [
        (o) => (o.spec.triggers[0].metadata.threshold = 10),
        "ScaledObject infer8s/iris: spec.triggers[0].metadata.threshold: expected a string, got 10",
      ],
    },
    Application: {
      object: {
        apiVersion: "argoproj.io/v1alpha1",
        kind: "Application",
        metadata: { name: "iris", namespace: "argocd" },
        spec: {
          project: "default",
          source: {
            repoURL: "https://github.com/example/infer8s.git",
            targetRevision: "main",
            path: "dist",
            // x-kubernetes-preserve-unknown-fields in the CRD: anything goes below.
            helm: { valuesObject: { any: { nested: [1, "two"] } } },
          },
          destination: { server: "https://kubernetes.default.svc", namespace: "infer8s" },
          syncPolicy: { automated: { prune: true, selfHeal: true }, syncOptions: ["CreateNamespace=true"] },
          ignoreDifferences: [{ group: "apps", kind: "Deployment", jsonPointers: ["/spec/replicas"] }],
        },
      },
      misspelt: [
        [
          "spec.projekt",
          (o) => (o.spec.projekt = "default"),
          "Application argocd/iris: spec.projekt: unknown field (not in IApplication of @kubernetes-models/argo-cd 2.7.2)",
        ],
        [
          "spec.ignoreDifferences[0].jsonPointer",
          (o) => (o.spec.ignoreDifferences[0].jsonPointer = []),
          "Application argocd/iris: spec.ignoreDifferences[0].jsonPointer: unknown field (not in IApplication of @kubernetes-models/argo-cd 2.7.2)",
        ],
        [
          "spec.syncPolicy.automated.prunee",
          (o) => (o.spec.syncPolicy.automated.prunee = true),
          "Application argocd/iris: spec.syncPolicy.automated.prunee: unknown field (not in IApplication of @kubernetes-models/argo-cd 2.7.2)",
        ],
      ],
      wrongType: [
        (o) => (o.spec.syncPolicy.automated.prune = "yes"),
        'Application argocd/iris: spec.syncPolicy.automated.prune: expected a boolean, got "yes"',
      ],
    },
    AuthorizationPolicy: {
      object: {
        apiVersion: "security.istio.io/v1",
        kind: "AuthorizationPolicy",
        metadata: meta,
        spec: {
          selector: { matchLabels: { "app.kubernetes.io/name": "iris" } },
          action: "ALLOW",
          rules: [
            {
              from: [{ source: { principals: ["cluster.local/ns/monitoring/sa/prometheus"] } }],
              to: [{ operation: { ports: ["8080"] } }],
            },
          ],
        },
      },
      misspelt: [
        [
          "spec.actions",
          (o) => (o.spec.actions = "ALLOW"),
          "AuthorizationPolicy infer8s/iris: spec.actions: unknown field (not in IAuthorizationPolicy of @kubernetes-models/istio 3.0.1)",
        ],
        [
          "spec.rules[0].from[0].source.principal",
          (o) => (o.spec.rules[0].from[0].source.principal = "x"),
          "AuthorizationPolicy infer8s/iris: spec.rules[0].from[0].source.principal: unknown field (not in IAuthorizationPolicy of @kubernetes-models/istio 3.0.1)",
        ],
        [
          "spec.rules[0].to[0].operation.port",
          (o) => (o.spec.rules[0].to[0].operation.port = ["8080"]),
          "AuthorizationPolicy infer8s/iris: spec.rules[0].to[0].operation.port: unknown field (not in IAuthorizationPolicy of @kubernetes-models/istio 3.0.1)",
        ],
      ],
      wrongType: [
        (o) => (o.spec.rules[0].to[0].operation.ports = [8080]),
        "AuthorizationPolicy infer8s/iris: spec.rules[0].to[0].operation.ports[0]: expected a string, got 8080",
      ],
    },
    PeerAuthentication: {
      object: {
        apiVersion: "security.istio.io/v1",
        kind: "PeerAuthentication",
        metadata: { name: "default", namespace: "infer8s" },
        spec: { mtls: { mode: "STRICT" } },
      },
      misspelt: [
        [
          "spec.mTLS",
          (o) => (o.spec.mTLS = { mode: "STRICT" }),
          "PeerAuthentication infer8s/default: spec.mTLS: unknown field (not in IPeerAuthentication of @kubernetes-models/istio 3.0.1)",
        ],
        [
          "spec.mtls.mod",
          (o) => (o.spec.mtls.mod = "STRICT"),
          "PeerAuthentication infer8s/default: spec.mtls.mod: unknown field (not in IPeerAuthentication of @kubernetes-models/istio 3.0.1)",
        ],
        [
          "spec.selector.matchLabel",
          (o) => (o.spec.selector = { matchLabel: { app: "iris" } }),
          "PeerAuthentication infer8s/default: spec.selector.matchLabel: unknown field (not in IPeerAuthentication of @kubernetes-models/istio 3.0.1)",
        ],
      ],
      wrongType: [
        (o) => (o.spec.mtls.mode = "STRICTLY"),
        'PeerAuthentication infer8s/default: spec.mtls.mode: expected "UNSET" | "DISABLE" | "PERMISSIVE" | "STRICT", got "STRICTLY"',
      ],
    },
  };
  const kinds = Object.keys(cases);
  const after = (kind: string, mutate: (o: any) => void): Promise<string[]> => {
    const object = structuredClone(cases[kind]!.object);
    mutate(object);
    return schemaProblems(object);
  };

  it("finds each kind in the package that models it", () => {
    expect(kinds.map((k) => customResourceModel(cases[k]!.object.apiVersion, k)?.packageName)).toEqual([
      "@kubernetes-models/prometheus-operator",
      "@kubernetes-models/prometheus-operator",
      "@kubernetes-models/argo-rollouts",
      "@kubernetes-models/argo-rollouts",
      "@kubernetes-models/keda",
      "@kubernetes-models/argo-cd",
      "@kubernetes-models/istio",
      "@kubernetes-models/istio",
    ]);
    // The newest version the package models (Istio 1.29's CRDs), not v1beta1.
    expect(customResourceModel("security.istio.io/v1", "AuthorizationPolicy")?.moduleSpecifier).toBe(
      "@kubernetes-models/istio/security.istio.io/v1",
    );
    expect(customResourceModel("argoproj.io/v1alpha1", "Nonexistent")).toBeUndefined();
  });

  it.each(kinds)("accepts a valid %s", async (kind) => {
    expect(await schemaProblems(cases[kind]!.object)).toEqual([]);
  });

  it.each(
    kinds.flatMap((kind) =>
      cases[kind]!.misspelt.map(([path, mutate, expected]) => ({ kind, path, mutate, expected })),
    ),
  )("rejects $kind with a misspelt $path", async ({ kind, mutate, expected }) => {
    expect(await after(kind, mutate)).toEqual([expected]);
  });

  it.each(kinds)("rejects a %s field of the wrong type", async (kind) => {
    const [mutate, expected] = cases[kind]!.wrongType;
    const problems = await after(kind, mutate);
    expect(problems).toContain(expected);
    // The value validator (pass 2) agrees.
    expect(problems.some((p) => p.includes(": data/spec/"))).toBe(true);
  });

  it("rejects an unknown field in metadata and a missing required field", async () => {
    const problems = await after("PrometheusRule", (o) => {
      o.metadata.labelz = {};
      delete o.spec.groups[0].name;
    });
    expect(problems).toContain(
      "PrometheusRule infer8s/iris: metadata.labelz: unknown field (not in IObjectMeta of @kubernetes-models/prometheus-operator 6.0.0)",
    );
    expect(problems).toContain(
      "PrometheusRule infer8s/iris: spec.groups[0].name: required by IRuleGroup of @kubernetes-models/prometheus-operator 6.0.0",
    );
  });

  it("reports a custom resource kind that no declared package models", async () => {
    expect(
      await schemaProblems({ apiVersion: "example.com/v1", kind: "Widget", metadata: { name: "w" } }),
    ).toEqual(["Widget w: example.com/v1 Widget is not a Kubernetes 1.28 kind"]);
  });
});

describe("semantic checks", () => {
  const cases: [string, (o: any[]) => void, string][] = [
    [
      "a Deployment selector that misses its pods",
      (o) => (find(o, "Deployment").spec.selector.matchLabels["app.kubernetes.io/name"] = "other"),
      "Deployment infer8s/iris-inference: spec.selector does not match the pod template labels",
    ],
    [
      "a Service selecting no pods",
      (o) => (find(o, "Service").spec.selector["app.kubernetes.io/component"] = "web"),
      "Service infer8s/iris-inference: spec.selector matches no pod template in its namespace",
    ],
    [
      "a Service targeting a port the container does not name",
      (o) => (find(o, "Service").spec.ports[0].targetPort = "web"),
      'Service infer8s/iris-inference: spec.ports[0].targetPort "web" is not a container port of Deployment infer8s/iris-inference',
    ],
    [
      "a probe on a port the container does not have",
      (o) => (container(o).readinessProbe.httpGet.port = 9090),
      "Deployment infer8s/iris-inference: spec.template.spec.containers[0].readinessProbe port 9090 is not a port of that container",
    ],
    [
      "an HPA whose Deployment also sets replicas",
      (o) => (find(o, "Deployment").spec.replicas = 2),
      "HorizontalPodAutoscaler infer8s/iris-inference: Deployment infer8s/iris-inference sets spec.replicas, which fights the autoscaler",
    ],
    [
      "an HPA targeting a missing Deployment",
      (o) => (find(o, "HorizontalPodAutoscaler").spec.scaleTargetRef.name = "iris"),
      'HorizontalPodAutoscaler infer8s/iris-inference: scaleTargetRef Deployment "iris" does not exist in its namespace',
    ],
    [
      "a name with a generated hash suffix",
      (o) => (find(o, "PodDisruptionBudget").metadata.name = "iris-inference-pdb-c8a1b2c3"),
      "PodDisruptionBudget infer8s/iris-inference-pdb-c8a1b2c3: name looks like it carries a generated hash suffix",
    ],
    [
      "a name that is not DNS-1123",
      (o) => (find(o, "ServiceAccount").metadata.name = "Iris_Inference"),
      "ServiceAccount infer8s/Iris_Inference: name is not a DNS-1123 subdomain",
    ],
    [
      "a container without a memory limit",
      (o) => delete container(o).resources.limits.memory,
      "Deployment infer8s/iris-inference: spec.template.spec.containers[0] (server): no memory limit",
    ],
    [
      "a request above its limit",
      (o) => (container(o).resources.requests.cpu = "2"),
      "Deployment infer8s/iris-inference: spec.template.spec.containers[0] (server): cpu request 2 exceeds limit 1",
    ],
    [
      "privilege escalation left to the default",
      (o) => delete container(o).securityContext.allowPrivilegeEscalation,
      "Deployment infer8s/iris-inference: spec.template.spec.containers[0].securityContext.allowPrivilegeEscalation must be false",
    ],
    [
      "a writable root filesystem",
      (o) => (container(o).securityContext.readOnlyRootFilesystem = false),
      "Deployment infer8s/iris-inference: spec.template.spec.containers[0].securityContext.readOnlyRootFilesystem must be true",
    ],
    [
      "an added capability",
      (o) => (container(o).securityContext.capabilities.add = ["NET_ADMIN"]),
      "Deployment infer8s/iris-inference: spec.template.spec.containers[0].securityContext.capabilities.add must not add NET_ADMIN",
    ],
    [
      "a hostPath volume",
      (o) => podSpec(o).volumes.push({ name: "host", hostPath: { path: "/" } }),
      "Deployment infer8s/iris-inference: spec.template.spec.volumes[1] uses forbidden volume type hostPath",
    ],
    [
      "host networking",
      (o) => (podSpec(o).hostNetwork = true),
      "Deployment infer8s/iris-inference: spec.template.spec.hostNetwork must not be true",
    ],
    [
      "the latest tag",
      (o) => (container(o).image = "infer8s:latest"),
      'Deployment infer8s/iris-inference: spec.template.spec.containers[0].image "infer8s:latest" uses the latest tag',
    ],
    [
      "an untagged image",
      (o) => (container(o).image = "registry:5000/infer8s"),
      'Deployment infer8s/iris-inference: spec.template.spec.containers[0].image "registry:5000/infer8s" has no tag (means latest)',
    ],
    [
      "a password in an env var",
      (o) => container(o).env.push({ name: "DB_PASSWORD", value: "hunter22" }),
      `Deployment infer8s/iris-inference: spec.template.spec.containers[0].env[${container(baseline()).env.length}] DB_PASSWORD has a literal value; use valueFrom.secretKeyRef`,
    ],
    [
      "a namespace created after its objects",
      (o) => o.push(o.shift()),
      'ServiceAccount infer8s/iris-inference: namespace "infer8s" is not created before it in apply order',
    ],
    [
      "an object defined twice",
      (o) => o.push(structuredClone(find(o, "Service"))),
      "Service infer8s/iris-inference: defined twice",
    ],
    [
      "a missing recommended label",
      (o) => delete find(o, "Service").metadata.labels["app.kubernetes.io/version"],
      "Service infer8s/iris-inference: missing recommended labels app.kubernetes.io/version",
    ],
    [
      "a pod running as a ServiceAccount that is not defined",
      (o) => (podSpec(o).serviceAccountName = "iris"),
      'Deployment infer8s/iris-inference: ServiceAccount "iris" is not defined in namespace infer8s',
    ],
    [
      "a NetworkPolicy opening a port the pods do not have",
      (o) => (find(o, "NetworkPolicy").spec.ingress[0].ports[0].port = "metrics"),
      'NetworkPolicy infer8s/iris-inference: spec.ingress[0].ports[0].port "metrics" is not a container port of Deployment infer8s/iris-inference',
    ],
  ];

  it.each(cases)("report %s", (_what, mutate, expected) => {
    const objects = baseline();
    mutate(objects);
    expect(semanticProblems(objects)).toContain(expected);
  });

  it("can skip a check with a stated reason", () => {
    const objects = baseline();
    container(objects).image = "infer8s:latest";
    expect(semanticProblems(objects, { skip: { images: "testing the skip" } })).toEqual([]);
  });
});

describe("credentialProblems", () => {
  const configMap = (data: Record<string, string>): KubeObject => ({
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: "cfg", namespace: "monitoring" },
    data,
  });

  it("flags Secret data, private keys, tokens, passwords in config and credentials in URLs", () => {
    const secret: KubeObject = {
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: "s", namespace: "monitoring" },
      stringData: { x: "y" },
    };
    expect(credentialProblems([secret])).toEqual([
      "Secret monitoring/s: Secrets with data must not be committed; create them in the cluster",
    ]);
    expect(
      credentialProblems([configMap({ "grafana.ini": "[security]\nadmin_password = admin\n" })]),
    ).toEqual([
      "ConfigMap monitoring/cfg: data.grafana.ini contains what looks like a password/secret/token assignment",
    ]);
    expect(credentialProblems([configMap({ url: "https://user:pa55@example.com/x" })])).toEqual([
      "ConfigMap monitoring/cfg: data.url contains what looks like credentials in a URL",
    ]);
    expect(credentialProblems([configMap({ key: "-----BEGIN RSA PRIVATE KEY-----\nMII" })])).toContain(
      "ConfigMap monitoring/cfg: data.key contains what looks like a private key",
    );
    expect(credentialProblems([configMap({ api_token: "x" })])).toEqual([
      'ConfigMap monitoring/cfg: data key "api_token" looks like a credential',
    ]);
  });

  it("accepts file references and placeholders that Prometheus and Grafana configs use", () => {
    const config = [
      "bearer_token_file: /var/run/secrets/kubernetes.io/serviceaccount/token",
      "authorization:\n  credentials_file: /var/run/secrets/kubernetes.io/serviceaccount/token",
      "[security]\nadmin_password = $__file{/etc/secrets/admin-password}",
    ].join("\n");
    expect(credentialProblems([configMap({ "prometheus.yml": config })])).toEqual([]);
  });

  it("flags base64-encoded blobs, npm tokens and Google API keys; not hex digests or shell substitutions", () => {
    const blob = Buffer.from("a certificate or a key, encoded for a Secret").toString("base64");
    expect(credentialProblems([configMap({ "tls.key": blob })])).toEqual([
      "ConfigMap monitoring/cfg: data.tls.key contains what looks like a base64-encoded secret",
    ]);
    expect(credentialLikeValues(`//registry.npmjs.org/:_authToken=npm_${"a1B2".repeat(9)}`)).toEqual([
      "an npm token",
    ]);
    expect(credentialLikeValues(`key: AIza${"Sy0_".repeat(8)}abc`)).toContain("a Google API key");
    const digest = "85dcc382e7d9d418357dcf82b649ae4baab6e2b10feded68f6a63f3209554c31";
    expect(credentialProblems([configMap({ checksum: digest })])).toEqual([]);
    expect(credentialLikeValues('GF_SECURITY_ADMIN_PASSWORD="$(openssl rand -base64 24)"')).toEqual([]);
  });

  it("flags a base64 blob that contains '/', but not a URL path of short words", () => {
    const key = `${"aB3dE5gH7jK9mN1pQ3sT"}/${"uV5wX7yZ9bC1dE3fG5hJ7kL"}=`;
    expect(credentialProblems([configMap({ key })])).toEqual([
      "ConfigMap monitoring/cfg: data.key contains what looks like a base64-encoded secret",
    ]);
    const runbook = "https://github.com/OWNER/infer8s/blob/main/README.md#alert-inferencetargetdown";
    expect(credentialProblems([configMap({ runbook })])).toEqual([]);
  });
});

describe("networkPolicyProblems", () => {
  const policy = (objects: any[]) => find(objects, "NetworkPolicy");

  it("accepts the Service port by name or by number", () => {
    const objects = baseline();
    expect(networkPolicyProblems(objects)).toEqual([]);
    policy(objects).spec.ingress[0].ports = [{ port: 8080, protocol: "TCP" }];
    expect(networkPolicyProblems(objects)).toEqual([]);
  });

  it("flags a port no Service exposes and a rule that admits every port", () => {
    const objects = baseline();
    policy(objects).spec.ingress = [{ ports: [{ port: 9229, protocol: "TCP" }] }, { from: [] }];
    expect(networkPolicyProblems(objects)).toEqual([
      "NetworkPolicy infer8s/iris-inference: spec.ingress[0].ports[0].port 9229 is not a port of a Service in front of the selected pods",
      "NetworkPolicy infer8s/iris-inference: spec.ingress[1] admits every port; list the Service's ports",
    ]);
  });

  it("accepts HBONE's port 15008 only in a namespace the manifests enrol in the ambient mesh", async () => {
    const objects = baseline();
    policy(objects).spec.ingress[0].ports.push({ port: 15008, protocol: "TCP" });
    const hbone = [
      "NetworkPolicy infer8s/iris-inference: spec.ingress[0].ports[1].port 15008 is not a container port of Deployment infer8s/iris-inference",
      "NetworkPolicy infer8s/iris-inference: spec.ingress[0].ports[1].port 15008 is not a port of a Service in front of the selected pods",
    ];
    expect(await manifestProblems(objects)).toEqual(hbone);
    find(objects, "Namespace").metadata.labels["istio.io/dataplane-mode"] = "ambient";
    expect(await manifestProblems(objects)).toEqual([]);
  });
});

describe("rbacProblems", () => {
  const role = (rules: unknown[]): KubeObject => ({
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "ClusterRole",
    metadata: { name: "prometheus" },
    rules,
  });

  it("accepts read-only access to what service discovery needs", () => {
    expect(
      rbacProblems([
        role([
          { apiGroups: [""], resources: ["pods", "services", "endpoints"], verbs: ["get", "list", "watch"] },
        ]),
      ]),
    ).toEqual([]);
  });

  it("flags wildcard verbs, resources and groups, secrets access and escalation verbs", () => {
    expect(
      rbacProblems([
        role([
          { apiGroups: ["*"], resources: ["*"], verbs: ["*"] },
          { apiGroups: [""], resources: ["secrets"], verbs: ["get"] },
          {
            apiGroups: ["rbac.authorization.k8s.io"],
            resources: ["clusterroles"],
            verbs: ["bind", "escalate"],
          },
        ]),
      ]),
    ).toEqual([
      "ClusterRole prometheus: rules[0] grants every verb (*)",
      "ClusterRole prometheus: rules[0] grants every resource (*)",
      "ClusterRole prometheus: rules[0] grants every API group (*)",
      "ClusterRole prometheus: rules[1] grants access to secrets",
      "ClusterRole prometheus: rules[2] grants escalate",
      "ClusterRole prometheus: rules[2] grants bind",
    ]);
  });

  it("flags bindings to roles or ServiceAccounts that are not defined", () => {
    const binding: KubeObject = {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRoleBinding",
      metadata: { name: "prometheus" },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "missing" },
      subjects: [{ kind: "ServiceAccount", name: "prometheus", namespace: "monitoring" }],
    };
    expect(rbacProblems([binding])).toEqual([
      'ClusterRoleBinding prometheus: roleRef ClusterRole "missing" is not defined here',
      "ClusterRoleBinding prometheus: subjects[0] ServiceAccount monitoring/prometheus is not defined here",
    ]);
  });
});

describe("parseManifests", () => {
  it("reads every document and skips empty ones", () => {
    const objects = parseManifests(
      "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\n---\n---\nkind: X\n",
    );
    expect(objects.map((o) => o.object.kind)).toEqual(["Namespace", "X"]);
  });
});
