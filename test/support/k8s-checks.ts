/**
 * What an API server, an admission controller and a careful reviewer would say about a set of manifests,
 * for clusters we do not have here. Shared by the inference and monitoring tests:
 *
 *   const objects = loadManifestDir("dist");            // or synthObjects(chart)
 *   expect(await manifestProblems(objects)).toEqual([]);
 *
 * `manifestProblems` runs the Kubernetes 1.28 schema (unknown fields rejected, see `k8s-schema.ts`) and every
 * semantic check below. Each check is exported on its own so a test can prove it fails on a broken object.
 * Every problem is one line starting with `Kind namespace/name:`.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Testing, type Chart } from "cdk8s";
import { parseAllDocuments } from "yaml";
import { AMBIENT_NAMESPACE_LABELS, HBONE_PORT } from "../../charts/constructs/istio-ambient.js";
import { isDnsLabel, isDnsSubdomain } from "../../charts/constructs/names.js";
import { listFiles } from "../../charts/dist-diff.js";
import { describeObject, schemaProblems, type KubeObject } from "./k8s-schema.js";

export { describeObject, type KubeObject } from "./k8s-schema.js";

/** A loaded object and the file it came from. */
export interface LoadedObject {
  readonly file: string;
  readonly object: KubeObject;
}

/**
 * Every YAML document of every `*.yaml` file directly in `dir` (not in subdirectories: `dist/staging/` is
 * another environment), as `kubectl apply -f dir` without `-R` reads them: files in lexical order, documents
 * in file order. Parsed as YAML 1.1, as cdk8s writes and kubectl reads.
 */
export function loadManifestDir(dir: string): LoadedObject[] {
  return listFiles(dir)
    .filter((file) => !file.includes("/"))
    .filter((file) => file.endsWith(".yaml") || file.endsWith(".yml"))
    .flatMap((file) => parseManifests(readFileSync(join(dir, file), "utf8"), file));
}

/** Parses a multi-document YAML string; throws on YAML errors or documents that are not objects. */
export function parseManifests(text: string, file = "<string>"): LoadedObject[] {
  return parseAllDocuments(text, { version: "1.1" }).flatMap((doc, i) => {
    if (doc.errors.length > 0) throw new Error(`${file} document ${i}: ${doc.errors[0]?.message}`);
    const object = doc.toJSON() as unknown;
    if (object === null) return [];
    if (typeof object !== "object" || Array.isArray(object)) {
      throw new Error(`${file} document ${i}: not a Kubernetes object`);
    }
    return [{ file, object: object as KubeObject }];
  });
}

/** The objects a chart synthesizes, without writing files. */
export function synthObjects(chart: Chart): KubeObject[] {
  return Testing.synth(chart) as KubeObject[];
}

export interface ManifestCheckOptions {
  /** Namespaces that exist without being in these manifests (e.g. kube-prometheus-stack's). @default [] */
  readonly externalNamespaces?: readonly string[];
  /** Checks to skip by name (keys of `SEMANTIC_CHECKS`), each with the reason it does not apply. @default {} */
  readonly skip?: Readonly<Partial<Record<SemanticCheckName, string>>>;
}

/** Schema problems of every object plus every semantic problem of the set; `[]` when all is well. */
export async function manifestProblems(
  objects: readonly (KubeObject | LoadedObject)[],
  options: ManifestCheckOptions = {},
): Promise<string[]> {
  const plain = objects.map((o) => ("object" in o && "file" in o ? o.object : o)) as KubeObject[];
  const schema = (await Promise.all(plain.map((o) => schemaProblems(o)))).flat();
  return [...schema, ...semanticProblems(plain, options)];
}

/** Every semantic check, by name. */
export const SEMANTIC_CHECKS = {
  uniqueIdentities: uniqueIdentityProblems,
  names: nameProblems,
  recommendedLabels: recommendedLabelProblems,
  namespaces: namespaceProblems,
  selectors: selectorProblems,
  ports: portProblems,
  autoscalers: autoscalerProblems,
  serviceAccounts: serviceAccountProblems,
  resources: resourceProblems,
  podSecurity: podSecurityProblems,
  images: imageProblems,
  credentials: credentialProblems,
  rbac: rbacProblems,
  networkPolicies: networkPolicyProblems,
} as const satisfies Record<
  string,
  (objects: readonly KubeObject[], options: ManifestCheckOptions) => string[]
>;
export type SemanticCheckName = keyof typeof SEMANTIC_CHECKS;

/** All semantic checks not skipped in `options`. */
export function semanticProblems(
  objects: readonly KubeObject[],
  options: ManifestCheckOptions = {},
): string[] {
  return Object.entries(SEMANTIC_CHECKS)
    .filter(([name]) => options.skip?.[name as SemanticCheckName] === undefined)
    .flatMap(([, check]) => check(objects, options));
}

// ---- helpers ----------------------------------------------------------------------------------------

type Json = Record<string, unknown>;
const asObject = (v: unknown): Json =>
  typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Json) : {};
const asArray = (v: unknown): Json[] => (Array.isArray(v) ? (v as Json[]) : []);
const asLabels = (v: unknown): Record<string, string> => asObject(v) as Record<string, string>;

