import { describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { compareManifestTrees, elide, lineDiff, renderChangeSummary } from "./change-summary.js";
import { type ManifestObject, type ManifestTree, objectId } from "./manifest-tree.js";

type Body = Record<string, unknown>;

function tree(environments: Record<string, Body[]>): ManifestTree {
  return new Map(
    Object.entries(environments).map(([environment, bodies]) => [
      environment,
      new Map<string, ManifestObject>(
        bodies.map((body) => [objectId(body), { id: objectId(body), kind: String(body.kind), body }]),
      ),
    ]),
  );
}

function summary(base: Record<string, Body[]>, head: Record<string, Body[]>): string {
  return renderChangeSummary(compareManifestTrees(tree(base), tree(head)), {
    base: "`main`",
    head: "working tree",
  });
}

/** The Markdown of one group's section, from its heading to the next heading. */
function section(markdown: string, title: string): string {
  const start = markdown.indexOf(`#### ${title}\n`);
  if (start < 0) return "";
  const end = markdown.indexOf("\n#", start + 5);
  return markdown.slice(start, end < 0 ? undefined : end);
}

const labels = (version: string) => ({
  "app.kubernetes.io/version": version,
  "app.kubernetes.io/part-of": "infer8s",
});

function deployment(o: {
  name?: string;
  image?: string;
  version?: string;
  cpu?: string;
  replicas?: number;
  runAsNonRoot?: boolean;
  readinessPeriod?: number;
  maxUnavailable?: number;
  grace?: number;
  checksum?: string;
  automount?: boolean;
  serviceAccountName?: string;
  logLevel?: string;
}): Body {
  const name = o.name ?? "iris-inference";
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name, namespace: "infer8s", labels: labels(o.version ?? "0.1.0") },
    spec: {
      replicas: o.replicas ?? 2,
      strategy: {
        type: "RollingUpdate",
        rollingUpdate: { maxSurge: 1, maxUnavailable: o.maxUnavailable ?? 0 },
      },
      template: {
        metadata: {
          labels: { app: name },
          annotations: o.checksum ? { "checksum/config": o.checksum } : {},
        },
        spec: {
          serviceAccountName: o.serviceAccountName ?? name,
          automountServiceAccountToken: o.automount ?? false,
          terminationGracePeriodSeconds: o.grace ?? 30,
          securityContext: { runAsNonRoot: o.runAsNonRoot ?? true, runAsUser: 10001 },
          containers: [
            {
              name: "server",
              image: o.image ?? "infer8s:0.1.0",
              env: [
                { name: "LOG_LEVEL", value: o.logLevel ?? "info" },
                { name: "PORT", value: "8080" },
              ],
              resources: { requests: { cpu: o.cpu ?? "250m", memory: "320Mi" }, limits: { memory: "640Mi" } },
              readinessProbe: {
                httpGet: { path: "/ready", port: 8080 },
                periodSeconds: o.readinessPeriod ?? 5,
              },
            },
            { name: "sidecar", image: "busybox:1.36", resources: { requests: { cpu: "10m" } } },
          ],
        },
      },
    },
  };
}

function hpa(o: { max?: number; cpuTarget?: number; scaleDownWindow?: number; version?: string }): Body {
  return {
    apiVersion: "autoscaling/v2",
    kind: "HorizontalPodAutoscaler",
    metadata: { name: "iris-inference", namespace: "infer8s", labels: labels(o.version ?? "0.1.0") },
    spec: {
      minReplicas: 2,
      maxReplicas: o.max ?? 10,
      metrics: [
        {
          type: "Resource",
          resource: { name: "cpu", target: { type: "Utilization", averageUtilization: o.cpuTarget ?? 70 } },
        },
      ],
      behavior: { scaleDown: { stabilizationWindowSeconds: o.scaleDownWindow ?? 300 } },
    },
  };
}

const namespace = (level: string, version = "0.1.0"): Body => ({
  apiVersion: "v1",
  kind: "Namespace",
  metadata: { name: "infer8s", labels: { ...labels(version), "pod-security.kubernetes.io/enforce": level } },
});

const clusterRole = (verbs: string[]): Body => ({
  apiVersion: "rbac.authorization.k8s.io/v1",
  kind: "ClusterRole",
  metadata: { name: "infer8s-prometheus" },
  rules: [{ apiGroups: [""], resources: ["pods", "endpoints"], verbs }],
});

