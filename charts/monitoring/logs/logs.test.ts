/* eslint-disable @typescript-eslint/no-explicit-any -- tests navigate synthesized YAML freely; the schema checks type it */
import { Writable } from "node:stream";
import { parser as logqlParser } from "@grafana/lezer-logql";
import { parse as parseYaml } from "yaml";
import { describe, expect, it } from "vitest";
import { appFor } from "../../../test/monitoring/fixtures.js";
import { alloySyntaxProblem } from "../../../test/support/alloy-syntax.js";
import {
  manifestProblems,
  podTemplates,
  rbacProblems,
  synthObjects,
} from "../../../test/support/k8s-checks.js";
import { createLogger, createRequestLogger } from "../../../src/server/logger.js";
import { LOG_FIELDS } from "./alloy-config.js";
import { resolveSettings } from "../../settings.js";
import { LOKI_DATASOURCE_UID, REQUEST_ID_DERIVED_FIELD } from "../mixin/dashboards/logs-row.js";

function objectsFor(overrides: Parameters<typeof appFor>[0] = {}) {
  const { namespaces, inference, monitoring } = appFor(overrides);
  return [namespaces, inference, ...(monitoring ? [monitoring] : [])].flatMap((c) =>
    synthObjects(c),
  ) as any[];
}

const find = (objects: any[], kind: string, name: string) =>
  objects.find((o) => o.kind === kind && o.metadata.name === name);

/** The first syntax error of a LogQL query (lezer-logql's error nodes), or undefined. */
function logqlError(query: string): string | undefined {
  let error: string | undefined;
  logqlParser.parse(query).iterate({
    enter: (node) => {
      if (node.type.isError && error === undefined)
        error = `at ${node.from}: ${query.slice(node.from, node.from + 20)}`;
    },
  });
  return error;
}

/**
 * A query as Loki receives it: Grafana substitutes its variables first (lezer-logql, like Loki, rejects a
 * `[$__auto]` range). Sample values for every variable the logs row uses; an unknown one fails the test.
 */
function interpolated(query: string): string {
  const values: Record<string, string> = {
    __auto: "1m",
    namespace: "infer8s",
    pod: ".*",
    log_level: "info|error",
    log_route: "/predict",
    request_id: "3f0c4b1e",
  };
  return query.replace(/\$(\w+)/g, (_, name: string) => {
    const value = values[name];
    if (value === undefined) throw new Error(`no sample value for the variable $${name} in ${query}`);
    return value;
  });
}

/** Every LogQL expression of a dashboard: targets of panels reading the Loki datasource. */
function lokiQueries(dashboard: any): string[] {
  return dashboard.panels
    .filter((p: any) => p.datasource?.uid === LOKI_DATASOURCE_UID)
    .flatMap((p: any) => p.targets.map((t: any) => t.expr as string));
}

function dashboardOf(objects: any[]): any {
  const configMap = objects.find((o) => o.kind === "ConfigMap" && o.data?.["inference.json"] !== undefined);
  return JSON.parse(configMap.data["inference.json"]);
}

function datasourcesOf(objects: any[]): any[] {
  return parseYaml(find(objects, "ConfigMap", "grafana-datasources").data["datasources.yaml"]).datasources;
}

function collectorConfig(objects: any[]): string {
  return find(objects, "ConfigMap", "log-collector").data["config.alloy"];
}