const CLUSTER_SCOPED = new Set([
  "Namespace",
  "ClusterRole",
  "ClusterRoleBinding",
  "CustomResourceDefinition",
  "PersistentVolume",
  "StorageClass",
  "IngressClass",
  "PriorityClass",
  "MutatingWebhookConfiguration",
  "ValidatingWebhookConfiguration",
  "APIService",
]);

/** A pod template found in a workload (or a bare Pod), with where it lives. */
export interface PodTemplate {
  readonly owner: KubeObject;
  readonly namespace: string | undefined;
  /** Path of the pod spec within the owner, for messages. */
  readonly path: string;
  readonly labels: Record<string, string>;
  readonly spec: Json;
}

/** Pod templates of Deployments, StatefulSets, DaemonSets, ReplicaSets, Jobs, CronJobs, Pods and Argo Rollouts. */
export function podTemplates(objects: readonly KubeObject[]): PodTemplate[] {
  const templates: PodTemplate[] = [];
  for (const owner of objects) {
    const spec = asObject(owner.spec);
    const namespace = owner.metadata?.namespace;
    let template: Json | undefined;
    let path = "spec.template";
    if (["Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job"].includes(owner.kind)) {
      template = asObject(spec.template);
    } else if (owner.kind === "Rollout" && owner.apiVersion === "argoproj.io/v1alpha1" && spec.template) {
      template = asObject(spec.template);
    } else if (owner.kind === "CronJob") {
      template = asObject(asObject(asObject(spec.jobTemplate).spec).template);
      path = "spec.jobTemplate.spec.template";
    } else if (owner.kind === "Pod") {
      template = { metadata: owner.metadata, spec: owner.spec };
      path = "";
    }
    if (template) {
      templates.push({
        owner,
        namespace,
        path: path === "" ? "spec" : `${path}.spec`,
        labels: asLabels(asObject(template.metadata).labels),
        spec: asObject(template.spec),
      });
    }
  }
  return templates;
}

function containersOf(spec: Json): { kind: string; container: Json; index: number }[] {
  return ["initContainers", "containers", "ephemeralContainers"].flatMap((kind) =>
    asArray(spec[kind]).map((container, index) => ({ kind, container, index })),
  );
}

/** Whether a LabelSelector (`matchLabels` + `matchExpressions`) selects `labels`. */
export function selectorMatches(selector: unknown, labels: Record<string, string>): boolean {
  const s = asObject(selector);
  for (const [key, value] of Object.entries(asLabels(s.matchLabels))) if (labels[key] !== value) return false;
  for (const expr of asArray(s.matchExpressions)) {
    const key = String(expr.key);
    const values = (Array.isArray(expr.values) ? expr.values : []) as string[];
    const has = key in labels;
    const ok =
      expr.operator === "In"
        ? has && values.includes(labels[key] ?? "")
        : expr.operator === "NotIn"
          ? !has || !values.includes(labels[key] ?? "")
          : expr.operator === "Exists"
            ? has
            : expr.operator === "DoesNotExist"
              ? !has
              : false;
    if (!ok) return false;
  }
  return true;
}

/** Whether a plain map selector (Service `spec.selector`) selects `labels`. */
function mapSelects(selector: Record<string, string>, labels: Record<string, string>): boolean {
  return Object.entries(selector).every(([k, v]) => labels[k] === v);
}

function isEmptySelector(selector: unknown): boolean {
  const s = asObject(selector);
  return Object.keys(asObject(s.matchLabels)).length === 0 && asArray(s.matchExpressions).length === 0;
}

// ---- checks -----------------------------------------------------------------------------------------

/** Two objects with the same group, kind, namespace and name would overwrite each other on apply. */
export function uniqueIdentityProblems(objects: readonly KubeObject[]): string[] {
  const seen = new Set<string>();
  const problems: string[] = [];
  for (const o of objects) {
    const group = o.apiVersion.includes("/") ? o.apiVersion.split("/")[0] : "";
    const id = `${group}/${o.kind}/${o.metadata?.namespace ?? ""}/${o.metadata?.name}`;
    if (seen.has(id)) problems.push(`${describeObject(o)}: defined twice`);
    seen.add(id);
  }
  return problems;
}

