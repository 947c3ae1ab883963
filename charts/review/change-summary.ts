/**
 * The reviewer's summary of a chart change: which synthesized objects were added, removed or changed in each
 * environment, and for changed objects the changed fields with old → new values, grouped by what a reviewer
 * checks (release, capacity and cost, security, availability, restarts, monitoring), as Markdown.
 *
 * @example
 *   const markdown = renderChangeSummary(compareManifestTrees(readManifestTree(base), readManifestTree(head)), {
 *     base: "main (3d0b114)",
 *     head: "working tree",
 *   });
 */
import type { ManifestObject, ManifestTree } from "./manifest-tree.js";
import {
  changesPodTemplate,
  GROUP_TITLES,
  groupOfChange,
  groupOfObject,
  REVIEW_GROUPS,
  type ReviewGroup,
} from "./review-groups.js";
import { deepEqual, diffObjects, type FieldChange, type PathSegment } from "./structural-diff.js";

/** One object present on both sides with different content. */
export interface ChangedObject {
  readonly object: ManifestObject;
  readonly changes: readonly FieldChange[];
}

/** How one environment (one output directory) differs between base and head. */
export interface EnvironmentChanges {
  /** `""` for the default environment (the top-level files), otherwise the directory. */
  readonly environment: string;
  /** `"added"`/`"removed"` when the directory exists on one side only. */
  readonly presence: "both" | "added" | "removed";
  readonly added: readonly ManifestObject[];
  readonly removed: readonly ManifestObject[];
  readonly changed: readonly ChangedObject[];
  readonly unchanged: number;
}

/** Compares two synth outputs environment by environment, object by object. */
export function compareManifestTrees(base: ManifestTree, head: ManifestTree): EnvironmentChanges[] {
  const environments = [...new Set([...base.keys(), ...head.keys()])].sort();
  return environments.map((environment) => {
    const before = base.get(environment) ?? new Map<string, ManifestObject>();
    const after = head.get(environment) ?? new Map<string, ManifestObject>();
    const added = [...after.values()].filter((o) => !before.has(o.id));
    const removed = [...before.values()].filter((o) => !after.has(o.id));
    const changed: ChangedObject[] = [];
    let unchanged = 0;
    for (const object of after.values()) {
      const old = before.get(object.id);
      if (!old) continue;
      if (deepEqual(old.body, object.body)) unchanged += 1;
      else changed.push({ object, changes: diffObjects(old.body, object.body) });
    }
    const presence = !base.has(environment) ? "added" : !head.has(environment) ? "removed" : "both";
    return { environment, presence, added, removed, changed, unchanged };
  });
}

/** Labels for the two sides in the summary's heading. */
export interface SummaryLabels {
  readonly base: string;
  readonly head: string;
}

/** Renders the comparison as Markdown: a summary line, then one section per environment that changed. */
export function renderChangeSummary(
  environments: readonly EnvironmentChanges[],
  labels: SummaryLabels,
): string {
  const total = (pick: (e: EnvironmentChanges) => number) => environments.reduce((n, e) => n + pick(e), 0);
  const touched = environments.filter((e) => e.added.length + e.removed.length + e.changed.length > 0);
  const groups = new Set(touched.flatMap(groupsOf));
  const lines = [
    `## Synthesized manifests: ${labels.base} → ${labels.head}`,
    "",
    `**Summary:** ${plural(
      total((e) => e.changed.length),
      "object",
    )} changed, ${total((e) => e.added.length)} added, ` +
      `${total((e) => e.removed.length)} removed in ${touched.length} of ${plural(environments.length, "environment")}` +
      (groups.size > 0
        ? ` · ${REVIEW_GROUPS.filter((g) => groups.has(g))
            .map((g) => GROUP_TITLES[g].toLowerCase())
            .join(", ")}`
        : ""),
  ];
  if (touched.length === 0) lines.push("", "No synthesized object changes.");
  for (const environment of touched) lines.push("", ...renderEnvironment(environment));
  return `${lines.join("\n")}\n`;
}

function environmentTitle(environment: string): string {
  if (environment === "") return "Default environment (top-level files)";
  if (environment === "argocd") return "Argo CD Applications (`argocd/`)";
  return `Environment \`${environment}\``;
}

