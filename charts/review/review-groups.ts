/**
 * What a reviewer cares about in a chart change, and which group each changed field belongs to.
 */
import type { ManifestObject } from "./manifest-tree.js";
import { type FieldChange, MONITORING_FORMATS, type PathSegment, parseEmbedded } from "./structural-diff.js";

/** The summary's sections, in the order it prints them. */
export const REVIEW_GROUPS = [
  "release",
  "capacity",
  "security",
  "availability",
  "restarts",
  "monitoring",
  "other",
] as const;
export type ReviewGroup = (typeof REVIEW_GROUPS)[number];

/** Section heading and the one-line explanation the README repeats. */
export const GROUP_TITLES: Readonly<Record<ReviewGroup, string>> = {
  release: "Release",
  capacity: "Capacity and cost",
  security: "Security",
  availability: "Availability",
  restarts: "Restarts",
  monitoring: "Monitoring",
  other: "Other",
};

const MONITORING_KINDS = new Set([
  "PrometheusRule",
  "ServiceMonitor",
  "PodMonitor",
  "Probe",
  "AlertmanagerConfig",
]);
const SECURITY_KINDS = new Set([
  "Role",
  "ClusterRole",
  "RoleBinding",
  "ClusterRoleBinding",
  "NetworkPolicy",
  "ServiceAccount",
  // Istio (mesh.mode "istio-ambient"): who may connect, and whether plaintext is refused.
  "AuthorizationPolicy",
  "PeerAuthentication",
]);
const CAPACITY_KINDS = new Set([
  "HorizontalPodAutoscaler",
  "ResourceQuota",
  "LimitRange",
  "PersistentVolumeClaim",
]);
const AVAILABILITY_KINDS = new Set(["PodDisruptionBudget"]);
/** Kinds whose `spec.template` is a pod template: changing it replaces their pods. */
export const WORKLOAD_KINDS = new Set(["Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job"]);

const SECURITY_FIELDS = new Set([
  "securityContext",
  "serviceAccountName",
  "serviceAccount",
  "automountServiceAccountToken",
  "hostNetwork",
  "hostPID",
  "hostIPC",
]);
const AVAILABILITY_FIELDS = new Set([
  "livenessProbe",
  "readinessProbe",
  "startupProbe",
  "strategy",
  "updateStrategy",
  "terminationGracePeriodSeconds",
  "minReadySeconds",
  "progressDeadlineSeconds",
  "lifecycle",
  "topologySpreadConstraints",
  "affinity",
]);
const RELEASE_LABELS = new Set(["app.kubernetes.io/version", "helm.sh/chart"]);

/** The group an added or removed object of `kind` is listed under. */
export function groupOfKind(kind: string): ReviewGroup {
  if (MONITORING_KINDS.has(kind)) return "monitoring";
  if (SECURITY_KINDS.has(kind)) return "security";
  if (CAPACITY_KINDS.has(kind)) return "capacity";
  if (AVAILABILITY_KINDS.has(kind)) return "availability";
  return "other";
}

/**
 * The group an added or removed object is listed under: by kind, and a ConfigMap holding Prometheus rules or
 * configuration, a Grafana dashboard or provisioning under monitoring.
 */
export function groupOfObject(object: ManifestObject): ReviewGroup {
  if (object.kind === "ConfigMap") {
    const data = (object.body.data ?? {}) as Record<string, unknown>;
    const monitoring = Object.entries(data).some(
      ([key, value]) => typeof value === "string" && MONITORING_FORMATS.has(parseEmbedded(key, value).format),
    );
    if (monitoring) return "monitoring";
  }
  return groupOfKind(object.kind);
}

/** The group a changed field of an object of `kind` belongs to. */
export function groupOfChange(kind: string, change: FieldChange): ReviewGroup {
  const fields = change.path.flatMap((s: PathSegment) => ("field" in s ? [s.field] : []));
  const document = change.path.find((s) => "document" in s);
  if (document && "format" in document)
    return MONITORING_FORMATS.has(document.format) ? "monitoring" : "other";
  if (MONITORING_KINDS.has(kind)) return "monitoring";
  const last = fields.at(-1) ?? "";
  if (fields.includes("annotations") && last.startsWith("checksum/")) return "restarts";
  if (last === "image" || (fields.includes("labels") && RELEASE_LABELS.has(last))) return "release";
  if (SECURITY_KINDS.has(kind) || fields.some((f) => SECURITY_FIELDS.has(f))) return "security";
  if (fields.includes("labels") && last.startsWith("pod-security.kubernetes.io/")) return "security";
  if (AVAILABILITY_KINDS.has(kind) || fields.some((f) => AVAILABILITY_FIELDS.has(f))) return "availability";
  if (
    CAPACITY_KINDS.has(kind) ||
    fields.includes("resources") ||
    (fields[0] === "spec" && last === "replicas")
  ) {
    return "capacity";
  }
  return "other";
}

/** Whether a change of an object of `kind` is inside its pod template, so its pods are replaced. */
export function changesPodTemplate(kind: string, change: FieldChange): boolean {
  const [first, second] = change.path;
  return (
    WORKLOAD_KINDS.has(kind) &&
    first !== undefined &&
    "field" in first &&
    first.field === "spec" &&
    second !== undefined &&
    "field" in second &&
    second.field === "template"
  );
}