const IANA_SVC_NAME = /^(?=.*[a-z])[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;
// Kinds whose names must be DNS-1123 labels (they become DNS labels or label values).
const LABEL_NAMED_KINDS = new Set(["Namespace", "Service"]);
// RBAC names are path segments and may contain ':' (e.g. system:...); everything else is a subdomain.
const PATH_SEGMENT_NAMED_KINDS = new Set(["ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding"]);
// cdk8s appends "-" and 8 hex characters of a path hash to names it generates.
const HASH_SUFFIX = /-(?=[0-9a-f]*[0-9])(?=[0-9a-f]*[a-f])[0-9a-f]{8}$/;

/**
 * Object names are DNS-1123 (labels for Namespaces and Services, subdomains otherwise), have no generated
 * hash suffix, and container, port and volume names are valid too.
 */
export function nameProblems(objects: readonly KubeObject[]): string[] {
  const problems: string[] = [];
  for (const o of objects) {
    const name = String(o.metadata?.name ?? "");
    const where = describeObject(o);
    if (LABEL_NAMED_KINDS.has(o.kind)) {
      if (!isDnsLabel(name)) problems.push(`${where}: name is not a DNS-1123 label`);
    } else if (PATH_SEGMENT_NAMED_KINDS.has(o.kind)) {
      if (!/^[a-z0-9:._-]+$/.test(name) || name.length > 253)
        problems.push(`${where}: name is not a valid RBAC name`);
    } else if (!isDnsSubdomain(name)) {
      problems.push(`${where}: name is not a DNS-1123 subdomain`);
    }
    if (HASH_SUFFIX.test(name)) problems.push(`${where}: name looks like it carries a generated hash suffix`);
    const ns = o.metadata?.namespace;
    if (ns !== undefined && !isDnsLabel(ns)) {
      problems.push(`${where}: namespace is not a DNS-1123 label`);
    }
  }
  for (const t of podTemplates(objects)) {
    const where = describeObject(t.owner);
    for (const { kind, container, index } of containersOf(t.spec)) {
      const cname = String(container.name ?? "");
      if (!isDnsLabel(cname)) {
        problems.push(`${where}: ${t.path}.${kind}[${index}].name "${cname}" is not a DNS-1123 label`);
      }
      for (const [p, port] of asArray(container.ports).entries()) {
        if (
          port.name !== undefined &&
          !(IANA_SVC_NAME.test(String(port.name)) && String(port.name).length <= 15)
        ) {
          problems.push(
            `${where}: ${t.path}.${kind}[${index}].ports[${p}].name "${port.name}" is not an IANA service name`,
          );
        }
      }
    }
    for (const [v, volume] of asArray(t.spec.volumes).entries()) {
      const vname = String(volume.name ?? "");
      if (!isDnsLabel(vname)) {
        problems.push(`${where}: ${t.path}.volumes[${v}].name "${vname}" is not a DNS-1123 label`);
      }
    }
  }
  return problems;
}

/** The recommended labels every object (and every pod template) must carry. */
export const REQUIRED_LABELS = [
  "app.kubernetes.io/name",
  "app.kubernetes.io/instance",
  "app.kubernetes.io/version",
  "app.kubernetes.io/component",
  "app.kubernetes.io/part-of",
  "app.kubernetes.io/managed-by",
] as const;

/** Every object and pod template carries all `REQUIRED_LABELS` with non-empty values. */
export function recommendedLabelProblems(objects: readonly KubeObject[]): string[] {
  const problems: string[] = [];
  const check = (labels: Record<string, string>, where: string) => {
    const missing = REQUIRED_LABELS.filter((key) => !labels[key]);
    if (missing.length > 0) problems.push(`${where}: missing recommended labels ${missing.join(", ")}`);
  };
  for (const o of objects) check(asLabels(o.metadata?.labels), describeObject(o));
  for (const t of podTemplates(objects)) {
    if (t.owner.kind !== "Pod") check(t.labels, `${describeObject(t.owner)}: pod template`);
  }
  return problems;
}

/**
 * Namespaced objects name a namespace, that namespace is created by a Namespace object earlier in apply
 * order (or is listed in `externalNamespaces`), and cluster-scoped objects carry no namespace.
 */
export function namespaceProblems(
  objects: readonly KubeObject[],
  options: ManifestCheckOptions = {},
): string[] {
  const problems: string[] = [];
  const created = new Set<string>(options.externalNamespaces ?? []);
  for (const o of objects) {
    const ns = o.metadata?.namespace;
    if (o.kind === "Namespace") created.add(o.metadata.name);
    if (CLUSTER_SCOPED.has(o.kind)) {
      if (ns !== undefined)
        problems.push(`${describeObject(o)}: cluster-scoped kind must not set a namespace`);
    } else if (ns === undefined) {
      problems.push(`${describeObject(o)}: namespaced object without metadata.namespace`);
    } else if (!created.has(ns)) {
      problems.push(`${describeObject(o)}: namespace "${ns}" is not created before it in apply order`);
    }
  }
  return problems;
}

/**
 * Workload selectors match their own pod template; Services, PodDisruptionBudgets and NetworkPolicies select
 * at least one pod template in their namespace; topology spread selectors match their own pods.
 */
export function selectorProblems(objects: readonly KubeObject[]): string[] {
  const problems: string[] = [];
  const templates = podTemplates(objects);
  const inNamespace = (ns: string | undefined) => templates.filter((t) => t.namespace === ns);
  for (const t of templates) {
    const where = describeObject(t.owner);
    const selector = asObject(t.owner.spec).selector;
    if (["Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Rollout"].includes(t.owner.kind)) {
      if (isEmptySelector(selector)) problems.push(`${where}: spec.selector is empty`);
      else if (!selectorMatches(selector, t.labels)) {
        problems.push(`${where}: spec.selector does not match the pod template labels`);
      }
    }
    for (const [i, c] of asArray(t.spec.topologySpreadConstraints).entries()) {
      if (!selectorMatches(c.labelSelector, t.labels)) {
        problems.push(
          `${where}: ${t.path}.topologySpreadConstraints[${i}].labelSelector does not match its own pods`,
        );
      }
    }
  }
  for (const o of objects) {
    const where = describeObject(o);
    const spec = asObject(o.spec);
    const candidates = inNamespace(o.metadata?.namespace);
    if (o.kind === "Service" && spec.type !== "ExternalName") {
      const selector = asLabels(spec.selector);
      if (Object.keys(selector).length === 0) problems.push(`${where}: spec.selector is empty`);
      else if (!candidates.some((t) => mapSelects(selector, t.labels))) {
        problems.push(`${where}: spec.selector matches no pod template in its namespace`);
      }
    }
    if (o.kind === "PodDisruptionBudget" || o.kind === "NetworkPolicy") {
      const field = o.kind === "PodDisruptionBudget" ? "selector" : "podSelector";
      if (isEmptySelector(spec[field])) {
        if (o.kind === "PodDisruptionBudget") problems.push(`${where}: spec.selector is empty`);
      } else if (!candidates.some((t) => selectorMatches(spec[field], t.labels))) {
        problems.push(`${where}: spec.${field} matches no pod template in its namespace`);
      }
    }
  }
  return problems;
}

/**
 * Ports a pod in `namespace` serves besides its containers': HBONE, when these objects enrol the namespace
 * in Istio's ambient mesh (ztunnel listens on it inside every such pod's network namespace).
 */
function meshPorts(objects: readonly KubeObject[], namespace: string | undefined): number[] {
  const ns = objects.find((o) => o.kind === "Namespace" && o.metadata.name === namespace);
  const labels = asLabels(ns?.metadata.labels);
  const ambient = Object.entries(AMBIENT_NAMESPACE_LABELS).every(([k, v]) => labels[k] === v);
  return ns && ambient ? [HBONE_PORT] : [];
}

/**
 * Probe ports name (or number) a port of their own container; Service target ports name (or number) a
 * container port of every selected pod template; NetworkPolicy ports exist on the selected pods; Ingress
 * backends name an existing Service and one of its ports.
 */
export function portProblems(objects: readonly KubeObject[]): string[] {
  const problems: string[] = [];
  const templates = podTemplates(objects);
  const portsOf = (spec: Json) =>
    containersOf(spec)
      .filter((c) => c.kind === "containers")
      .flatMap((c) => asArray(c.container.ports));
  const hasPort = (ports: Json[], port: unknown) =>
    typeof port === "string"
      ? ports.some((p) => p.name === port)
      : ports.some((p) => p.containerPort === port);

  for (const t of templates) {
    const where = describeObject(t.owner);
    for (const { kind, container, index } of containersOf(t.spec)) {
      const ports = asArray(container.ports);
      for (const probe of ["startupProbe", "livenessProbe", "readinessProbe"]) {
        const p = asObject(container[probe]);
        const handler = asObject(p.httpGet ?? p.tcpSocket ?? p.grpc);
        if (handler.port !== undefined && !hasPort(ports, handler.port)) {
          problems.push(
            `${where}: ${t.path}.${kind}[${index}].${probe} port ${JSON.stringify(handler.port)} is not a port of that container`,
          );
        }
      }
    }
  }
  for (const o of objects) {
    const where = describeObject(o);
    const spec = asObject(o.spec);
    const selected = (match: (t: PodTemplate) => boolean) =>
      templates.filter((t) => t.namespace === o.metadata?.namespace && match(t));
    if (o.kind === "Service" && Object.keys(asObject(spec.selector)).length > 0) {
      const pods = selected((t) => mapSelects(asLabels(spec.selector), t.labels));
      for (const [i, port] of asArray(spec.ports).entries()) {
        const target = port.targetPort ?? port.port;
        for (const t of pods) {
          if (!hasPort(portsOf(t.spec), target)) {
            problems.push(
              `${where}: spec.ports[${i}].targetPort ${JSON.stringify(target)} is not a container port of ${describeObject(t.owner)}`,
            );
          }
        }
      }
    }
    if (o.kind === "NetworkPolicy") {
      const pods = selected((t) => selectorMatches(spec.podSelector, t.labels));
      for (const [r, rule] of asArray(spec.ingress).entries()) {
        for (const [i, port] of asArray(rule.ports).entries()) {
          if (port.port === undefined) continue;
          if (meshPorts(objects, o.metadata.namespace).includes(port.port as number)) continue;
          for (const t of pods) {
            if (!hasPort(portsOf(t.spec), port.port)) {
              problems.push(
                `${where}: spec.ingress[${r}].ports[${i}].port ${JSON.stringify(port.port)} is not a container port of ${describeObject(t.owner)}`,
              );
            }
          }
        }
      }
    }
    if (o.kind === "Ingress") {
      const backends = [
        asObject(spec.defaultBackend),
        ...asArray(spec.rules).flatMap((rule) =>
          asArray(asObject(rule.http).paths).map((p) => asObject(p.backend)),
        ),
      ].filter((b) => b.service !== undefined);
      for (const backend of backends) {
        const svcRef = asObject(backend.service);
        const svc = objects.find(
          (s) =>
            s.kind === "Service" &&
            s.metadata.name === svcRef.name &&
            s.metadata.namespace === o.metadata.namespace,
        );
        if (!svc) {
          problems.push(`${where}: backend Service "${String(svcRef.name)}" does not exist in its namespace`);
          continue;
        }
        const ref = asObject(svcRef.port);
        const svcPorts = asArray(asObject(svc.spec).ports);
        const ok =
          ref.name !== undefined
            ? svcPorts.some((p) => p.name === ref.name)
            : svcPorts.some((p) => p.port === ref.number);
        if (!ok)
          problems.push(
            `${where}: backend port ${JSON.stringify(ref)} is not a port of ${describeObject(svc)}`,
          );
      }
    }
  }
  return problems;
}

/**
 * HPAs and KEDA ScaledObjects target an existing workload in their namespace that has no `replicas` field
 * (the autoscaler owns it), and no workload has two of them (they would fight; KEDA's webhook refuses a
 * ScaledObject on a workload another HPA scales).
 */
export function autoscalerProblems(objects: readonly KubeObject[]): string[] {
  const problems: string[] = [];
  const scaledBy = new Map<string, string[]>();
  for (const scaler of objects.filter(
    (o) => o.kind === "HorizontalPodAutoscaler" || o.kind === "ScaledObject",
  )) {
    const keda = scaler.kind === "ScaledObject";
    const spec = asObject(scaler.spec);
    const ref = asObject(spec.scaleTargetRef);
    // KEDA defaults the target to a Deployment.
    const apiVersion = ref.apiVersion ?? (keda ? "apps/v1" : undefined);
    const kind = ref.kind ?? (keda ? "Deployment" : undefined);
    const target = objects.find(
      (o) =>
        o.apiVersion === apiVersion &&
        o.kind === kind &&
        o.metadata.name === ref.name &&
        o.metadata.namespace === scaler.metadata.namespace,
    );
    const where = describeObject(scaler);
    if (!target) {
      problems.push(
        `${where}: scaleTargetRef ${String(kind)} "${String(ref.name)}" does not exist in its namespace`,
      );
    } else {
      problems.push(
        ...(asObject(target.spec).replicas !== undefined
          ? [`${where}: ${describeObject(target)} sets spec.replicas, which fights the autoscaler`]
          : []),
      );
      const key = describeObject(target);
      scaledBy.set(key, [...(scaledBy.get(key) ?? []), where]);
    }
    const min = Number((keda ? spec.minReplicaCount : spec.minReplicas) ?? (keda ? 0 : 1));
    const max = Number((keda ? spec.maxReplicaCount : spec.maxReplicas) ?? (keda ? 100 : Number.NaN));
    if (!(max >= min)) problems.push(`${where}: maxReplicas ${max} is below minReplicas ${min}`);
  }
  for (const [target, scalers] of scaledBy)
    if (scalers.length > 1)
      problems.push(`${target} is scaled by ${scalers.length} autoscalers: ${scalers.join(", ")}`);
  return problems;
}

/** Pods run as a ServiceAccount defined alongside them (not `default`), and only mount a token on purpose. */
export function serviceAccountProblems(objects: readonly KubeObject[]): string[] {
  const problems: string[] = [];
  for (const t of podTemplates(objects)) {
    const sa = t.spec.serviceAccountName;
    const where = describeObject(t.owner);
    if (typeof sa !== "string" || sa === "default") {
      problems.push(`${where}: ${t.path}.serviceAccountName must name a dedicated ServiceAccount`);
      continue;
    }
    const found = objects.some(
      (o) => o.kind === "ServiceAccount" && o.metadata.name === sa && o.metadata.namespace === t.namespace,
    );
    if (!found) problems.push(`${where}: ServiceAccount "${sa}" is not defined in namespace ${t.namespace}`);
  }
  return problems;
}

const CPU = /^([0-9]+m|[0-9]+(\.[0-9]+)?)$/;
const MEMORY = /^[0-9]+(\.[0-9]+)?(Ki|Mi|Gi|Ti|k|M|G|T)?$/;
function cpuMillis(q: unknown): number {
  const s = String(q);
  if (!CPU.test(s)) return Number.NaN;
  return s.endsWith("m") ? Number(s.slice(0, -1)) : Number(s) * 1000;
}
function memoryBytes(q: unknown): number {
  const m = /^([0-9.]+)([A-Za-z]*)$/.exec(String(q));
  const units: Record<string, number> = {
    "": 1,
    k: 1e3,
    M: 1e6,
    G: 1e9,
    T: 1e12,
    Ki: 1024,
    Mi: 1024 ** 2,
    Gi: 1024 ** 3,
    Ti: 1024 ** 4,
  };
  if (!m || !MEMORY.test(String(q))) return Number.NaN;
  return Number(m[1]) * (units[m[2] ?? ""] ?? Number.NaN);
}

/** Every container (init containers too) requests and limits CPU and memory, with requests <= limits. */
export function resourceProblems(objects: readonly KubeObject[]): string[] {
  const problems: string[] = [];
  for (const t of podTemplates(objects)) {
    for (const { kind, container, index } of containersOf(t.spec)) {
      if (kind === "ephemeralContainers") continue;
      const at = `${describeObject(t.owner)}: ${t.path}.${kind}[${index}] (${String(container.name)})`;
      const resources = asObject(container.resources);
      const requests = asObject(resources.requests);
      const limits = asObject(resources.limits);
      for (const [name, parse] of [
        ["cpu", cpuMillis],
        ["memory", memoryBytes],
      ] as const) {
        if (requests[name] === undefined) problems.push(`${at}: no ${name} request`);
        if (limits[name] === undefined) problems.push(`${at}: no ${name} limit`);
        if (requests[name] !== undefined && limits[name] !== undefined) {
          const [r, l] = [parse(requests[name]), parse(limits[name])];
          if (Number.isNaN(r) || Number.isNaN(l)) problems.push(`${at}: unparseable ${name} quantity`);
          else if (r > l)
            problems.push(
              `${at}: ${name} request ${String(requests[name])} exceeds limit ${String(limits[name])}`,
            );
        }
      }
    }
  }
  return problems;
}

const RESTRICTED_VOLUME_TYPES = new Set([
  "configMap",
  "csi",
  "downwardAPI",
  "emptyDir",
  "ephemeral",
  "persistentVolumeClaim",
  "projected",
  "secret",
]);

/**
 * The Pod Security Standard "restricted" profile (v1.28), field by field, for every pod template; plus our
 * own hardening rules: numeric non-root uid and read-only root filesystem on every container.
 */
export function podSecurityProblems(objects: readonly KubeObject[]): string[] {
  const problems: string[] = [];
  for (const t of podTemplates(objects)) {
    const where = `${describeObject(t.owner)}: ${t.path}`;
    const pod = asObject(t.spec.securityContext);
    for (const host of ["hostNetwork", "hostPID", "hostIPC"]) {
      if (t.spec[host] === true) problems.push(`${where}.${host} must not be true`);
    }
    for (const [i, volume] of asArray(t.spec.volumes).entries()) {
      const types = Object.keys(volume).filter((k) => k !== "name");
      for (const type of types) {
        if (!RESTRICTED_VOLUME_TYPES.has(type))
          problems.push(`${where}.volumes[${i}] uses forbidden volume type ${type}`);
      }
    }
    const podSeccomp = asObject(pod.seccompProfile).type;
    if (podSeccomp !== undefined && podSeccomp !== "RuntimeDefault" && podSeccomp !== "Localhost") {
      problems.push(`${where}.securityContext.seccompProfile.type must be RuntimeDefault or Localhost`);
    }
    if (pod.runAsUser === 0) problems.push(`${where}.securityContext.runAsUser must not be 0`);
    if (asArray(pod.sysctls).length > 0) problems.push(`${where}.securityContext.sysctls must be empty`);
    for (const { kind, container, index } of containersOf(t.spec)) {
      const at = `${where}.${kind}[${index}]`;
      const sc = asObject(container.securityContext);
      if (sc.privileged === true) problems.push(`${at}.securityContext.privileged must not be true`);
      if (sc.allowPrivilegeEscalation !== false) {
        problems.push(`${at}.securityContext.allowPrivilegeEscalation must be false`);
      }
      const caps = asObject(sc.capabilities);
      if (!(Array.isArray(caps.drop) && caps.drop.includes("ALL"))) {
        problems.push(`${at}.securityContext.capabilities.drop must include ALL`);
      }
      for (const cap of asArray(caps.add) as unknown as string[]) {
        if (cap !== "NET_BIND_SERVICE")
          problems.push(`${at}.securityContext.capabilities.add must not add ${cap}`);
      }
      const runAsNonRoot = sc.runAsNonRoot ?? pod.runAsNonRoot;
      if (runAsNonRoot !== true) problems.push(`${at}: runAsNonRoot must be true (container or pod)`);
      const uid = sc.runAsUser ?? pod.runAsUser;
      if (sc.runAsUser === 0) problems.push(`${at}.securityContext.runAsUser must not be 0`);
      if (!(Number.isInteger(uid) && (uid as number) > 0)) {
        problems.push(`${at}: runAsUser must be a numeric non-root uid (container or pod)`);
      }
      const seccomp = asObject(sc.seccompProfile).type ?? podSeccomp;
      if (seccomp !== "RuntimeDefault" && seccomp !== "Localhost") {
        problems.push(`${at}: seccompProfile.type must be RuntimeDefault or Localhost (container or pod)`);
      }
      if (sc.procMount !== undefined && sc.procMount !== "Default") {
        problems.push(`${at}.securityContext.procMount must be Default`);
      }
      if (kind !== "ephemeralContainers" && sc.readOnlyRootFilesystem !== true) {
        problems.push(`${at}.securityContext.readOnlyRootFilesystem must be true`);
      }
      for (const [p, port] of asArray(container.ports).entries()) {
        if (port.hostPort !== undefined && port.hostPort !== 0)
          problems.push(`${at}.ports[${p}].hostPort must not be set`);
      }
    }
  }
  return problems;
}

/** Images are pinned: a tag other than `latest` or a digest; pull policy is not Always-by-accident. */
export function imageProblems(objects: readonly KubeObject[]): string[] {
  const problems: string[] = [];
  for (const t of podTemplates(objects)) {
    for (const { kind, container, index } of containersOf(t.spec)) {
      const image = String(container.image ?? "");
      const at = `${describeObject(t.owner)}: ${t.path}.${kind}[${index}].image "${image}"`;
      const digest = image.includes("@sha256:");
      const lastSegment = image.split("/").at(-1) ?? "";
      const tag = lastSegment.includes(":") ? lastSegment.slice(lastSegment.indexOf(":") + 1) : undefined;
      if (!digest && tag === undefined) problems.push(`${at} has no tag (means latest)`);
      if (tag === "latest") problems.push(`${at} uses the latest tag`);
    }
  }
  return problems;
}

// Patterns that mean a credential was written down (in a manifest, or in any file of the repository).
const CREDENTIAL_PATTERNS: readonly [string, RegExp][] = [
  ["a private key", /-----BEGIN [A-Z ]*PRIVATE KEY-----/],
  ["an AWS access key id", /\bAKIA[0-9A-Z]{16}\b/],
  ["a GitHub token", /\bgh[pousr]_[A-Za-z0-9]{30,}\b/],
  ["a Slack token", /\bxox[abposr]-[A-Za-z0-9-]{10,}/],
  ["an npm token", /\bnpm_[A-Za-z0-9]{36}\b|_authToken\s*=\s*[^\s$]/],
  ["a Google API key", /\bAIza[0-9A-Za-z_-]{35}\b/],
  ["a JWT", /\beyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}/],
  ["credentials in a URL", /[a-z][a-z0-9+.-]*:\/\/[^/\s:@]+:[^/\s@]+@/i],
  [
    "a password/secret/token assignment",
    // Not references: ${VAR}, $(command), $__file{…} (Grafana), <placeholder>, /path/to/file.
    /(?:^|[^A-Za-z])(password|passwd|secret|token|api[_-]?key)["']?\s*[:=]\s*["']?(?!\$\{|\$\(|\$__|<|\/)[^\s"',}]{3,}/im,
  ],
];
// A run of 32+ base64 characters mixing upper case, lower case and digits: an encoded key or certificate.
// Hex digests (checksums, image digests) have no upper case and do not match.
const BASE64_BLOB =
  /(?<![A-Za-z0-9+/])(?=[A-Za-z0-9+/]*[A-Z])(?=[A-Za-z0-9+/]*[a-z])(?=[A-Za-z0-9+/]*[0-9])[A-Za-z0-9+/]{32,}={0,2}/g;
