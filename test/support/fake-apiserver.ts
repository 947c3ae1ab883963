/**
 * A Kubernetes API server in miniature, enough for the real `kubectl` to run `ops deploy`, `diff` and
 * `delete` against it: legacy discovery, get/list (label and name selectors), create, server-side apply
 * (simplified: the applied object replaces the stored one, metadata-only applies merge labels and
 * annotations), delete, and server-side dry runs. Objects live in memory. Not a conformance fake: it exists
 * so the ApplySet pruning kubectl does can be observed without a cluster.
 */
import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { parse } from "yaml";

interface ResourceType {
  readonly group: string;
  readonly version: string;
  readonly resource: string;
  readonly kind: string;
  readonly namespaced: boolean;
}

/** The kinds dist/ uses, the ApplySet parents' CRD and its kind, and kubectl's default parent kinds. */
const RESOURCE_TYPES: readonly ResourceType[] = [
  { group: "", version: "v1", resource: "namespaces", kind: "Namespace", namespaced: false },
  { group: "", version: "v1", resource: "serviceaccounts", kind: "ServiceAccount", namespaced: true },
  { group: "", version: "v1", resource: "services", kind: "Service", namespaced: true },
  { group: "", version: "v1", resource: "configmaps", kind: "ConfigMap", namespaced: true },
  { group: "", version: "v1", resource: "secrets", kind: "Secret", namespaced: true },
  { group: "", version: "v1", resource: "pods", kind: "Pod", namespaced: true },
  { group: "apps", version: "v1", resource: "deployments", kind: "Deployment", namespaced: true },
  { group: "apps", version: "v1", resource: "daemonsets", kind: "DaemonSet", namespaced: true },
  {
    group: "autoscaling",
    version: "v2",
    resource: "horizontalpodautoscalers",
    kind: "HorizontalPodAutoscaler",
    namespaced: true,
  },
  {
    group: "policy",
    version: "v1",
    resource: "poddisruptionbudgets",
    kind: "PodDisruptionBudget",
    namespaced: true,
  },
  {
    group: "networking.k8s.io",
    version: "v1",
    resource: "networkpolicies",
    kind: "NetworkPolicy",
    namespaced: true,
  },
  {
    group: "rbac.authorization.k8s.io",
    version: "v1",
    resource: "clusterroles",
    kind: "ClusterRole",
    namespaced: false,
  },
  {
    group: "rbac.authorization.k8s.io",
    version: "v1",
    resource: "clusterrolebindings",
    kind: "ClusterRoleBinding",
    namespaced: false,
  },
  { group: "rbac.authorization.k8s.io", version: "v1", resource: "roles", kind: "Role", namespaced: true },
  {
    group: "rbac.authorization.k8s.io",
    version: "v1",
    resource: "rolebindings",
    kind: "RoleBinding",
    namespaced: true,
  },
  {
    group: "apiextensions.k8s.io",
    version: "v1",
    resource: "customresourcedefinitions",
    kind: "CustomResourceDefinition",
    namespaced: false,
  },
  { group: "infer8s.io", version: "v1", resource: "applysets", kind: "ApplySet", namespaced: false },
];

export type KubeObject = {
  apiVersion?: string;
  kind?: string;
  metadata: {
    name: string;
    namespace?: string;
    uid?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    [key: string]: unknown;
  };
  [key: string]: unknown;
};

export interface FakeApiServer {
  readonly url: string;
  /** Stored objects by `<resource>.<group>/<namespace>/<name>` (namespace empty when cluster-scoped). */
  readonly objects: Map<string, KubeObject>;
  /** Mutating requests in order, e.g. `DELETE configmaps/monitoring/grafana-dashboards`. */
  readonly writes: string[];
  close(): Promise<void>;
}

const apiVersionOf = (type: ResourceType): string =>
  type.group ? `${type.group}/${type.version}` : type.version;
const keyOf = (type: ResourceType, namespace: string, name: string): string =>
  `${type.resource}${type.group ? `.${type.group}` : ""}/${namespace}/${name}`;

function send(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
}

function status(response: ServerResponse, code: number, reason: string, message: string): void {
  send(response, code, {
    kind: "Status",
    apiVersion: "v1",
    metadata: {},
    status: "Failure",
    reason,
    message,
    code,
  });
}