const roleBinding = (subject: string): Body => ({
  apiVersion: "rbac.authorization.k8s.io/v1",
  kind: "RoleBinding",
  metadata: { name: "infer8s-prometheus", namespace: "infer8s" },
  roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "infer8s-prometheus" },
  subjects: [{ kind: "ServiceAccount", name: subject, namespace: "monitoring" }],
});

const networkPolicy = (from: string): Body => ({
  apiVersion: "networking.k8s.io/v1",
  kind: "NetworkPolicy",
  metadata: { name: "iris-inference", namespace: "infer8s" },
  spec: { podSelector: {}, ingress: [{ from: [{ namespaceSelector: { matchLabels: { name: from } } }] }] },
});

const pdb = (minAvailable: number): Body => ({
  apiVersion: "policy/v1",
  kind: "PodDisruptionBudget",
  metadata: { name: "iris-inference", namespace: "infer8s" },
  spec: { minAvailable, selector: { matchLabels: { app: "iris-inference" } } },
});

const service = (port: number): Body => ({
  apiVersion: "v1",
  kind: "Service",
  metadata: { name: "iris-inference", namespace: "infer8s" },
  spec: { ports: [{ name: "http", port, targetPort: "http" }] },
});

const ERROR_RATIO =
  'sum(rate(http_requests_total{job="iris-inference",status=~"5.."}[5m])) / sum(rate(http_requests_total{job="iris-inference"}[5m]))';

function prometheusConfigMap(o: {
  recordExpr?: string;
  threshold?: number;
  for?: string;
  extraAlert?: boolean;
  ksmInterval?: string;
  ini?: string;
}): Body {
  const rules = {
    groups: [
      {
        name: "iris-inference.rules",
        rules: [{ record: "job:http_request_errors:ratio_rate5m", expr: o.recordExpr ?? ERROR_RATIO }],
      },
      {
        name: "iris-inference.alerts",
        rules: [
          {
            alert: "InferenceHighErrorRatio",
            expr: `${ERROR_RATIO} > ${o.threshold ?? 0.05}`,
            for: o.for ?? "10m",
            labels: { severity: "warning" },
            annotations: { summary: "Many requests fail." },
          },
          {
            alert: "InferenceTargetDown",
            expr: 'up{job="iris-inference"} == 0',
            for: "5m",
            labels: { severity: "warning" },
          },
          ...(o.extraAlert
            ? [
                {
                  alert: "InferenceSlowStart",
                  expr: "time() - process_start_time_seconds < 60",
                  for: "2m",
                  labels: { severity: "info" },
                },
              ]
            : []),
        ],
      },
    ],
  };
  const config = {
    global: { scrape_interval: "15s", evaluation_interval: "15s" },
    rule_files: ["alert-rules.yml"],
    scrape_configs: [
      { job_name: "iris-inference", metrics_path: "/metrics" },
      { job_name: "kube-state-metrics", scrape_interval: o.ksmInterval ?? "15s", honor_labels: true },
    ],
  };
  return {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: "prometheus", namespace: "monitoring" },
    data: {
      "alert-rules.yml": stringify(rules),
      "prometheus.yml": stringify(config),
      "grafana.ini": o.ini ?? "[log]\nmode = console\n\n[users]\nallow_sign_up = false\n",
    },
  };
}

function dashboardConfigMap(o: { rateWindow?: string; extraPanel?: boolean }): Body {
  const dashboard = {
    title: "Inference",
    panels: [
      { type: "row", title: "Overview", id: 1 },
      {
        type: "timeseries",
        title: "Request rate",
        id: 2,
        targets: [
          { refId: "A", expr: `sum(rate(http_requests_total[${o.rateWindow ?? "$__rate_interval"}]))` },
        ],
      },
      ...(o.extraPanel
        ? [
            {
              type: "stat",
              title: "Model accuracy",
              id: 3,
              targets: [{ refId: "A", expr: "max(ml_model_accuracy)" }],
            },
          ]
        : []),
    ],
  };
  return {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: "grafana-dashboards", namespace: "monitoring" },
    data: { "inference.json": JSON.stringify(dashboard, null, 2) },
  };
}

