/**
 * Strict validation of Kubernetes objects against the Kubernetes 1.28 API schema, unknown fields rejected.
 *
 * Where the schema comes from: `cdk8s-plus-28` ships the k8s L1 types that `cdk8s import k8s@1.28.0`
 * generated from the Kubernetes 1.28.0 OpenAPI document, and its jsii assembly (`.jsii`) records, for
 * every struct and field, the OpenAPI definition and JSON field name it came from
 * (`docs.custom.schema: "io.k8s.api.apps.v1.DeploymentSpec#selector"`), its type and whether it is
 * required. That is the 1.28 schema in machine-readable form, offline, from a locked dependency.
 *
 * Two passes, both must pass:
 * 1. Structure (here, strict): every field must exist in the 1.28 schema of its type, required fields must be
 *    present, types must match (string, number, boolean, object, array, map, int-or-string, quantity).
 *    `kubernetes-models`' validators do not reject unknown fields, so this pass is what catches
 *    `imagePullPolicyy` or a field that only newer Kubernetes versions know.
 * 2. Values (`kubernetes-models` validators, generated from a newer Kubernetes OpenAPI document than 1.28;
 *    see `KUBERNETES_MODELS_NOTE`): enums, integer formats, patterns that the jsii types do not carry.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import * as k8s from "cdk8s-plus-28/lib/imports/k8s.js";

/** Honest note on pass 2's source: kubernetes-models 5.x is generated from a newer Kubernetes than 1.28. */
export const KUBERNETES_MODELS_NOTE =
  "kubernetes-models 5.1.0 validators are generated from a Kubernetes OpenAPI document newer than 1.28 " +
  "(its PodSpec knows hostnameOverride, added in 1.34); they check values, not unknown fields.";

/** A Kubernetes object as it appears in YAML. */
export interface KubeObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: {
    readonly name: string;
    readonly namespace?: string;
    readonly labels?: Readonly<Record<string, string>>;
    readonly annotations?: Readonly<Record<string, string>>;
  };
  readonly [field: string]: unknown;
}

/** `Kind namespace/name` (or `Kind name` when cluster-scoped), for messages. */
export function describeObject(obj: KubeObject): string {
  const ns = obj.metadata?.namespace;
  return `${obj.kind} ${ns ? `${ns}/` : ""}${obj.metadata?.name}`;
}

// ---- jsii assembly -> field tables ---------------------------------------------------------------

interface JsiiTypeRef {
  readonly primitive?: "string" | "number" | "boolean" | "date" | "any" | "json";
  readonly fqn?: string;
  readonly collection?: { readonly kind: "array" | "map"; readonly elementtype: JsiiTypeRef };
  readonly union?: { readonly types: readonly JsiiTypeRef[] };
}
interface JsiiProperty {
  readonly name: string;
  readonly optional?: boolean;
  readonly type: JsiiTypeRef;
  readonly docs?: { readonly custom?: { readonly schema?: string } };
}
interface JsiiType {
  readonly fqn: string;
  readonly kind: "interface" | "class" | "enum";
  readonly name: string;
  readonly properties?: readonly JsiiProperty[];
  readonly interfaces?: readonly string[];
  readonly docs?: { readonly custom?: { readonly schema?: string } };
}
interface Field {
  readonly jsonName: string;
  readonly required: boolean;
  readonly type: JsiiTypeRef;
}

const require = createRequire(import.meta.url);

/** The Kubernetes version whose schema pass 1 enforces, read from cdk8s-plus-28's own import list. */
export const KUBERNETES_SCHEMA_VERSION: string = readImportedKubernetesVersion();
const assembly = JSON.parse(readFileSync(require.resolve("cdk8s-plus-28/.jsii"), "utf8")) as {
  types: Record<string, JsiiType>;
};
const INT_OR_STRING = "cdk8s-plus-28.k8s.IntOrString";
const QUANTITY = "cdk8s-plus-28.k8s.Quantity";
// Kubernetes' resource.Quantity grammar (k8s.io/apimachinery/pkg/api/resource).
const QUANTITY_PATTERN = /^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)(([KMGTPE]i)|[numkMGTPE]|([eE][+-]?[0-9]+))?$/;