// A URL path is such a run too (`com/Org/repo1/blob/main/README` in a runbook link), but cut by '/' into
// short words; an encoded key or certificate has long stretches between its rare '/' characters.
const BASE64_SEGMENT_MIN = 16;

function containsBase64Blob(value: string): boolean {
  return [...value.matchAll(BASE64_BLOB)].some((match) =>
    match[0].split("/").some((segment) => segment.length >= BASE64_SEGMENT_MIN),
  );
}

/**
 * What in `text` looks like a credential (`"an AWS access key id"`, …), one entry per kind found; `[]` when
 * nothing does. For manifests use {@link credentialProblems}, which also checks Secrets, env and base64.
 */
export function credentialLikeValues(text: string): string[] {
  return CREDENTIAL_PATTERNS.filter(([, pattern]) => pattern.test(text)).map(([what]) => what);
}

const CREDENTIAL_NAME = /(PASSWORD|PASSWD|SECRET|TOKEN|API_?KEY|CREDENTIAL|PRIVATE_?KEY)/i;

/**
 * No Secret carries data, no env var with a credential-like name has a literal value (use `valueFrom`),
 * and no string anywhere looks like a key, token, password or base64-encoded blob.
 */
export function credentialProblems(objects: readonly KubeObject[]): string[] {
  const problems: string[] = [];
  for (const o of objects) {
    const where = describeObject(o);
    if (o.kind === "Secret" && (o.data !== undefined || o.stringData !== undefined)) {
      problems.push(`${where}: Secrets with data must not be committed; create them in the cluster`);
    }
    if (o.kind === "ConfigMap") {
      for (const key of Object.keys({ ...asObject(o.data), ...asObject(o.binaryData) })) {
        if (CREDENTIAL_NAME.test(key)) problems.push(`${where}: data key "${key}" looks like a credential`);
      }
    }
    walkStrings(o, "", (path, value) => {
      for (const what of credentialLikeValues(value))
        problems.push(`${where}: ${path || "(root)"} contains what looks like ${what}`);
      if (containsBase64Blob(value))
        problems.push(`${where}: ${path || "(root)"} contains what looks like a base64-encoded secret`);
    });
  }
  for (const t of podTemplates(objects)) {
    for (const { kind, container, index } of containersOf(t.spec)) {
      for (const [e, env] of asArray(container.env).entries()) {
        if (CREDENTIAL_NAME.test(String(env.name)) && env.value !== undefined && env.value !== "") {
          problems.push(
            `${describeObject(t.owner)}: ${t.path}.${kind}[${index}].env[${e}] ${String(env.name)} has a literal value; use valueFrom.secretKeyRef`,
          );
        }
      }
    }
  }
  return problems;
}