function matchesLabels(object: KubeObject, selector: string | null): boolean {
  if (!selector) return true;
  // `key=value` or `key` (exists): the two forms kubectl's ApplySet code sends.
  return selector.split(",").every((term) => {
    const [key, value] = term.split("=");
    const actual = object.metadata.labels?.[key!];
    return value === undefined ? actual !== undefined : actual === value;
  });
}

/** Starts the server on a loopback port. */
export async function startFakeApiServer(): Promise<FakeApiServer> {
  const objects = new Map<string, KubeObject>();
  const writes: string[] = [];
  let resourceVersion = 1;

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const url = new URL(request.url ?? "/", "http://localhost");
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString();
    const segments = url.pathname.split("/").filter(Boolean);

    if (url.pathname === "/version")
      return send(response, 200, { major: "1", minor: "32", gitVersion: "v1.32.0" });
    // OpenAPI v3 that declares server-side field validation on every PATCH, so kubectl leaves validation to
    // the server (which here validates nothing) instead of needing schemas (v2 would have to be protobuf).
    if (url.pathname === "/openapi/v3") {
      const paths = Object.fromEntries(
        [...new Set(RESOURCE_TYPES.map(apiVersionOf))].map((gv) => {
          const prefix = gv.includes("/") ? `apis/${gv}` : `api/${gv}`;
          return [prefix, { serverRelativeURL: `/openapi/v3/${prefix}?hash=fake` }];
        }),
      );
      return send(response, 200, { paths });
    }
    if (url.pathname.startsWith("/openapi/v3/")) {
      const prefix = url.pathname.slice("/openapi/v3/".length);
      const paths: Record<string, unknown> = {};
      for (const type of RESOURCE_TYPES.filter(
        (t) => (t.group ? `apis/${apiVersionOf(t)}` : `api/${t.version}`) === prefix,
      )) {
        const path = `/${prefix}${type.namespaced ? "/namespaces/{namespace}" : ""}/${type.resource}/{name}`;
        paths[path] = {
          patch: {
            "x-kubernetes-group-version-kind": { group: type.group, version: type.version, kind: type.kind },
            parameters: [{ name: "fieldValidation", in: "query", schema: { type: "string" } }],
            responses: {},
          },
        };
      }
      return send(response, 200, {
        openapi: "3.0.0",
        info: { title: "fake", version: "v1" },
        paths,
        components: { schemas: {} },
      });
    }
    if (url.pathname === "/api") return send(response, 200, { kind: "APIVersions", versions: ["v1"] });
    if (url.pathname === "/apis") {
      const groups = [...new Set(RESOURCE_TYPES.filter((t) => t.group).map((t) => t.group))].map((name) => {
        const version = RESOURCE_TYPES.find((t) => t.group === name)!.version;
        const gv = { groupVersion: `${name}/${version}`, version };
        return { name, versions: [gv], preferredVersion: gv };
      });
      return send(response, 200, { kind: "APIGroupList", apiVersion: "v1", groups });
    }
    const core = segments[0] === "api";
    const [group, version, rest] = core
      ? ["", segments[1], segments.slice(2)]
      : [segments[1] ?? "", segments[2], segments.slice(3)];
    if (segments[0] !== "api" && segments[0] !== "apis")
      return status(response, 404, "NotFound", url.pathname);
    if (rest.length === 0) {
      const resources = RESOURCE_TYPES.filter((t) => t.group === group && t.version === version).map((t) => ({
        name: t.resource,
        singularName: t.kind.toLowerCase(),
        namespaced: t.namespaced,
        kind: t.kind,
        verbs: ["create", "delete", "get", "list", "patch", "update", "watch"],
      }));
      if (resources.length === 0) return status(response, 404, "NotFound", url.pathname);
      return send(response, 200, {
        kind: "APIResourceList",
        apiVersion: "v1",
        groupVersion: group ? `${group}/${version}` : version,
        resources,
      });
    }
    // [namespaces, NS, resource, name?] for namespaced objects; [resource, name?] otherwise.
    const namespaced = rest[0] === "namespaces" && rest.length >= 3;
    const [namespace, resource, name] = namespaced ? [rest[1]!, rest[2]!, rest[3]] : ["", rest[0]!, rest[1]];
    const type = RESOURCE_TYPES.find(
      (t) => t.group === group && t.version === version && t.resource === resource,
    );
    if (type === undefined)
      return status(
        response,
        404,
        "NotFound",
        `the server could not find the requested resource (${url.pathname})`,
      );
    const dryRun = url.searchParams.get("dryRun") === "All";
    const key = name === undefined ? "" : keyOf(type, namespace, name);

    switch (request.method) {
      case "GET": {
        // A watch stays open and reports nothing: kubectl only waits on what the first list showed.
        if (url.searchParams.get("watch") === "true") {
          response.writeHead(200, { "content-type": "application/json" });
          response.flushHeaders();
          return;
        }
        if (name !== undefined) {
          const found = objects.get(key);
          return found
            ? send(response, 200, found)
            : status(response, 404, "NotFound", `${type.resource} "${name}" not found`);
        }
        const fieldName = /^metadata\.name=(.*)$/.exec(url.searchParams.get("fieldSelector") ?? "")?.[1];
        const items = [...objects.entries()]
          .filter(([k]) =>
            k.startsWith(
              `${type.resource}${type.group ? `.${type.group}` : ""}/${namespace ? `${namespace}/` : ""}`,
            ),
          )
          .map(([, object]) => object)
          .filter((object) => matchesLabels(object, url.searchParams.get("labelSelector")))
          .filter((object) => fieldName === undefined || object.metadata.name === fieldName);
        return send(response, 200, {
          kind: `${type.kind}List`,
          apiVersion: apiVersionOf(type),
          metadata: { resourceVersion: String(resourceVersion) },
          items,
        });
      }
      case "POST":
      case "PATCH": {
        const incoming = parse(body) as KubeObject;
        const objectName = name ?? incoming.metadata.name;
        const objectKey = keyOf(type, namespace, objectName);
        const existing = objects.get(objectKey);
        if (request.method === "POST" && existing)
          return status(response, 409, "AlreadyExists", `${type.resource} "${objectName}" already exists`);
        const metadataOnly = Object.keys(incoming).every((k) =>
          ["apiVersion", "kind", "metadata"].includes(k),
        );
        const merged: KubeObject =
          existing && metadataOnly
            ? {
                ...existing,
                metadata: {
                  ...existing.metadata,
                  labels: { ...existing.metadata.labels, ...incoming.metadata.labels },
                  annotations: { ...existing.metadata.annotations, ...incoming.metadata.annotations },
                },
              }
            : { ...incoming };
        resourceVersion += 1;
        const stored: KubeObject = {
          ...merged,
          apiVersion: apiVersionOf(type),
          kind: type.kind,
          metadata: {
            ...merged.metadata,
            name: objectName,
            ...(type.namespaced ? { namespace } : {}),
            uid: existing?.metadata.uid ?? randomUUID(),
            resourceVersion: String(resourceVersion),
            generation: 1,
            creationTimestamp: "2026-01-01T00:00:00Z",
          },
        };
        if (type.kind === "CustomResourceDefinition") {
          stored.status = { conditions: [{ type: "Established", status: "True" }] };
        }
        if (type.kind === "Deployment") {
          const replicas = (stored.spec as { replicas?: number } | undefined)?.replicas ?? 1;
          stored.spec = { ...(stored.spec as object), replicas };
          stored.status = {
            observedGeneration: 1,
            replicas,
            updatedReplicas: replicas,
            readyReplicas: replicas,
            availableReplicas: replicas,
          };
        }
        if (!dryRun) {
          objects.set(objectKey, stored);
          writes.push(`${request.method} ${type.resource}/${namespace}/${objectName}`);
        }
        return send(response, existing ? 200 : 201, stored);
      }
      case "DELETE": {
        const found = objects.get(key);
        if (!found) return status(response, 404, "NotFound", `${type.resource} "${name}" not found`);
        // kubectl sends a delete's dry run in the DeleteOptions body, not in the query.
        const options = (body ? JSON.parse(body) : {}) as { dryRun?: string[] };
        if (!dryRun && !(options.dryRun ?? []).includes("All")) {
          objects.delete(key);
          writes.push(`DELETE ${type.resource}/${namespace}/${name}`);
        }
        return send(response, 200, found);
      }
      default:
        return status(response, 405, "MethodNotAllowed", request.method ?? "");
    }
  };

  const server: Server = createServer((request, response) => {
    handle(request, response).catch((error: Error) => status(response, 500, "InternalError", error.message));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    objects,
    writes,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