const fieldTables = new Map<string, Map<string, Field>>();
function fieldsOf(fqn: string): Map<string, Field> {
  const cached = fieldTables.get(fqn);
  if (cached) return cached;
  const type = assembly.types[fqn];
  if (!type) throw new Error(`k8s-schema: no type ${fqn} in the cdk8s-plus-28 assembly`);
  const table = new Map<string, Field>();
  for (const parent of type.interfaces ?? []) for (const [k, v] of fieldsOf(parent)) table.set(k, v);
  for (const prop of type.properties ?? []) {
    const schema = prop.docs?.custom?.schema;
    const jsonName = schema?.includes("#") ? schema.slice(schema.indexOf("#") + 1) : prop.name;
    table.set(jsonName, { jsonName, required: !prop.optional, type: prop.type });
  }
  fieldTables.set(fqn, table);
  return table;
}

interface KindEntry {
  readonly propsFqn: string;
  readonly definition: string;
}
/** `apiVersion/Kind` -> the props struct of its L1 class, for every kind of Kubernetes 1.28. */
const KINDS: ReadonlyMap<string, KindEntry> = (() => {
  const kinds = new Map<string, KindEntry>();
  for (const [exportName, value] of Object.entries(k8s)) {
    const gvk = (value as { GVK?: { apiVersion: string; kind: string } }).GVK;
    if (typeof value !== "function" || !gvk) continue;
    const propsFqn = `cdk8s-plus-28.k8s.${exportName}Props`;
    const props = assembly.types[propsFqn];
    if (!props) continue;
    kinds.set(`${gvk.apiVersion}/${gvk.kind}`, {
      propsFqn,
      definition: props.docs?.custom?.schema ?? exportName,
    });
  }
  return kinds;
})();

/** Every `apiVersion/Kind` that Kubernetes 1.28 serves, e.g. `apps/v1/Deployment`. */
export function kubernetesKinds(): string[] {
  return [...KINDS.keys()].sort();
}

/**
 * Pass 1: strict structural problems of `obj` against the Kubernetes 1.28 schema, as
 * `Kind ns/name: spec.template.spec.containers[0].imagePullPolicyy: unknown field (not in Kubernetes 1.28 ...)`.
 * Objects of kinds that Kubernetes 1.28 does not serve get one problem saying so.
 */
export function structuralProblems(obj: KubeObject): string[] {
  const where = describeObject(obj);
  const entry = KINDS.get(`${obj.apiVersion}/${obj.kind}`);
  if (!entry)
    return [`${where}: ${obj.apiVersion} ${obj.kind} is not a Kubernetes ${KUBERNETES_SCHEMA_VERSION} kind`];
  const problems: string[] = [];
  const { apiVersion: _a, kind: _k, ...rest } = obj;
  checkStruct(rest, entry.propsFqn, entry.definition, "", problems);
  return problems.map((p) => `${where}: ${p}`);
}

function checkValue(value: unknown, type: JsiiTypeRef, path: string, problems: string[]): void {
  const fail = (expected: string): void => {
    problems.push(`${path}: expected ${expected}, got ${JSON.stringify(value)}`);
  };
  if (value === null) {
    problems.push(`${path}: null is not allowed here`);
    return;
  }
  if (type.primitive) {
    switch (type.primitive) {
      case "string":
      case "date":
        if (typeof value !== "string") fail("a string");
        return;
      case "number":
        if (typeof value !== "number" || !Number.isFinite(value)) fail("a number");
        return;
      case "boolean":
        if (typeof value !== "boolean") fail("a boolean");
        return;
      default:
        return; // any/json: free-form by definition (e.g. CRD schemas)
    }
  }
  if (type.collection) {
    const { kind, elementtype } = type.collection;
    if (kind === "array") {
      if (!Array.isArray(value)) return fail("an array");
      value.forEach((item, i) => checkValue(item, elementtype, `${path}[${i}]`, problems));
    } else {
      if (!isPlainObject(value)) return fail("a map");
      for (const [key, item] of Object.entries(value))
        checkValue(item, elementtype, `${path}.${key}`, problems);
    }
    return;
  }
  if (type.union) {
    const ok = type.union.types.some((t) => {
      const sub: string[] = [];
      checkValue(value, t, path, sub);
      return sub.length === 0;
    });
    if (!ok) fail("one of the union's types");
    return;
  }
  const fqn = type.fqn ?? "";
  if (fqn === INT_OR_STRING) {
    if (!(typeof value === "string" || Number.isInteger(value))) fail("an integer or a string");
    return;
  }
  if (fqn === QUANTITY) {
    if (!((typeof value === "string" && QUANTITY_PATTERN.test(value)) || typeof value === "number")) {
      fail('a quantity such as "250m" or "256Mi"');
    }
    return;
  }
  const target = assembly.types[fqn];
  if (target?.kind === "enum") {
    const values = Object.values(
      (k8s as unknown as Record<string, Record<string, string>>)[target.name] ?? {},
    );
    if (!values.includes(value as string)) fail(`one of ${JSON.stringify(values)}`);
    return;
  }
  if (target?.kind === "interface") {
    checkStruct(value, fqn, target.docs?.custom?.schema ?? target.name, path, problems);
    return;
  }
  problems.push(`${path}: k8s-schema cannot check type ${fqn}`);
}