function walkStrings(value: unknown, path: string, visit: (path: string, value: string) => void): void {
  if (typeof value === "string") visit(path, value);
  else if (Array.isArray(value)) value.forEach((v, i) => walkStrings(v, `${path}[${i}]`, visit));
  else if (typeof value === "object" && value !== null) {
    for (const [k, v] of Object.entries(value)) walkStrings(v, path === "" ? k : `${path}.${k}`, visit);
  }
}

/**
 * Least privilege: no wildcard verbs, resources or API groups; no access to Secrets; no escalate, bind or
 * impersonate; bindings reference roles and ServiceAccounts that exist in these manifests.
 */
export function rbacProblems(objects: readonly KubeObject[]): string[] {
  const problems: string[] = [];
  for (const role of objects.filter((o) => o.kind === "ClusterRole" || o.kind === "Role")) {
    const where = describeObject(role);
    if (role.aggregationRule !== undefined) problems.push(`${where}: aggregated roles are not reviewed here`);
    for (const [i, rule] of asArray(role.rules).entries()) {
      const verbs = asArray(rule.verbs) as unknown as string[];
      const resources = asArray(rule.resources) as unknown as string[];
      const groups = asArray(rule.apiGroups) as unknown as string[];
      const urls = asArray(rule.nonResourceURLs) as unknown as string[];
      if (verbs.includes("*")) problems.push(`${where}: rules[${i}] grants every verb (*)`);
      if (resources.some((r) => r === "*" || r.startsWith("*/")))
        problems.push(`${where}: rules[${i}] grants every resource (*)`);
      if (groups.includes("*")) problems.push(`${where}: rules[${i}] grants every API group (*)`);
      if (urls.some((u) => u.includes("*")))
        problems.push(`${where}: rules[${i}] grants wildcard non-resource URLs`);
      if (resources.some((r) => r === "secrets" || r.startsWith("secrets/"))) {
        problems.push(`${where}: rules[${i}] grants access to secrets`);
      }
      for (const verb of ["escalate", "bind", "impersonate"]) {
        if (verbs.includes(verb)) problems.push(`${where}: rules[${i}] grants ${verb}`);
      }
    }
  }
  for (const binding of objects.filter((o) => o.kind === "ClusterRoleBinding" || o.kind === "RoleBinding")) {
    const where = describeObject(binding);
    const ref = asObject(binding.roleRef);
    const role = objects.find(
      (o) =>
        o.kind === ref.kind &&
        o.metadata.name === ref.name &&
        (o.kind === "ClusterRole" || o.metadata.namespace === binding.metadata.namespace),
    );
    if (!role)
      problems.push(`${where}: roleRef ${String(ref.kind)} "${String(ref.name)}" is not defined here`);
    for (const [i, subject] of asArray(binding.subjects).entries()) {
      if (subject.kind !== "ServiceAccount") {
        problems.push(`${where}: subjects[${i}] binds a ${String(subject.kind)}, not a ServiceAccount`);
        continue;
      }
      const sa = objects.find(
        (o) =>
          o.kind === "ServiceAccount" &&
          o.metadata.name === subject.name &&
          o.metadata.namespace === subject.namespace,
      );
      if (!sa)
        problems.push(
          `${where}: subjects[${i}] ServiceAccount ${String(subject.namespace)}/${String(subject.name)} is not defined here`,
        );
    }
  }
  return problems;
}