const prometheusRule = (threshold: number): Body => ({
  apiVersion: "monitoring.coreos.com/v1",
  kind: "PrometheusRule",
  metadata: { name: "iris-inference", namespace: "infer8s" },
  spec: {
    groups: [
      { name: "alerts", rules: [{ alert: "InferenceHighLatency", expr: `p95 > ${threshold}`, for: "10m" }] },
    ],
  },
});

const serviceMonitor = (interval: string): Body => ({
  apiVersion: "monitoring.coreos.com/v1",
  kind: "ServiceMonitor",
  metadata: { name: "iris-inference", namespace: "infer8s" },
  spec: { endpoints: [{ port: "http", interval, path: "/metrics" }] },
});

describe("renderChangeSummary", () => {
  it("says so when nothing synthesized changed", () => {
    const objects = { "": [deployment({}), hpa({})] };
    const markdown = summary(objects, objects);
    expect(markdown).toContain("**Summary:** 0 objects changed, 0 added, 0 removed in 0 of 1 environment");
    expect(markdown).toContain("No synthesized object changes.");
  });

  it("reports an image and version bump under release, once for a label that changed on many objects", () => {
    const markdown = summary(
      { "": [deployment({}), hpa({}), namespace("restricted")] },
      {
        "": [
          deployment({ image: "infer8s:0.2.0", version: "0.2.0" }),
          hpa({ version: "0.2.0" }),
          namespace("restricted", "0.2.0"),
        ],
      },
    );
    const release = section(markdown, "Release");
    expect(release).toContain(
      "`spec.template.spec.containers[server].image`: `infer8s:0.1.0` → `infer8s:0.2.0`",
    );
    expect(release).toContain(
      '- `metadata.labels["app.kubernetes.io/version"]`: `0.1.0` → `0.2.0` on 3 objects: Deployment `infer8s/iris-inference`, HorizontalPodAutoscaler `infer8s/iris-inference`, Namespace `infer8s`',
    );
    expect(release.match(/app\.kubernetes\.io\/version/g)).toHaveLength(1);
  });

  it("reports replicas, resources and every HPA field under capacity and cost", () => {
    const markdown = summary(
      { "": [deployment({}), hpa({})] },
      {
        "": [deployment({ cpu: "300m", replicas: 3 }), hpa({ max: 12, cpuTarget: 60, scaleDownWindow: 600 })],
      },
    );
    const capacity = section(markdown, "Capacity and cost");
    expect(capacity).toContain("- Deployment `infer8s/iris-inference`");
    expect(capacity).toContain("`spec.replicas`: `2` → `3`");
    expect(capacity).toContain(
      "`spec.template.spec.containers[server].resources.requests.cpu`: `250m` → `300m`",
    );
    expect(capacity).toContain("- HorizontalPodAutoscaler `infer8s/iris-inference`");
    expect(capacity).toContain("`spec.maxReplicas`: `10` → `12`");
    expect(capacity).toContain("`spec.metrics[0].resource.target.averageUtilization`: `70` → `60`");
    expect(capacity).toContain("`spec.behavior.scaleDown.stabilizationWindowSeconds`: `300` → `600`");
  });

  it("reports securityContext, service account, RBAC, NetworkPolicy and Pod Security labels under security", () => {
    const markdown = summary(
      {
        "": [
          deployment({}),
          clusterRole(["get", "list"]),
          roleBinding("prometheus"),
          networkPolicy("monitoring"),
          namespace("restricted"),
        ],
      },
      {
        "": [
          deployment({ runAsNonRoot: false, automount: true, serviceAccountName: "default" }),
          clusterRole(["get", "list", "watch"]),
          roleBinding("grafana"),
          networkPolicy("ingress-nginx"),
          namespace("baseline"),
        ],
      },
    );
    const security = section(markdown, "Security");
    expect(security).toContain("`spec.template.spec.securityContext.runAsNonRoot`: `true` → `false`");
    expect(security).toContain("`spec.template.spec.automountServiceAccountToken`: `false` → `true`");
    expect(security).toContain("`spec.template.spec.serviceAccountName`: `iris-inference` → `default`");
    expect(security).toContain(
      '- ClusterRole `infer8s-prometheus`\n  - `rules[0].verbs`: `["get","list"]` → `["get","list","watch"]`',
    );
    expect(security).toContain(
      '- RoleBinding `infer8s/infer8s-prometheus`\n  - `subjects[prometheus]`: removed (was `{"kind":"ServiceAccount","name":"prometheus","namespace":"monitoring"}`)\n  - `subjects[grafana]`: added `{"kind":"ServiceAccount","name":"grafana","namespace":"monitoring"}`',
    );
    expect(security).toContain(
      "`spec.ingress[0].from[0].namespaceSelector.matchLabels.name`: `monitoring` → `ingress-nginx`",
    );
    expect(security).toContain(
      '`metadata.labels["pod-security.kubernetes.io/enforce"]`: `restricted` → `baseline`',
    );
  });

  it("reports Istio's AuthorizationPolicy and PeerAuthentication changes under security", () => {
    const istio = (kind: string, spec: Body): Body => ({
      apiVersion: "security.istio.io/v1",
      kind,
      metadata: { name: "iris-inference-api", namespace: "infer8s" },
      spec,
    });
    const markdown = summary(
      {
        "": [
          istio("AuthorizationPolicy", {
            action: "ALLOW",
            rules: [{ from: [{ source: { namespaces: ["web"] } }] }],
          }),
        ],
      },
      {
        "": [
          istio("AuthorizationPolicy", {
            action: "ALLOW",
            rules: [{ from: [{ source: { namespaces: ["batch"] } }] }],
          }),
          istio("PeerAuthentication", { mtls: { mode: "STRICT" } }),
        ],
      },
    );
    const security = section(markdown, "Security");
    expect(security).toContain("AuthorizationPolicy `infer8s/iris-inference-api`");
    expect(security).toContain("PeerAuthentication `infer8s/iris-inference-api`");
  });

  it("reports probes, strategy, grace period and the PodDisruptionBudget under availability", () => {
    const markdown = summary(
      { "": [deployment({}), pdb(1)] },
      { "": [deployment({ readinessPeriod: 10, maxUnavailable: 1, grace: 45 }), pdb(2)] },
    );
    const availability = section(markdown, "Availability");
    expect(availability).toContain(
      "`spec.template.spec.containers[server].readinessProbe.periodSeconds`: `5` → `10`",
    );
    expect(availability).toContain("`spec.strategy.rollingUpdate.maxUnavailable`: `0` → `1`");
    expect(availability).toContain("`spec.template.spec.terminationGracePeriodSeconds`: `30` → `45`");
    expect(availability).toContain(
      "- PodDisruptionBudget `infer8s/iris-inference`\n  - `spec.minAvailable`: `1` → `2`",
    );
  });

  it("names the workloads whose pods roll and the config checksums that roll them, under restarts", () => {
    const markdown = summary(
      {
        "": [
          deployment({ logLevel: "info" }),
          deployment({ name: "prometheus", checksum: "a".repeat(64) }),
          hpa({}),
        ],
      },
      {
        "": [
          deployment({ logLevel: "debug" }),
          deployment({ name: "prometheus", checksum: "b".repeat(64) }),
          hpa({ max: 11 }),
        ],
      },
    );
    const restarts = section(markdown, "Restarts");
    expect(restarts).toContain(
      "- Deployment `infer8s/iris-inference`: its pods roll (pod template changed: `spec.containers[server].env[LOG_LEVEL].value`)",
    );
    expect(restarts).toContain(
      '- Deployment `infer8s/prometheus`: its pods roll (pod template changed: `metadata.annotations["checksum/config"]`)',
    );
    expect(restarts).toContain(
      '`spec.template.metadata.annotations["checksum/config"]`: `aaaaaaaaaaaa…` → `bbbbbbbbbbbb…`',
    );
    expect(restarts).not.toContain("HorizontalPodAutoscaler");
    expect(section(markdown, "Other")).toContain(
      "`spec.template.spec.containers[server].env[LOG_LEVEL].value`: `info` → `debug`",
    );
  });

  it("shows an added environment variable as NAME=value", () => {
    const before = deployment({});
    const after = deployment({});
    const spec = (after.spec as { template: { spec: { containers: { env: object[] }[] } } }).template.spec;
    spec.containers[0]!.env.push({ name: "NODE_OPTIONS", value: "--max-old-space-size=128" });
    expect(section(summary({ "": [before] }, { "": [after] }), "Other")).toContain(
      "  - `spec.template.spec.containers[server].env[NODE_OPTIONS]`: added `NODE_OPTIONS=--max-old-space-size=128`",
    );
  });

  it("diffs embedded Prometheus rules by alert name, showing the PromQL change, for and new alerts", () => {
    const markdown = summary(
      { "": [prometheusConfigMap({})] },
      {
        "": [
          prometheusConfigMap({
            threshold: 0.02,
            for: "5m",
            extraAlert: true,
            recordExpr: "sum(rate(errors[5m]))",
          }),
        ],
      },
    );
    const monitoring = section(markdown, "Monitoring");
    expect(monitoring).toContain("- ConfigMap `monitoring/prometheus`");
    expect(monitoring).toContain(
      "  - `alert-rules.yml` (Prometheus rules) · alert **InferenceHighErrorRatio**",
    );
    expect(monitoring).toContain('    - `expr`: `…-inference"}[5m])) > 0.05` → `…-inference"}[5m])) > 0.02`');
    expect(monitoring).toContain(`      - ${ERROR_RATIO} > 0.05\n      + ${ERROR_RATIO} > 0.02`);
    expect(monitoring).toContain("    - `for`: `10m` → `5m`");
    expect(monitoring).toContain(
      "  - `alert-rules.yml` (Prometheus rules) · alert **InferenceSlowStart**\n    - added `time() - process_start_time_seconds < 60` for `2m`",
    );
    expect(monitoring).toContain(
      `  - \`alert-rules.yml\` (Prometheus rules) · recording rule **job:http_request_errors:ratio_rate5m**\n    - \`expr\`: \`${ERROR_RATIO}\` → \`sum(rate(errors[5m]))\``,
    );
    expect(monitoring).not.toContain("InferenceTargetDown");
    expect(monitoring).not.toContain("groups:");
  });

  it("diffs embedded scrape configs by job name and dashboards by panel title and query", () => {
    const markdown = summary(
      { "": [prometheusConfigMap({}), dashboardConfigMap({})] },
      {
        "": [
          prometheusConfigMap({ ksmInterval: "30s" }),
          dashboardConfigMap({ rateWindow: "5m", extraPanel: true }),
        ],
      },
    );
    const monitoring = section(markdown, "Monitoring");
    expect(monitoring).toContain(
      "  - `prometheus.yml` (Prometheus configuration) · scrape job **kube-state-metrics**\n    - `scrape_interval`: `15s` → `30s`",
    );
    expect(monitoring).toContain("- ConfigMap `monitoring/grafana-dashboards`");
    expect(monitoring).toContain(
      "  - `inference.json` (Grafana dashboard) · panel **Request rate**\n    - `targets[A].expr`: `sum(rate(http_requests_total[$__rate_interval]))` → `sum(rate(http_requests_total[5m]))`",
    );
    expect(monitoring).toContain(
      "  - `inference.json` (Grafana dashboard) · panel **Model accuracy**\n    - added `max(ml_model_accuracy)`",
    );
  });

  it("diffs PrometheusRule and ServiceMonitor objects under monitoring", () => {
    const markdown = summary(
      { "": [prometheusRule(0.5), serviceMonitor("15s")] },
      { "": [prometheusRule(0.3), serviceMonitor("30s")] },
    );
    const monitoring = section(markdown, "Monitoring");
    expect(monitoring).toContain(
      "- PrometheusRule `infer8s/iris-inference`\n  - alert **InferenceHighLatency**\n    - `expr`: `p95 > 0.5` → `p95 > 0.3`",
    );
    expect(monitoring).toContain(
      "- ServiceMonitor `infer8s/iris-inference`\n  - `spec.endpoints[http].interval`: `15s` → `30s`",
    );
  });

  it("shows a changed text file line by line and other fields under other", () => {
    const markdown = summary(
      { "": [prometheusConfigMap({}), service(80)] },
      {
        "": [
          prometheusConfigMap({
            ini: "[log]\nmode = console\nlevel = debug\n\n[users]\nallow_sign_up = false\n",
          }),
          service(8080),
        ],
      },
    );
    const other = section(markdown, "Other");
    expect(other).toContain(
      "- ConfigMap `monitoring/prometheus`\n  - `grafana.ini` (text)\n    - text changed:\n      ```diff\n      + level = debug\n      ```",
    );
    expect(other).toContain("- Service `infer8s/iris-inference`\n  - `spec.ports[http].port`: `80` → `8080`");
  });

  it("reports each environment directory, including one present on one side only, and added and removed objects", () => {
    const markdown = summary(
      { "": [deployment({}), pdb(1)], staging: [hpa({})], old: [service(80)] },
      {
        "": [deployment({}), networkPolicy("monitoring")],
        staging: [hpa({ max: 4 })],
        production: [hpa({ max: 20 })],
      },
    );
    expect(markdown).toContain("**Summary:** 1 object changed, 2 added, 2 removed in 4 of 4 environments");
    expect(markdown).toContain(
      "### Default environment (top-level files)\n\n0 changed · 1 added · 1 removed · 1 unchanged\n\n**Added:** NetworkPolicy `infer8s/iris-inference`\n\n**Removed:** PodDisruptionBudget `infer8s/iris-inference`",
    );
    expect(markdown).toContain(
      "### Environment `production` (added)\n\n0 changed · 1 added · 0 removed · 0 unchanged\n\n**Added:** HorizontalPodAutoscaler `infer8s/iris-inference`\n\n### ",
    );
    expect(markdown).toContain(
      "### Environment `old` (removed)\n\n0 changed · 0 added · 1 removed · 0 unchanged",
    );
    expect(markdown).toContain("### Environment `staging`\n\n1 changed");
    expect(summary({}, { argocd: [service(80)] })).toContain("### Argo CD Applications (`argocd/`) (added)");
    const many = Array.from({ length: 11 }, (_, i) => ({
      ...service(80),
      metadata: { name: `s${i}`, namespace: "x" },
    }));
    expect(summary({}, { staging: many })).toContain(
      "<details><summary><b>Added:</b> 11 objects</summary>\n\nService `x/s0`, Service `x/s1`",
    );
    expect(section(markdown.slice(markdown.indexOf("`staging`")), "Capacity and cost")).toContain(
      "`spec.maxReplicas`: `10` → `4`",
    );
    expect(section(markdown, "Security")).toContain("- NetworkPolicy `infer8s/iris-inference`: added");
    expect(section(markdown, "Availability")).toContain(
      "- PodDisruptionBudget `infer8s/iris-inference`: removed",
    );
  });

  it("lists an added dashboard ConfigMap under monitoring, and objects of no group only at the top", () => {
    const markdown = summary({ "": [] }, { "": [dashboardConfigMap({}), service(80)] });
    expect(markdown).toContain(
      "**Added:** ConfigMap `monitoring/grafana-dashboards`, Service `infer8s/iris-inference`",
    );
    expect(section(markdown, "Monitoring")).toContain("- ConfigMap `monitoring/grafana-dashboards`: added");
    expect(markdown).not.toContain("#### Other");
  });
});