function checkStruct(
  value: unknown,
  fqn: string,
  definition: string,
  path: string,
  problems: string[],
): void {
  const at = (key: string) => (path === "" ? key : `${path}.${key}`);
  if (!isPlainObject(value)) {
    problems.push(`${path || "(root)"}: expected an object (${definition}), got ${JSON.stringify(value)}`);
    return;
  }
  const fields = fieldsOf(fqn);
  for (const [key, item] of Object.entries(value)) {
    const field = fields.get(key);
    if (!field) {
      problems.push(
        `${at(key)}: unknown field (not in Kubernetes ${KUBERNETES_SCHEMA_VERSION} ${definition})`,
      );
    } else {
      checkValue(item, field.type, at(key), problems);
    }
  }
  for (const field of fields.values()) {
    if (field.required && !(field.jsonName in value)) {
      problems.push(`${at(field.jsonName)}: required by ${definition}`);
    }
  }
}

// ---- pass 2: kubernetes-models value validators --------------------------------------------------

type ValidatingModel = new (data: unknown) => { validate(): void };

/** Validators for custom resources this project may emit (prometheus-operator in operator mode, Argo CD). */
const CUSTOM_RESOURCE_MODULES: Readonly<Record<string, string>> = {
  "monitoring.coreos.com/v1": "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1",
  "argoproj.io/v1alpha1": "@kubernetes-models/argo-cd/argoproj.io/v1alpha1",
};

async function loadModel(apiVersion: string, kind: string): Promise<ValidatingModel | undefined> {
  const specifier = CUSTOM_RESOURCE_MODULES[apiVersion] ?? `kubernetes-models/${apiVersion}`;
  try {
    const module = (await import(specifier)) as Record<string, unknown>;
    return module[kind] as ValidatingModel | undefined;
  } catch {
    return undefined;
  }
}

/**
 * Pass 2: value problems from the `kubernetes-models` (or prometheus-operator models) validator of the
 * object's kind; a kind without a model is reported.
 */
export async function valueProblems(obj: KubeObject): Promise<string[]> {
  const Model = await loadModel(obj.apiVersion, obj.kind);
  if (!Model)
    return [`${describeObject(obj)}: no kubernetes-models validator for ${obj.apiVersion} ${obj.kind}`];
  try {
    new Model(obj).validate();
    return [];
  } catch (error) {
    return String((error as Error).message)
      .split(", data")
      .map((m, i) => `${describeObject(obj)}: ${i === 0 ? m : `data${m}`}`);
  }
}

/**
 * Both passes for one object. Custom resources (kinds Kubernetes 1.28 does not serve) get pass 2 only when
 * a model for them is known, and otherwise the "not a Kubernetes kind" problem.
 */
export async function schemaProblems(obj: KubeObject): Promise<string[]> {
  const isCore = KINDS.has(`${obj.apiVersion}/${obj.kind}`);
  if (!isCore && CUSTOM_RESOURCE_MODULES[obj.apiVersion]) return valueProblems(obj);
  const structural = structuralProblems(obj);
  if (!isCore) return structural;
  return [...structural, ...(await valueProblems(obj))];
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function readImportedKubernetesVersion(): string {
  const config = readFileSync(require.resolve("cdk8s-plus-28/cdk8s.yaml"), "utf8");
  const versions = [...config.matchAll(/k8s@(\d+\.\d+)\.\d+/g)].map((m) => m[1] ?? "");
  const newest = versions.sort((a, b) => Number(a.split(".")[1]) - Number(b.split(".")[1])).at(-1);
  if (!newest) throw new Error("k8s-schema: cannot find the k8s import version in cdk8s-plus-28/cdk8s.yaml");
  return newest;
}