describe("logs in standalone mode", () => {
  const objects = objectsFor();

  it("emits Loki, the collector DaemonSet, the Loki datasource and a Logs row; none of them with logs off", () => {
    expect(find(objects, "Deployment", "loki")).toBeDefined();
    expect(find(objects, "DaemonSet", "log-collector")).toBeDefined();
    expect(datasourcesOf(objects).map((d) => d.type)).toEqual(["prometheus", "loki"]);
    expect(
      dashboardOf(objects)
        .panels.filter((p: any) => p.type === "row")
        .map((p: any) => p.title),
    ).toContain("Logs");

    const off = objectsFor({ monitoring: { logs: { enabled: false } } });
    expect(off.filter((o) => /loki|log-collector/.test(o.metadata.name))).toEqual([]);
    expect(off.filter((o) => o.kind === "DaemonSet")).toEqual([]);
    expect(datasourcesOf(off).map((d) => d.type)).toEqual(["prometheus"]);
    const offDashboard = dashboardOf(off);
    expect(offDashboard.panels.map((p: any) => p.title)).not.toContain("Logs");
    expect(offDashboard.templating.list.map((v: any) => v.name)).toEqual(["namespace", "pod"]);
  });

  it("passes the Kubernetes 1.28 schema and every semantic check, with Loki on a claim too", async () => {
    expect(await manifestProblems(objects)).toEqual([]);
    const claimed = objectsFor({
      monitoring: { logs: { lokiStorageSize: "10Gi", lokiStorageClassName: "fast" } },
    });
    expect(await manifestProblems(claimed)).toEqual([]);
    expect(find(claimed, "PersistentVolumeClaim", "loki").spec).toMatchObject({
      storageClassName: "fast",
      resources: { requests: { storage: "10Gi" } },
    });
  });

  it("keeps every namespace restricted and the collector without hostPath, root or host access", () => {
    const namespaces = objects.filter((o) => o.kind === "Namespace");
    expect(namespaces.map((n) => n.metadata.name).sort()).toEqual(["infer8s", "monitoring"]);
    for (const n of namespaces)
      expect(n.metadata.labels["pod-security.kubernetes.io/enforce"]).toBe("restricted");
    const collector = find(objects, "DaemonSet", "log-collector");
    expect(collector.metadata.namespace).toBe("monitoring");
    const pod = collector.spec.template.spec;
    expect(pod.volumes.filter((v: any) => v.hostPath !== undefined)).toEqual([]);
    expect(pod.hostNetwork ?? false).toBe(false);
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 473 });
    expect(podTemplates(objects).map((t) => `${t.owner.kind}/${t.owner.metadata.name}`)).toContain(
      "DaemonSet/log-collector",
    );
  });

  it("lets the collector read pods and their logs in the inference namespace, nothing else", () => {
    expect(rbacProblems(objects)).toEqual([]);
    expect(find(objects, "ClusterRole", "infer8s-log-collector").rules).toEqual([
      { apiGroups: [""], resources: ["pods"], verbs: ["get", "list", "watch"] },
      { apiGroups: [""], resources: ["pods/log"], verbs: ["get"] },
    ]);
    const bindings = objects.filter(
      (o) => /Binding$/.test(o.kind) && o.subjects?.some((s: any) => s.name === "log-collector"),
    );
    expect(bindings.map((b) => `${b.kind} ${b.metadata.namespace}/${b.roleRef.name}`)).toEqual([
      "RoleBinding infer8s/infer8s-log-collector",
    ]);
  });

  it("configures Loki for one binary on the filesystem: TSDB v13, retention from the settings, no auth", () => {
    const config = parseYaml(find(objects, "ConfigMap", "loki").data["loki.yaml"]);
    expect(config).toMatchObject({
      auth_enabled: false,
      server: { http_listen_port: 3100 },
      common: { replication_factor: 1, storage: { filesystem: { chunks_directory: "/loki/chunks" } } },
      schema_config: {
        configs: [{ store: "tsdb", object_store: "filesystem", schema: "v13", index: { period: "24h" } }],
      },
      limits_config: { retention_period: "7d", allow_structured_metadata: true },
      compactor: { retention_enabled: true, delete_request_store: "filesystem" },
    });
    const twoWeeks = objectsFor({ monitoring: { logs: { retention: "2w" } } });
    expect(
      parseYaml(find(twoWeeks, "ConfigMap", "loki").data["loki.yaml"]).limits_config.retention_period,
    ).toBe("2w");
    const loki = find(objects, "Deployment", "loki").spec.template.spec;
    expect(loki.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 10001 });
    expect(loki.containers[0].args).toEqual(["-config.file=/etc/loki/loki.yaml"]);
  });

  it("tails this node's inference pods, labels level only, and keeps the request id out of the labels", () => {
    const text = collectorConfig(objects);
    expect(alloySyntaxProblem(text)).toBeUndefined();
    expect(text).toContain('field = "spec.nodeName=" + sys.env("NODE_NAME")');
    expect(text).toContain('names = ["infer8s"]');
    expect(text).toMatch(/loki\.source\.kubernetes "pods" \{\n\s+targets = discovery\.relabel\.pods\.output/);
    const block = (name: string) =>
      new RegExp(`${name} \\{\\n\\s+\\w+ = \\{([^}]*)\\}`).exec(text)?.[1] ?? "";
    const keys = (name: string) => [...block(name).matchAll(/(\w+) = ""/g)].map((m) => m[1]);
    expect(keys("stage\\.json")).toEqual(["level", "req_id", "route", "status"]);
    expect(keys("stage\\.labels")).toEqual(["level"]);
    expect(keys("stage\\.structured_metadata")).toEqual(["req_id", "route", "status"]);
    expect(LOG_FIELDS.labels).not.toContain("req_id");
    expect(text).toContain('url = "http://loki.monitoring.svc:3100/loki/api/v1/push"');
  });

  it("checks the Alloy syntax for real: a broken configuration is reported with its line", () => {
    const text = collectorConfig(objects);
    expect(
      alloySyntaxProblem(text.replace("[loki.write.loki.receiver]", "[loki.write.loki.receiver")),
    ).toMatch(/^line \d+: expected ,/);
    expect(alloySyntaxProblem(text.replace('level = "",', 'level = "" req = "",'))).toMatch(/expected ,/);
    expect(alloySyntaxProblem(text.replace('role = "pod"', "role = 'pod'"))).toMatch(/unexpected character/);
  });

  it("parses every LogQL query of the dashboard, and the derived field's, with a real LogQL parser", () => {
    const queries = lokiQueries(dashboardOf(objects));
    expect(queries.length).toBe(3);
    for (const query of queries) expect([query, logqlError(interpolated(query))]).toEqual([query, undefined]);
    // Grafana turns `$$` into `$` when it reads the provisioning file, then substitutes the match.
    const derived = datasourcesOf(objects).find((d) => d.type === "loki").jsonData.derivedFields[0];
    const linked = derived.url.replace("$${__value.raw}", "3f0c4b1e-request");
    expect(logqlError(linked)).toBeUndefined();
    expect(logqlError('{namespace="infer8s"} | json | level="error"')).toBeUndefined();
  });

  it("reports a broken LogQL query (the parser is not a yes-machine)", () => {
    expect(logqlError('{namespace="infer8s" | json')).toBeDefined();
    expect(logqlError('sum by (level) (count_over_time({namespace="infer8s"}))')).toBeDefined();
  });

  it("links a request id in a line the server's logger really writes to every line of that request", () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _encoding, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const logRequest = createRequestLogger(createLogger("info", sink));
    logRequest({
      req_id: "a1b2-c3d4",
      method: "POST",
      route: "/predict",
      path: "/predict",
      status: 503,
      duration_ms: 1.5,
    });
    const line = lines.join("");
    const match = new RegExp(REQUEST_ID_DERIVED_FIELD.matcherRegex).exec(line);
    expect(match?.[1]).toBe("a1b2-c3d4");
    // The fields the collector reads are the logger's field names.
    const parsed = JSON.parse(line);
    for (const field of [...LOG_FIELDS.labels, ...LOG_FIELDS.structuredMetadata])
      expect(parsed).toHaveProperty(field);
    expect(parsed.level).toBe("error");
  });
});

