import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ENV } from "../src/contract/index.js";
import { DEFAULT_CONFIG, parseServerConfig, SERVER_SETTINGS } from "../src/contract/server-config.js";
import { serverEnvironment } from "./constructs/inference-service.js";
import {
  DEFAULT_SETTINGS,
  SERVER_SETTING_KEYS_IN_SETTINGS,
  PACKAGE_VERSION,
  readSettingsOverrides,
  requestRateTarget,
  resolveSettings,
  terminationGracePeriodSeconds,
  type SettingsOverrides,
} from "./settings.js";

/** The message `resolveSettings` throws for these overrides. */
function errorOf(overrides: unknown): string {
  try {
    resolveSettings(overrides as SettingsOverrides);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error("resolveSettings accepted invalid settings");
}

describe("resolveSettings", () => {
  it("returns the defaults unchanged when nothing is overridden", () => {
    expect(resolveSettings()).toEqual(DEFAULT_SETTINGS);
  });

  it("defaults the image tag to the package version and the namespaces to infer8s and monitoring", () => {
    const settings = resolveSettings();
    expect(settings.image.tag).toBe(PACKAGE_VERSION);
    expect(PACKAGE_VERSION).toMatch(/^\d+\.\d+\.\d+/);
    expect(settings.namespace).toBe("infer8s");
    expect(settings.monitoring.namespace).toBe("monitoring");
    expect(settings.monitoring).toMatchObject({ enabled: true, mode: "standalone" });
  });

  it("takes the server defaults from the server's own config module, minus what the chart fixes and auth", () => {
    const {
      port: _port,
      host: _host,
      modelDir: _modelDir,
      metricsPort: _metricsPort,
      auth: _auth,
      ...serverDefaults
    } = DEFAULT_CONFIG;
    expect(DEFAULT_SETTINGS.server).toEqual(serverDefaults);
    expect(DEFAULT_SETTINGS.server).not.toHaveProperty("port");
    expect(DEFAULT_SETTINGS.auth).toEqual({ mode: "none", secretName: "iris-inference-api-keys" });
  });

  it("rejects an unknown auth mode and a Secret name Kubernetes would refuse", () => {
    expect(errorOf({ auth: { mode: "oauth" as never, secretName: "Bad_Name" } })).toBe(
      [
        "Invalid settings:",
        '  - auth.mode: must be one of "none", "api-key", got "oauth"',
        '  - auth.secretName: must be a Secret name (a DNS-1123 subdomain), e.g. iris-inference-api-keys, got "Bad_Name"',
      ].join("\n"),
    );
  });

  it("merges nested overrides and keeps the sibling defaults", () => {
    const settings = resolveSettings({ image: { tag: "1.2.3" }, autoscaling: { maxReplicas: 4 } });
    expect(settings.image).toEqual({ repository: "infer8s", tag: "1.2.3" });
    expect(settings.autoscaling).toEqual({ ...DEFAULT_SETTINGS.autoscaling, maxReplicas: 4 });
  });

  it("replaces free-form maps instead of merging them", () => {
    const settings = resolveSettings({ monitoring: { operatorSelectorLabels: { team: "ml" } } });
    expect(settings.monitoring.operatorSelectorLabels).toEqual({ team: "ml" });
  });

  // [overrides, the one problem they cause]
  const invalid: [unknown, string][] = [
    [{ image: { tag: "latest" } }, 'image.tag: must pin a version, not "latest", got "latest"'],
    // a typo is named by its path, not ignored
    [{ autoscaling: { maxReplica: 5 } }, "autoscaling.maxReplica: unknown setting"],
    [{ image: "infer8s:1.0.0" }, 'image: must be an object, got "infer8s:1.0.0"'],
    [
      { autoscaling: { minReplicas: 3, maxReplicas: 2 } },
      "autoscaling.maxReplicas: must be >= autoscaling.minReplicas (3), got 2",
    ],
    // a disruption budget of one would pin a single replica
    [
      { autoscaling: { minReplicas: 1 } },
      "autoscaling.minReplicas: must be an integer from 2 to 1000, got 1",
    ],
    [
      { autoscaling: { cpuUtilizationPercent: 0 } },
      "autoscaling.cpuUtilizationPercent: must be an integer from 1 to 100, got 0",
    ],
    [
      { namespace: "Infer8s" },
      "namespace: must be a DNS-1123 label (lowercase letters, digits and '-', at most 63 characters), got \"Infer8s\"",
    ],
    [
      { resources: { requests: { cpu: "half" } } },
      'resources.requests.cpu: must be a positive CPU quantity such as "250m" or "1", got "half"',
    ],
    [
      { resources: { limits: { memory: "128Mi" } } },
      'resources.limits.memory: must be >= resources.requests.memory (320Mi), got "128Mi"',
    ],
    // the heap must leave room in the memory limit for everything else
    [
      { resources: { heapLimitMiB: 400 } },
      "resources.heapLimitMiB: must be at most half of resources.limits.memory (640Mi), leaving room for code, buffers and the TF.js backend, got 400",
    ],
    [
      { resources: { heapLimitMiB: 8 } },
      "resources.heapLimitMiB: must be an integer from 32 to 65536, got 8",
    ],
    [
      { monitoring: { mode: "sidecar" } },
      'monitoring.mode: must be one of "standalone", "operator", got "sidecar"',
    ],
    [
      { monitoring: { namespace: "infer8s" } },
      'monitoring.namespace: must differ from namespace ("infer8s")',
    ],
    [{ ingress: { className: "nginx" } }, 'ingress.className: needs ingress.host to be set, got "nginx"'],
    [
      { ingress: { host: "http://iris" } },
      'ingress.host: must be a DNS name such as iris.example.com, got "http://iris"',
    ],
    [
      { clientNamespaces: [] },
      'clientNamespaces: must be "any" or a non-empty list of namespace names, got []',
    ],
    [
      { clientNamespaces: ["web", "Bad_NS"] },
      "clientNamespaces[1]: must be a DNS-1123 label (lowercase letters, digits and '-', at most 63 characters), got \"Bad_NS\"",
    ],
  ];

  it.each(invalid)("rejects %j", (overrides, problem) => {
    expect(errorOf(overrides)).toBe(`Invalid settings:\n  - ${problem}`);
  });

  it("rejects an unknown service type and out-of-range ports", () => {
    expect(errorOf({ service: { type: "Headless", port: 0 } })).toBe(
      [
        "Invalid settings:",
        '  - service.type: must be one of "ClusterIP", "NodePort", "LoadBalancer", got "Headless"',
        "  - service.port: must be an integer from 1 to 65535, got 0",
      ].join("\n"),
    );
  });

  it("reports every invalid setting at once", () => {
    const message = errorOf({ image: { tag: "latest" }, server: { logLevel: "loud", drainSeconds: -1 } });
    expect(message.split("\n")).toEqual([
      "Invalid settings:",
      '  - image.tag: must pin a version, not "latest", got "latest"',
      '  - server.logLevel: must be one of fatal, error, warn, info, debug, trace, silent, got "loud"',
      "  - server.drainSeconds: must be a number of seconds from 0 to 300, at most 3 decimals, got -1",
    ]);
  });
});

describe("resolveSettings on server settings (checked by the server's own parser)", () => {
  it.each(SERVER_SETTING_KEYS_IN_SETTINGS)("rejects an invalid server.%s, naming the setting", (key) => {
    const spec = SERVER_SETTINGS[key];
    const invalid =
      spec.kind === "integer" || spec.kind === "seconds"
        ? spec.max + 1
        : spec.kind === "on-off"
          ? "on"
          : "not-a-choice";
    const message = errorOf(overrideAt(key, invalid));
    expect(message).toMatch(
      new RegExp(`^Invalid settings:\\n  - server\\.${key.replace(".", "\\.")}: must `),
    );
    expect(message.split("\n")).toHaveLength(2);
  });

  it("rejects a number written as a string, which the environment would not show", () => {
    expect(errorOf({ server: { drainSeconds: "5" } })).toBe(
      'Invalid settings:\n  - server.drainSeconds: must be a number, got "5"',
    );
    expect(errorOf({ server: { batching: { enabled: "on" } } })).toBe(
      'Invalid settings:\n  - server.batching.enabled: must be a boolean, got "on"',
    );
  });

  it("rejects what the server rejects, with the server's expectation and the setting's value", () => {
    expect(errorOf({ server: { maxRowsPerRequest: 2.5, batching: { maxRowsPerCall: 0 } } })).toBe(
      [
        "Invalid settings:",
        "  - server.maxRowsPerRequest: must be an integer from 1 to 100000, got 2.5",
        "  - server.batching.maxRowsPerCall: must be an integer from 1 to 100000, got 0",
      ].join("\n"),
    );
  });

  it("rejects a header timeout longer than the request timeout, as Node would at listen", () => {
    expect(errorOf({ server: { http: { headersTimeoutSeconds: 40 } } })).toBe(
      "Invalid settings:\n  - server.http.headersTimeoutSeconds: must not exceed the request timeout (30 s), got 40",
    );
  });

  it("accepts what the server accepts where the two once drifted: fractional drain, zero in-flight", () => {
    const settings = resolveSettings({ server: { drainSeconds: 2.5, inflightTimeoutSeconds: 0 } });
    const parsed = parseServerConfig(serverEnvironment(settings.server));
    expect(parsed).toMatchObject({ ok: true, config: { drainSeconds: 2.5, inflightTimeoutSeconds: 0 } });
    expect(terminationGracePeriodSeconds(settings.server)).toBe(8);
  });

  it("rejects what the server rejects where the two once drifted: sub-millisecond drain", () => {
    expect(errorOf({ server: { drainSeconds: 0.0005 } })).toBe(
      "Invalid settings:\n  - server.drainSeconds: must be a number of seconds from 0 to 300, at most 3 decimals, got 0.0005",
    );
    expect(parseServerConfig({ [ENV.drainSeconds]: "0.0005" }).ok).toBe(false);
  });

  it("merges a partial http section and keeps the other timeouts", () => {
    expect(resolveSettings({ server: { http: { requestTimeoutSeconds: 45 } } }).server.http).toEqual({
      keepAliveTimeoutSeconds: 65,
      headersTimeoutSeconds: 10,
      requestTimeoutSeconds: 45,
      maxConnectionAgeSeconds: 15,
      maxRequestsPerSocket: 0,
    });
  });
});

/** `{ server: { a: { b: value } } }` for the key `a.b`. */
function overrideAt(key: string, value: unknown): unknown {
  return { server: key.split(".").reduceRight<unknown>((inner, part) => ({ [part]: inner }), value) };
}

describe("terminationGracePeriodSeconds", () => {
  it("exceeds the server's drain period plus its in-flight bound", () => {
    const server = { ...DEFAULT_SETTINGS.server, drainSeconds: 7, inflightTimeoutSeconds: 11 };
    expect(terminationGracePeriodSeconds(server)).toBe(23);
  });

  it("rounds up to the whole seconds Kubernetes takes", () => {
    const server = { ...DEFAULT_SETTINGS.server, drainSeconds: 2.25, inflightTimeoutSeconds: 0.5 };
    expect(terminationGracePeriodSeconds(server)).toBe(8);
  });
});

describe("readSettingsOverrides", () => {
  const dir = mkdtempSync(join(tmpdir(), "infer8s-settings-"));

  it("reads a JSON file of overrides", () => {
    const file = join(dir, "ok.json");
    writeFileSync(file, JSON.stringify({ monitoring: { mode: "operator" } }));
    expect(resolveSettings(readSettingsOverrides(file)).monitoring.mode).toBe("operator");
  });

  it("names the file when it is not a JSON object", () => {
    const file = join(dir, "list.json");
    writeFileSync(file, "[1]");
    expect(() => readSettingsOverrides(file)).toThrow(`Settings file ${file} must contain a JSON object`);
  });
});

describe("autoscalingBehavior and probes", () => {
  it("default to the probe timings the chart has always had", () => {
    // The HPA behavior defaults are pinned by the inference chart's snapshot and by dist/.
    expect(DEFAULT_SETTINGS.probes).toEqual({
      startup: { periodSeconds: 2, timeoutSeconds: 1, failureThreshold: 30 },
      liveness: { periodSeconds: 10, timeoutSeconds: 3, failureThreshold: 3 },
      readiness: { periodSeconds: 5, timeoutSeconds: 2, failureThreshold: 2 },
    });
  });

  it("merge a single probe timing and replace a policy list", () => {
    const settings = resolveSettings({
      probes: { readiness: { periodSeconds: 7 } },
      autoscalingBehavior: { scaleDown: { policies: [{ type: "Pods", value: 1, periodSeconds: 60 }] } },
    } as unknown as SettingsOverrides);
    expect(settings.probes.readiness).toEqual({ periodSeconds: 7, timeoutSeconds: 2, failureThreshold: 2 });
    expect(settings.probes.liveness).toEqual(DEFAULT_SETTINGS.probes.liveness);
    expect(settings.autoscalingBehavior.scaleDown).toEqual({
      stabilizationWindowSeconds: 300,
      selectPolicy: "Max",
      policies: [{ type: "Pods", value: 1, periodSeconds: 60 }],
    });
  });

  it("reject probe timings out of range, naming the setting", () => {
    expect(
      errorOf({
        probes: {
          startup: { failureThreshold: 0 },
          liveness: { timeoutSeconds: 1.5 },
          readiness: { periodSeconds: 0 },
        },
      }).split("\n"),
    ).toEqual([
      "Invalid settings:",
      "  - probes.startup.failureThreshold: must be an integer from 1 to 1000, got 0",
      "  - probes.liveness.timeoutSeconds: must be an integer from 1 to 300, got 1.5",
      "  - probes.readiness.periodSeconds: must be an integer from 1 to 300, got 0",
    ]);
    expect(errorOf({ probes: { readiness: { initialDelaySeconds: 5 } } })).toBe(
      "Invalid settings:\n  - probes.readiness.initialDelaySeconds: unknown setting",
    );
  });

  it("reject HPA behavior Kubernetes would refuse, naming the setting", () => {
    expect(
      errorOf({
        autoscalingBehavior: {
          scaleUp: {
            stabilizationWindowSeconds: 3601,
            selectPolicy: "Sometimes",
            policies: [{ type: "Nodes", value: 0, periodSeconds: 1801 }],
          },
          scaleDown: { policies: [] },
        },
      }).split("\n"),
    ).toEqual([
      "Invalid settings:",
      "  - autoscalingBehavior.scaleUp.stabilizationWindowSeconds: must be an integer from 0 to 3600, got 3601",
      '  - autoscalingBehavior.scaleUp.selectPolicy: must be one of "Max", "Min", "Disabled", got "Sometimes"',
      '  - autoscalingBehavior.scaleUp.policies[0].type: must be one of "Percent", "Pods", got "Nodes"',
      "  - autoscalingBehavior.scaleUp.policies[0].value: must be an integer from 1 to 1000, got 0",
      "  - autoscalingBehavior.scaleUp.policies[0].periodSeconds: must be an integer from 1 to 1800, got 1801",
      "  - autoscalingBehavior.scaleDown.policies: must be a non-empty list of policies, got []",
    ]);
    expect(errorOf({ autoscalingBehavior: { scaleDown: { policies: [50] } } })).toBe(
      "Invalid settings:\n  - autoscalingBehavior.scaleDown.policies[0]: must be an object with type, value and periodSeconds",
    );
  });
});

describe("autoscaling.mode and autoscaling.requests", () => {
  it("defaults to resource mode, with the request-rate target derived from the CPU request (311 req/s)", () => {
    expect(DEFAULT_SETTINGS.autoscaling.mode).toBe("resource");
    expect(requestRateTarget(DEFAULT_SETTINGS)).toBe(311);
  });

  it("derives the target from resources.requests.cpu and cpuUtilizationPercent unless it is set", () => {
    const derived = resolveSettings({
      autoscaling: { mode: "requests", cpuUtilizationPercent: 50 },
      resources: { requests: { cpu: "500m" } },
    });
    expect(requestRateTarget(derived)).toBe(449);
    const set = resolveSettings({
      autoscaling: { mode: "requests", requests: { targetRequestsPerSecondPerPod: 120 } },
    });
    expect(requestRateTarget(set)).toBe(120);
  });

  it("rejects an unknown mode and bad request-scaling values by their paths", () => {
    expect(
      errorOf({
        autoscaling: {
          mode: "rps" as never,
          requests: {
            targetRequestsPerSecondPerPod: 0,
            prometheusUrl: "prometheus:9090",
            pollingIntervalSeconds: 0,
            fallbackReplicas: 11,
          },
        },
      }),
    ).toBe(
      [
        "Invalid settings:",
        '  - autoscaling.mode: must be one of "resource", "requests", got "rps"',
        "  - autoscaling.requests.targetRequestsPerSecondPerPod: must be a number of requests per second above 0 and at most 1000000, got 0",
        '  - autoscaling.requests.prometheusUrl: must be an http(s) URL such as http://prometheus-operated.monitoring.svc:9090, got "prometheus:9090"',
        "  - autoscaling.requests.pollingIntervalSeconds: must be an integer from 1 to 3600, got 0",
        "  - autoscaling.requests.fallbackReplicas: must be an integer from autoscaling.minReplicas (2) to autoscaling.maxReplicas (10), got 11",
      ].join("\n"),
    );
  });

  it("requires prometheusUrl in requests mode without the standalone Prometheus", () => {
    const message =
      'Invalid settings:\n  - autoscaling.requests.prometheusUrl: must be set when autoscaling.mode is "requests" without the standalone monitoring stack (monitoring.enabled true, monitoring.mode "operator"): there is no Prometheus of ours for KEDA to query';
    expect(errorOf({ autoscaling: { mode: "requests" }, monitoring: { mode: "operator" } })).toBe(message);
    expect(errorOf({ autoscaling: { mode: "requests" }, monitoring: { enabled: false } })).toContain(
      "autoscaling.requests.prometheusUrl: must be set",
    );
    // Not needed in resource mode, nor when set.
    expect(() => resolveSettings({ monitoring: { mode: "operator" } })).not.toThrow();
    expect(() =>
      resolveSettings({
        autoscaling: {
          mode: "requests",
          requests: { prometheusUrl: "http://prometheus-operated.monitoring.svc:9090" },
        },
        monitoring: { mode: "operator" },
      }),
    ).not.toThrow();
  });

  it("refuses to derive a target from a CPU request that leaves nothing above idle", () => {
    expect(
      errorOf({
        autoscaling: { mode: "requests", cpuUtilizationPercent: 1 },
        resources: { requests: { cpu: "100m" } },
      }),
    ).toBe(
      "Invalid settings:\n  - autoscaling.requests.targetRequestsPerSecondPerPod: must be set: targetRequestsPerSecondPerPod: 1 % of 100 millicores leaves no CPU above the server's idle 5 millicores",
    );
  });
});

describe("gitops", () => {
  it("defaults to no repository (so no Argo CD Application) with automated sync, prune and self-heal", () => {
    const gitops = resolveSettings().gitops;
    expect(gitops.repositoryUrl).toBeUndefined();
    expect([gitops.automated, gitops.prune, gitops.selfHeal]).toEqual([true, true, true]);
    expect([gitops.namespace, gitops.targetRevision]).toEqual(["argocd", "main"]);
  });

  it("accepts https and ssh repository URLs", () => {
    for (const url of ["https://github.com/example/infer8s.git", "git@github.com:example/infer8s.git"]) {
      expect(resolveSettings({ gitops: { repositoryUrl: url } }).gitops.repositoryUrl).toBe(url);
    }
  });

  it("rejects what Argo CD could not use, naming the setting", () => {
    expect(
      errorOf({
        gitops: {
          repositoryUrl: "not a url",
          targetRevision: "feature branch",
          prune: "yes",
          namespace: "Argo CD",
          project: "",
          destinationServer: "http://insecure",
        },
      }).split("\n"),
    ).toEqual([
      "Invalid settings:",
      '  - gitops.repositoryUrl: must be a Git URL such as https://github.com/OWNER/infer8s.git or git@github.com:OWNER/infer8s.git, got "not a url"',
      '  - gitops.targetRevision: must be a branch, tag or commit such as main or v1.2.3, got "feature branch"',
      '  - gitops.prune: must be true or false, got "yes"',
      '  - gitops.namespace: must be a DNS-1123 label, got "Argo CD"',
      '  - gitops.project: must be a DNS-1123 subdomain, got ""',
      '  - gitops.destinationServer: must be an https:// URL such as https://kubernetes.default.svc, got "http://insecure"',
    ]);
  });

  it("names whose settings are invalid when told", () => {
    expect(() => resolveSettings({ image: { tag: "latest" } }, 'environment "staging"')).toThrow(
      'Invalid settings for environment "staging":\n  - image.tag: must pin a version, not "latest", got "latest"',
    );
  });
});

describe("mesh settings", () => {
  it("default to no mesh, the cluster.local trust domain and kube-prometheus-stack's Prometheus", () => {
    expect(resolveSettings().mesh).toEqual({
      mode: "none",
      trustDomain: "cluster.local",
      operatorPrometheusServiceAccount: "kube-prometheus-stack-prometheus",
    });
    expect(resolveSettings({ mesh: { mode: "istio-ambient" } }).mesh.mode).toBe("istio-ambient");
  });

  it("reject an unknown mode, a trust domain or ServiceAccount that is no DNS subdomain, naming the setting", () => {
    expect(
      errorOf({
        mesh: { mode: "istio", trustDomain: "Cluster Local", operatorPrometheusServiceAccount: "KPS_prom" },
      }).split("\n"),
    ).toEqual([
      "Invalid settings:",
      '  - mesh.mode: must be one of "none", "istio-ambient", got "istio"',
      '  - mesh.trustDomain: must be a DNS-1123 subdomain such as "cluster.local", got "Cluster Local"',
      '  - mesh.operatorPrometheusServiceAccount: must be a ServiceAccount name (a DNS-1123 subdomain), got "KPS_prom"',
    ]);
  });

  it("reject a NodePort or LoadBalancer Service in the mesh, whose outside traffic STRICT mTLS would refuse", () => {
    for (const type of ["NodePort", "LoadBalancer"] as const) {
      expect(errorOf({ mesh: { mode: "istio-ambient" }, service: { type } })).toBe(
        "Invalid settings:\n" +
          `  - service.type: must be "ClusterIP" with mesh.mode "istio-ambient" (STRICT mTLS refuses the plaintext traffic a NodePort or LoadBalancer brings from outside the mesh; expose the service through an ingress in the mesh), got "${type}"`,
      );
      // Without the mesh the same Service is fine.
      expect(resolveSettings({ service: { type } }).service.type).toBe(type);
    }
  });
});