function renderEnvironment(env: EnvironmentChanges): string[] {
  const lines = [
    `### ${environmentTitle(env.environment)}${env.presence === "both" ? "" : ` (${env.presence})`}`,
    "",
    `${env.changed.length} changed · ${env.added.length} added · ${env.removed.length} removed · ${env.unchanged} unchanged`,
  ];
  lines.push(...objectList("Added", env.added), ...objectList("Removed", env.removed));
  // A whole environment added or removed is its list of objects; grouping them would only repeat it.
  if (env.presence !== "both") return lines;
  for (const group of REVIEW_GROUPS) {
    const entries = renderGroup(group, env);
    if (entries.length === 0) continue;
    const body = entries.flat();
    lines.push("", `#### ${GROUP_TITLES[group]}`, "");
    if (body.length > 40) {
      lines.push(
        `<details><summary>${plural(entries.length, "entry", "entries")}</summary>`,
        "",
        ...body,
        "",
        "</details>",
      );
    } else lines.push(...body);
  }
  return lines;
}

/** `**Added:** A, B` — folded into `<details>` when long. */
function objectList(title: string, objects: readonly ManifestObject[]): string[] {
  if (objects.length === 0) return [];
  const list = objects.map(objectLabel).join(", ");
  if (objects.length <= 10) return ["", `**${title}:** ${list}`];
  return [
    "",
    `<details><summary><b>${title}:</b> ${plural(objects.length, "object")}</summary>`,
    "",
    list,
    "",
    "</details>",
  ];
}

function groupsOf(env: EnvironmentChanges): ReviewGroup[] {
  return [
    ...[...env.added, ...env.removed].map(groupOfObject),
    ...env.changed.flatMap(({ object, changes }) => [
      ...changes.map((c) => groupOfChange(object.kind, c)),
      ...(changes.some((c) => changesPodTemplate(object.kind, c)) ? (["restarts"] as const) : []),
    ]),
  ];
}

/** The entries (each a list of Markdown lines) of one group. */
function renderGroup(group: ReviewGroup, env: EnvironmentChanges): string[][] {
  const entries: string[][] = [];
  // Added and removed objects are all listed at the top; a group repeats those that concern it.
  if (group !== "other") {
    for (const object of env.added.filter((o) => groupOfObject(o) === group)) {
      entries.push([`- ${objectLabel(object)}: added`]);
    }
    for (const object of env.removed.filter((o) => groupOfObject(o) === group)) {
      entries.push([`- ${objectLabel(object)}: removed`]);
    }
  }
  const perObject = env.changed.map(({ object, changes }) => ({
    object,
    changes: changes.filter((c) => groupOfChange(object.kind, c) === group),
  }));
  // A change made identically to many objects (a version label) is one line, not one per object.
  const bySignature = new Map<string, ManifestObject[]>();
  for (const { object, changes } of perObject) {
    for (const change of changes) {
      const signature = JSON.stringify([pathText(change.path), change.before, change.after]);
      bySignature.set(signature, [...(bySignature.get(signature) ?? []), object]);
    }
  }
  const shared = new Set([...bySignature].filter(([, objects]) => objects.length >= 3).map(([s]) => s));
  for (const signature of shared) {
    const objects = bySignature.get(signature)!;
    const change = perObject
      .flatMap((o) => o.changes)
      .find((c) => JSON.stringify([pathText(c.path), c.before, c.after]) === signature)!;
    entries.push([
      `- ${describeChange(code(pathText(change.path)), change)} on ${plural(objects.length, "object")}: ` +
        objects.map(objectLabel).join(", "),
    ]);
  }
  for (const { object, changes } of perObject) {
    const own = changes.filter((c) => !shared.has(JSON.stringify([pathText(c.path), c.before, c.after])));
    const all = env.changed.find((c) => c.object === object)!.changes;
    const rolls = group === "restarts" && all.some((c) => changesPodTemplate(object.kind, c));
    if (own.length === 0 && !rolls) continue;
    const header = `- ${objectLabel(object)}`;
    if (rolls) {
      const template = all
        .filter((c) => changesPodTemplate(object.kind, c))
        .map((c) => pathText(c.path.slice(2)));
      const shown = template.slice(0, 4).map(code).join(", ");
      const more = template.length > 4 ? ` and ${template.length - 4} more` : "";
      entries.push([
        `${header}: its pods roll (pod template changed: ${shown}${more})`,
        ...renderChanges(own),
      ]);
    } else {
      entries.push([header, ...renderChanges(own)]);
    }
  }
  return entries;
}

