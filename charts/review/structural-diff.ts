/**
 * Field-level differences between two parsed Kubernetes objects, for the reviewer's change summary.
 *
 * Lists are matched by what identifies their elements (an alert or record name, a scrape job, a panel
 * title, a query's refId, a container or env var `name`), not by position, so inserting one alert does not
 * report every alert after it as changed. ConfigMap data that holds YAML or JSON is parsed and compared as
 * a document, so a changed alert threshold is one `expr` change, not a rewritten blob of text.
 */
import { parse as parseYaml } from "yaml";

/** What a ConfigMap data value turned out to hold, once parsed. */
export type EmbeddedFormat =
  | "Prometheus rules"
  | "Prometheus configuration"
  | "Grafana dashboard"
  | "Grafana provisioning"
  | "YAML"
  | "JSON"
  | "text";

/** The monitoring formats: changes inside them belong to the summary's monitoring group. */
export const MONITORING_FORMATS: ReadonlySet<EmbeddedFormat> = new Set([
  "Prometheus rules",
  "Prometheus configuration",
  "Grafana dashboard",
  "Grafana provisioning",
]);

/** One step from an object's root to a changed value. */
export type PathSegment =
  /** A property of a mapping. */
  | { readonly field: string }
  /** An element of a list without identifying keys, by position. */
  | { readonly index: number }
  /** An element of a list, by its identifying value; `what` names its kind for a reader ("alert", "panel"). */
  | { readonly key: string; readonly what?: string }
  /** The parsed document held by a ConfigMap data key. */
  | { readonly document: string; readonly format: EmbeddedFormat };

/** One changed value: `before` or `after` is `undefined` when the value was added or removed. */
export interface FieldChange {
  readonly path: readonly PathSegment[];
  readonly before: unknown;
  readonly after: unknown;
}

type Plain = Record<string, unknown>;

function isPlain(value: unknown): value is Plain {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isScalar(value: unknown): boolean {
  return value === null || typeof value !== "object";
}

/** How an element of a list is identified, tried in order; the first that identifies every element wins. */
interface ListIdentity {
  readonly key: (element: Plain) => string | undefined;
  readonly what?: (element: Plain) => string;
}

const LIST_IDENTITIES: readonly ListIdentity[] = [
  {
    key: (e) => stringField(e, "alert") ?? stringField(e, "record"),
    what: (e) => (typeof e.alert === "string" ? "alert" : "recording rule"),
  },
  { key: (e) => stringField(e, "job_name"), what: () => "scrape job" },
  {
    key: (e) => (typeof e.type === "string" ? stringField(e, "title") : undefined),
    what: () => "panel",
  },
  { key: (e) => stringField(e, "refId") },
  { key: (e) => stringField(e, "name") },
  { key: (e) => stringField(e, "port") },
];

function stringField(element: Plain, field: string): string | undefined {
  const value = element[field];
  return typeof value === "string" || typeof value === "number" ? String(value) : undefined;
}

/** The identity that names every element of both lists uniquely, if any. */
function listIdentity(before: readonly unknown[], after: readonly unknown[]): ListIdentity | undefined {
  if (before.length + after.length === 0) return undefined;
  return LIST_IDENTITIES.find((identity) =>
    [before, after].every((list) => {
      const keys = list.map((e) => (isPlain(e) ? identity.key(e) : undefined));
      return keys.every((k) => k !== undefined) && new Set(keys).size === keys.length;
    }),
  );
}

/** Parses a ConfigMap data value by the extension of its key; `undefined` when it is plain text. */
export function parseEmbedded(dataKey: string, text: string): { format: EmbeddedFormat; value: unknown } {
  let value: unknown;
  try {
    if (/\.json$/i.test(dataKey)) value = JSON.parse(text);
    else if (/\.ya?ml$/i.test(dataKey)) value = parseYaml(text);
  } catch {
    value = undefined;
  }
  if (!isPlain(value)) return { format: "text", value: text };
  const format: EmbeddedFormat = Array.isArray(value.groups)
    ? "Prometheus rules"
    : "scrape_configs" in value || "rule_files" in value
      ? "Prometheus configuration"
      : Array.isArray(value.panels)
        ? "Grafana dashboard"
        : "datasources" in value || "providers" in value
          ? "Grafana provisioning"
          : /\.json$/i.test(dataKey)
            ? "JSON"
            : "YAML";
  return { format, value };
}

/**
 * Every changed leaf between `before` and `after`. Mappings are compared key by key, identified lists element
 * by element, lists of scalars and unidentified lists of different lengths as whole values.
 */
export function diffValues(
  before: unknown,
  after: unknown,
  path: readonly PathSegment[] = [],
): FieldChange[] {
  if (isPlain(before) && isPlain(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])];
    return keys.flatMap((key) => diffValues(before[key], after[key], [...path, { field: key }]));
  }
  if (Array.isArray(before) && Array.isArray(after)) return diffLists(before, after, path);
  if (deepEqual(before, after)) return [];
  return [{ path, before, after }];
}