/**
 * A NetworkPolicy that restricts ingress admits only the ports of the Services in front of the pods it
 * selects: every ingress rule lists its ports (a rule without ports admits them all), and each is a
 * Service `targetPort` of those pods, by name or by number.
 */
export function networkPolicyProblems(objects: readonly KubeObject[]): string[] {
  const problems: string[] = [];
  const templates = podTemplates(objects);
  for (const policy of objects.filter((o) => o.kind === "NetworkPolicy")) {
    const where = describeObject(policy);
    const spec = asObject(policy.spec);
    const types = asArray(spec.policyTypes) as unknown as string[];
    if (!types.includes("Ingress") && spec.ingress === undefined) continue;
    const pods = templates.filter(
      (t) => t.namespace === policy.metadata.namespace && selectorMatches(spec.podSelector, t.labels),
    );
    const services = objects.filter(
      (o) =>
        o.kind === "Service" &&
        o.metadata.namespace === policy.metadata.namespace &&
        Object.keys(asObject(asObject(o.spec).selector)).length > 0 &&
        pods.some((t) => mapSelects(asLabels(asObject(o.spec).selector), t.labels)),
    );
    const containerPorts = pods.flatMap((t) =>
      containersOf(t.spec).flatMap(({ container }) => asArray(container.ports)),
    );
    // Each Service port as both its name and its number, so a policy may use either.
    const served = new Set<unknown>(meshPorts(objects, policy.metadata.namespace));
    for (const service of services) {
      for (const port of asArray(asObject(service.spec).ports)) {
        const target = port.targetPort ?? port.port;
        served.add(target);
        for (const p of containerPorts) {
          if (p.name === target || p.containerPort === target) served.add(p.name).add(p.containerPort);
        }
      }
    }
    for (const [r, rule] of asArray(spec.ingress).entries()) {
      const ports = asArray(rule.ports);
      if (ports.length === 0) {
        problems.push(`${where}: spec.ingress[${r}] admits every port; list the Service's ports`);
      }
      for (const [i, port] of ports.entries()) {
        if (!served.has(port.port)) {
          problems.push(
            `${where}: spec.ingress[${r}].ports[${i}].port ${JSON.stringify(port.port)} is not a port of a Service in front of the selected pods`,
          );
        }
      }
    }
  }
  return problems;
}