/** Nested list lines for one object's changes, grouped under the document and rule/job/panel they are in. */
function renderChanges(changes: readonly FieldChange[]): string[] {
  const byHeading = new Map<string, string[]>();
  for (const change of changes) {
    const { heading, rest } = splitHeading(change.path);
    const lines = byHeading.get(heading) ?? [];
    byHeading.set(heading, lines);
    const where = rest.length === 0 ? "" : code(pathText(rest));
    lines.push(...describeChangeLines(where, change, rest.at(-1)));
  }
  const lines: string[] = [];
  for (const [heading, changeLines] of byHeading) {
    if (heading === "") lines.push(...changeLines.map((l) => `  ${l}`));
    else lines.push(`  - ${heading}`, ...changeLines.map((l) => `    ${l}`));
  }
  return lines;
}

/** Splits a path at the last named rule/job/panel (or the embedded document): the heading and the rest. */
function splitHeading(path: readonly PathSegment[]): { heading: string; rest: readonly PathSegment[] } {
  let cut = -1;
  const parts: string[] = [];
  path.forEach((segment, index) => {
    if ("document" in segment) {
      parts.push(`${code(segment.document)} (${segment.format})`);
      cut = index;
    }
  });
  let subjectIndex = -1;
  path.forEach((segment, index) => {
    if ("what" in segment && segment.what !== undefined) subjectIndex = index;
  });
  const subject = path[subjectIndex];
  if (subject && "what" in subject) {
    parts.push(`${subject.what} **${subject.key}**`);
    cut = subjectIndex;
  }
  return { heading: parts.join(" · "), rest: path.slice(cut + 1) };
}

/** Dotted path text: `spec.template.spec.containers[server].image`, `metadata.labels["app.kubernetes.io/x"]`. */
export function pathText(path: readonly PathSegment[]): string {
  let text = "";
  for (const segment of path) {
    if ("field" in segment) {
      text += /^[A-Za-z_$][\w$]*$/.test(segment.field)
        ? `${text === "" ? "" : "."}${segment.field}`
        : `[${JSON.stringify(segment.field)}]`;
    } else if ("index" in segment) text += `[${segment.index}]`;
    else if ("key" in segment) text += `[${segment.key}]`;
    else text += `${text === "" ? "" : " "}${segment.document}:`;
  }
  return text;
}

function describeChange(where: string, change: FieldChange): string {
  const prefix = where === "" ? "" : `${where}: `;
  if (change.before === undefined) return `${prefix}added ${valueText(change.after)}`;
  if (change.after === undefined) return `${prefix}removed (was ${valueText(change.before)})`;
  if (typeof change.before === "string" && typeof change.after === "string") {
    if (DIGEST.test(change.before) && DIGEST.test(change.after)) {
      return `${prefix}${code(`${change.before.slice(0, 12)}…`)} → ${code(`${change.after.slice(0, 12)}…`)}`;
    }
    const [old, current] = elide(change.before, change.after);
    return `${prefix}${code(old)} → ${code(current)}`;
  }
  return `${prefix}${valueText(change.before)} → ${valueText(change.after)}`;
}

/** One change as list lines: the old → new line, plus a diff block for PromQL and multi-line text. */
function describeChangeLines(where: string, change: FieldChange, last: PathSegment | undefined): string[] {
  const { before, after } = change;
  if (
    typeof before === "string" &&
    typeof after === "string" &&
    (before.includes("\n") || after.includes("\n"))
  ) {
    return [`- ${where === "" ? "text" : where} changed:`, ...diffBlock(lineDiff(before, after))];
  }
  const lines = [`- ${describeChange(where, change)}`];
  const isExpression = last !== undefined && "field" in last && last.field === "expr";
  if (
    isExpression &&
    typeof before === "string" &&
    typeof after === "string" &&
    before.length + after.length > 120
  ) {
    lines.push(...diffBlock([`- ${before}`, `+ ${after}`]));
  }
  return lines;
}