describe("logs settings", () => {
  it("rejects retention under 24h, unpinned images, lokiUrl in standalone mode and bad resources", () => {
    expect(() =>
      resolveSettings({
        monitoring: {
          logs: {
            retention: "12h",
            collectorImage: "grafana/alloy:latest",
            lokiUrl: "http://loki.example",
            lokiResources: { requests: { cpu: "2", memory: "1Gi" }, limits: { cpu: "1", memory: "1Gi" } },
          },
        },
      }),
    ).toThrow(
      /monitoring\.logs\.retention: must be a duration in h, d or w of at least 24h[\s\S]*monitoring\.logs\.collectorImage: must be an image reference with a pinned tag[\s\S]*monitoring\.logs\.lokiResources\.limits\.cpu: must be >= monitoring\.logs\.lokiResources\.requests\.cpu \(2\)[\s\S]*monitoring\.logs\.lokiUrl: only for monitoring\.mode "operator"/,
    );
  });

  it("in operator mode shows the logs row and provisions the datasource only for an existing Loki's URL", async () => {
    const without = objectsFor({ monitoring: { mode: "operator" } });
    expect(without.filter((o) => /loki|log-collector/.test(o.metadata.name))).toEqual([]);
    const dashboards = (objects: any[]) =>
      objects
        .filter((o) => o.kind === "ConfigMap" && o.data?.["inference.json"])
        .map((o) => JSON.parse(o.data["inference.json"]));
    expect(dashboards(without).flatMap(lokiQueries)).toEqual([]);
    const withUrl = objectsFor({
      monitoring: { mode: "operator", logs: { lokiUrl: "http://loki-gateway.loki.svc" } },
    });
    const workloads = withUrl.filter((o) => ["DaemonSet", "Deployment", "Service"].includes(o.kind));
    expect(workloads.filter((o) => /loki|log-collector/.test(o.metadata.name))).toEqual([]);
    expect(dashboards(withUrl).flatMap(lokiQueries)).toHaveLength(3);
    const sidecar = withUrl.filter((o) => o.metadata.labels?.grafana_datasource === "1");
    expect(sidecar.map((o) => `${o.kind} ${o.metadata.namespace}/${o.metadata.name}`)).toEqual([
      "ConfigMap monitoring/iris-inference-loki-datasource",
    ]);
    const [datasource] = parseYaml(sidecar[0].data["loki-datasource.yaml"]).datasources;
    expect(datasource).toMatchObject({
      type: "loki",
      uid: LOKI_DATASOURCE_UID,
      url: "http://loki-gateway.loki.svc",
    });
    // The monitoring namespace belongs to the kube-prometheus-stack installation in operator mode.
    expect(await manifestProblems(withUrl, { externalNamespaces: ["monitoring"] })).toEqual([]);
  });
});