describe("the whole summary", () => {
  it("reads as reviewed (snapshot of one change touching every group)", () => {
    const markdown = summary(
      {
        "": [
          deployment({}),
          hpa({}),
          pdb(1),
          clusterRole(["get"]),
          prometheusConfigMap({}),
          dashboardConfigMap({}),
          service(80),
        ],
        staging: [hpa({})],
      },
      {
        "": [
          deployment({
            image: "infer8s:0.2.0",
            cpu: "500m",
            runAsNonRoot: false,
            grace: 45,
            logLevel: "debug",
          }),
          hpa({ max: 12 }),
          pdb(2),
          clusterRole(["get", "watch"]),
          prometheusConfigMap({ threshold: 0.02, ksmInterval: "30s" }),
          dashboardConfigMap({ rateWindow: "5m" }),
          networkPolicy("monitoring"),
        ],
        production: [hpa({ max: 20 })],
      },
    );
    expect(markdown).toMatchSnapshot();
  });
});

describe("elide", () => {
  it("keeps short values whole and cuts long ones to the difference with context", () => {
    expect(elide("250m", "300m")).toEqual(["250m", "300m"]);
    const [old, current] = elide(`${"x".repeat(100)} > 0.05`, `${"x".repeat(100)} > 0.02`);
    expect(old).toBe(`…${"x".repeat(18)} > 0.05`);
    expect(current).toBe(`…${"x".repeat(18)} > 0.02`);
  });
});

describe("lineDiff", () => {
  it("lists removed and added lines only", () => {
    expect(lineDiff("a\nb\nc", "a\nB\nc\nd")).toEqual(["- b", "+ B", "+ d"]);
  });
});