function diffBlock(lines: readonly string[]): string[] {
  const fence = lines.some((l) => l.includes("```")) ? "~~~~" : "```";
  const shown =
    lines.length > 40 ? [...lines.slice(0, 40), `# … ${lines.length - 40} more changed lines`] : lines;
  return ["  " + fence + "diff", ...shown.map((l) => `  ${l}`), "  " + fence];
}

/** Changed lines of two texts (`- old`, `+ new`), by longest common subsequence; unchanged lines left out. */
export function lineDiff(before: string, after: string): string[] {
  const a = before.split("\n");
  const b = after.split("\n");
  const lcs: number[][] = Array.from({ length: a.length + 1 }, () => new Array<number>(b.length + 1).fill(0));
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) {
      lcs[i]![j] = a[i] === b[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
    }
  }
  const out: string[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && a[i] === b[j]) {
      i += 1;
      j += 1;
    } else if (i < a.length && (j === b.length || lcs[i + 1]![j]! >= lcs[i]![j + 1]!)) {
      out.push(`- ${a[i++]}`);
    } else out.push(`+ ${b[j++]}`);
  }
  return out;
}

/** A hex digest (a config checksum): its first characters tell two apart. */
const DIGEST = /^[0-9a-f]{32,}$/;
const SHORT = 60;
const CONTEXT = 24;

/** Two long strings cut to their differing middle with some context, `…` marking what was left out. */
export function elide(before: string, after: string): [string, string] {
  if (before.length <= SHORT && after.length <= SHORT) return [before, after];
  let prefix = 0;
  while (prefix < before.length && prefix < after.length && before[prefix] === after[prefix]) prefix += 1;
  let suffix = 0;
  while (
    suffix < before.length - prefix &&
    suffix < after.length - prefix &&
    before[before.length - 1 - suffix] === after[after.length - 1 - suffix]
  ) {
    suffix += 1;
  }
  const cut = (s: string) => {
    const start = Math.max(0, prefix - CONTEXT);
    const end = Math.min(s.length, s.length - suffix + CONTEXT);
    const middle = s.slice(start, end);
    const clipped = middle.length > 160 ? `${middle.slice(0, 100)}…${middle.slice(-40)}` : middle;
    return `${start > 0 ? "…" : ""}${clipped}${end < s.length ? "…" : ""}`;
  };
  return [cut(before), cut(after)];
}

/** A value for an inline mention: scalars as they are, rules by expression, anything else as short JSON. */
function valueText(value: unknown): string {
  if (typeof value === "string") return code(truncate(value, 100));
  if (typeof value === "object" && value !== null && !Array.isArray(value)) {
    const record = value as Record<string, unknown>;
    const keys = Object.keys(record);
    if (keys.length === 2 && typeof record.name === "string" && typeof record.value === "string") {
      return code(truncate(`${record.name}=${record.value}`, 100));
    }
    if (typeof record.expr === "string") {
      return `${code(truncate(record.expr, 160))}${record.for === undefined ? "" : ` for ${code(String(record.for))}`}`;
    }
    if (Array.isArray(record.targets)) {
      const exprs = record.targets
        .map((t) => (t as { expr?: unknown }).expr)
        .filter((e) => typeof e === "string");
      if (exprs.length > 0) return exprs.map((e) => code(truncate(String(e), 120))).join(", ");
    }
  }
  return code(truncate(JSON.stringify(value), 100));
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** Inline code that survives backticks in the value. */
function code(text: string): string {
  const flat = text.replace(/\n/g, "⏎");
  return flat.includes("`") ? `\`\` ${flat} \`\`` : `\`${flat}\``;
}

function objectLabel(object: ManifestObject): string {
  return `${object.kind} ${code(object.id.slice(object.kind.length + 1))}`;
}

function plural(count: number, singular: string, pluralForm = `${singular}s`): string {
  return `${count} ${count === 1 ? singular : pluralForm}`;
}
