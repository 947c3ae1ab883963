/**
 * kubectl ApplySet pruning (KEP-3659) for `npm run ops -- deploy`: one ApplySet per environment, so an
 * object removed from the charts is deleted on the next deploy and nothing else is.
 *
 * Why a cluster-scoped custom resource as the parent rather than kubectl's default Secret: a namespaced
 * parent needs `--namespace`, and with `--namespace` kubectl refuses every object of another namespace
 * ("the namespace from the provided object ... does not match"), so a Secret-parented set cannot hold an
 * environment that spans the service's and the monitoring namespace. kubectl's documentation says so: sets
 * spanning namespaces "must use a cluster-scoped custom resource as the parent object". kubectl creates a
 * Secret or ConfigMap parent itself but never a custom-resource one, so deploy creates it (once, when
 * missing) instead of committing it in dist/: kubectl keeps the set's member kinds and namespaces in the
 * parent's annotations, and a committed copy re-applied by a plain `kubectl apply -f dist` would reset
 * them, after which the next prune would no longer see the objects it is meant to delete.
 */
import { createHash } from "node:crypto";

/** API group and kind of the parent objects; the CRD is labelled so kubectl accepts them as parents. */
export const APPLYSET_GROUP = "infer8s.io";
export const APPLYSET_KIND = "ApplySet";
export const APPLYSET_RESOURCE = `applysets.${APPLYSET_GROUP}`;

/** kubectl introduced `apply --prune --applyset` (alpha) in 1.27. */
export const APPLYSET_MIN_KUBECTL = { major: 1, minor: 27 } as const;

/** Without this kubectl rejects `--applyset` as an unknown flag, while ApplySets are alpha. */
export const APPLYSET_ENV = { KUBECTL_APPLYSET: "true" } as const;

/** The ApplySet of one environment: its parent object and the `--applyset` value naming it. */
export interface ApplySetRef {
  /** Name of the cluster-scoped parent object. */
  readonly name: string;
  /** `--applyset=` value: `<resource>.<group>/<name>`. */
  readonly flag: string;
  /** Value of the `applyset.kubernetes.io/id` label kubectl expects on the parent (and puts on members as `part-of`). */
  readonly id: string;
}

/**
 * The ApplySet of an environment: `infer8s` for the default one (`dist/`), `infer8s-<env>` for the others.
 *
 * @example applySetFor(undefined).flag // "applysets.infer8s.io/infer8s"
 */
export function applySetFor(environment: string | undefined): ApplySetRef {
  const name = environment === undefined ? "infer8s" : `infer8s-${environment}`;
  return {
    name,
    flag: `${APPLYSET_RESOURCE}/${name}`,
    id: applySetId({ name, namespace: "", kind: APPLYSET_KIND, group: APPLYSET_GROUP }),
  };
}

/**
 * The ID kubectl derives from the parent's identity: `applyset-<base64url(sha256(name.namespace.kind.group))>-v1`
 * (namespace empty for a cluster-scoped parent, group empty for the core group). kubectl refuses a parent
 * whose `applyset.kubernetes.io/id` label differs.
 *
 * @example applySetId({ name: "web", namespace: "shop", kind: "Secret", group: "" })
 */
export function applySetId(parent: { name: string; namespace: string; kind: string; group: string }): string {
  const identity = [parent.name, parent.namespace, parent.kind, parent.group].join(".");
  return `applyset-${createHash("sha256").update(identity).digest("base64url")}-v1`;
}

/** The CustomResourceDefinition of the parents, applied by every deploy (idempotent). */
export function applySetDefinitionManifest(): string {
  return [
    "apiVersion: apiextensions.k8s.io/v1",
    "kind: CustomResourceDefinition",
    "metadata:",
    `  name: ${APPLYSET_RESOURCE}`,
    "  labels:",
    '    applyset.kubernetes.io/is-parent-type: "true"',
    "spec:",
    `  group: ${APPLYSET_GROUP}`,
    "  scope: Cluster",
    "  names:",
    "    plural: applysets",
    "    singular: applyset",
    `    kind: ${APPLYSET_KIND}`,
    `    listKind: ${APPLYSET_KIND}List`,
    "  versions:",
    "    - name: v1",
    "      served: true",
    "      storage: true",
    "      schema:",
    "        openAPIV3Schema:",
    "          type: object",
    "          description: Parent of a kubectl ApplySet (KEP-3659); kubectl keeps the set's kinds and namespaces in its annotations.",
    "",
  ].join("\n");
}

/**
 * The parent object as kubectl requires it before its first prune: the ID label, the tooling annotation
 * (`kubectl/<version>`: kubectl refuses a parent managed by another tool) and an empty member-kinds list.
 */
export function applySetParentManifest(applySet: ApplySetRef, kubectlVersion: string): string {
  return [
    `apiVersion: ${APPLYSET_GROUP}/v1`,
    `kind: ${APPLYSET_KIND}`,
    "metadata:",
    `  name: ${applySet.name}`,
    "  labels:",
    `    applyset.kubernetes.io/id: ${applySet.id}`,
    "  annotations:",
    `    applyset.kubernetes.io/tooling: kubectl/${kubectlVersion}`,
    '    applyset.kubernetes.io/contains-group-kinds: ""',
    "",
  ].join("\n");
}

/** What `kubectl version --client -o json` says about the client. */
export interface KubectlClientVersion {
  readonly major: number;
  readonly minor: number;
  /** e.g. `v1.32.4`. */
  readonly gitVersion: string;
}

/** Parses `kubectl version --client -o json`; undefined when the output is not that. */
export function parseKubectlClientVersion(json: string): KubectlClientVersion | undefined {
  try {
    const client = (JSON.parse(json) as { clientVersion?: Record<string, unknown> }).clientVersion;
    // Minor versions of vendor builds carry a suffix, e.g. "32+".
    const major = Number.parseInt(String(client?.major), 10);
    const minor = Number.parseInt(String(client?.minor), 10);
    if (!Number.isInteger(major) || !Number.isInteger(minor)) return undefined;
    return { major, minor, gitVersion: String(client?.gitVersion ?? `v${major}.${minor}`) };
  } catch {
    return undefined;
  }
}

/** Whether this kubectl can prune with an ApplySet. */
export function supportsApplySets(version: KubectlClientVersion): boolean {
  const { major, minor } = APPLYSET_MIN_KUBECTL;
  return version.major > major || (version.major === major && version.minor >= minor);
}