function diffLists(before: readonly unknown[], after: readonly unknown[], path: readonly PathSegment[]) {
  if (deepEqual(before, after)) return [];
  const identity = listIdentity(before, after);
  if (identity) {
    const keyOf = (e: unknown) => identity.key(e as Plain)!;
    const beforeByKey = new Map(before.map((e) => [keyOf(e), e]));
    const afterByKey = new Map(after.map((e) => [keyOf(e), e]));
    const keys = [...new Set([...beforeByKey.keys(), ...afterByKey.keys()])];
    return keys.flatMap((key) => {
      const element = (afterByKey.get(key) ?? beforeByKey.get(key)) as Plain;
      const segment: PathSegment = identity.what ? { key, what: identity.what(element) } : { key };
      return diffValues(beforeByKey.get(key), afterByKey.get(key), [...path, segment]);
    });
  }
  if (before.every(isScalar) && after.every(isScalar)) return [{ path, before, after }];
  if (before.length !== after.length) return [{ path, before, after }];
  return before.flatMap((element, index) => diffValues(element, after[index], [...path, { index }]));
}

/**
 * The changes between two Kubernetes objects of the same identity. A ConfigMap's (or Secret's `stringData`)
 * values that parse as YAML or JSON are compared as documents.
 */
export function diffObjects(before: Plain, after: Plain): FieldChange[] {
  const changes = diffValues(withoutData(before), withoutData(after));
  if (before.kind !== "ConfigMap" && after.kind !== "ConfigMap") {
    return [...changes, ...diffValues(before.data, after.data, [{ field: "data" }])];
  }
  const beforeData = (isPlain(before.data) ? before.data : {}) as Record<string, unknown>;
  const afterData = (isPlain(after.data) ? after.data : {}) as Record<string, unknown>;
  for (const key of [...new Set([...Object.keys(beforeData), ...Object.keys(afterData)])]) {
    const old = beforeData[key];
    const current = afterData[key];
    if (old === current) continue;
    if (typeof old !== "string" || typeof current !== "string") {
      changes.push({ path: [{ field: "data" }, { field: key }], before: old, after: current });
      continue;
    }
    const parsedBefore = parseEmbedded(key, old);
    const parsedAfter = parseEmbedded(key, current);
    const format = parsedAfter.format === "text" ? parsedBefore.format : parsedAfter.format;
    const document: PathSegment = { document: key, format };
    if (parsedBefore.format === "text" || parsedAfter.format === "text") {
      changes.push({ path: [document], before: old, after: current });
    } else {
      changes.push(...diffValues(parsedBefore.value, parsedAfter.value, [document]));
    }
  }
  return changes;
}

function withoutData(object: Plain): Plain {
  const rest: Plain = { ...object };
  delete rest.data;
  return rest;
}

/** Structural equality of parsed YAML/JSON values. */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b))
    return a.length === b.length && a.every((e, i) => deepEqual(e, b[i]));
  if (isPlain(a) && isPlain(b)) {
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every((k) => k in b && deepEqual(a[k], b[k]));
  }
  return false;
}
