/**
 * Every alert links to a runbook that exists: its `runbook_url` ends in the GitHub anchor of a README heading,
 * in the committed dist/ and in operator mode alike, and each runbook says what the alert means, how to
 * check and what to do, with PromQL that parses and reads series that exist.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { METRICS } from "../../src/contract/index.js";
import { KUBE_STATE_METRICS } from "../../charts/monitoring/kube-state-metrics-series.js";
import { DEFAULT_MONITORING_CONFIG } from "../../charts/monitoring/mixin/config.js";
import { PROMETHEUS_FILES } from "../../charts/monitoring/prometheus-server.js";
import { loadManifestDir, synthObjects } from "../support/k8s-checks.js";
import { operatorMonitoring, standaloneMonitoring } from "./fixtures.js";
import { parsePromql } from "./promql-syntax.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const README = readFileSync(`${ROOT}/README.md`, "utf8");

/**
 * The anchor GitHub gives a heading (github-slugger): lowercase, inline markup and punctuation dropped,
 * spaces turned into '-'; a repeated slug gets `-1`, `-2`, ….
 */
export function githubSlug(heading: string, seen: Map<string, number> = new Map()): string {
  const text = heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, "$1")
    .trim()
    .toLowerCase();
  const base = text.replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, "").replace(/ /g, "-");
  const count = seen.get(base) ?? 0;
  seen.set(base, count + 1);
  return count === 0 ? base : `${base}-${count}`;
}

/** A Markdown heading: level, text, GitHub anchor and line index. */
interface Heading {
  readonly level: number;
  readonly text: string;
  readonly anchor: string;
  readonly line: number;
}

/** Headings outside fenced code blocks (where `# …` is a shell or PromQL comment). */
export function markdownHeadings(markdown: string): Heading[] {
  const seen = new Map<string, number>();
  const headings: Heading[] = [];
  let fence: string | undefined;
  for (const [index, line] of markdown.split("\n").entries()) {
    const marker = /^\s{0,3}(`{3,}|~{3,})/.exec(line)?.[1];
    if (marker && (fence === undefined || (marker[0] === fence[0] && marker.length >= fence.length))) {
      fence = fence === undefined ? marker : undefined;
      continue;
    }
    if (fence !== undefined) continue;
    const match = /^(#{1,6})\s+(.*?)\s*#*\s*$/.exec(line);
    if (match) {
      headings.push({
        level: match[1]!.length,
        text: match[2]!,
        anchor: githubSlug(match[2]!, seen),
        line: index,
      });
    }
  }
  return headings;
}

/** The Markdown from a heading to the next heading of the same or a higher level ("" when absent). */
function sectionOf(markdown: string, level: number, text: string): string {
  const headings = markdownHeadings(markdown);
  const start = headings.find((h) => h.level === level && h.text === text);
  if (!start) return "";
  const end = headings.find((h) => h.line > start.line && h.level <= level);
  return markdown.split("\n").slice(start.line, end?.line).join("\n");
}

const anchors = new Set(markdownHeadings(README).map((h) => h.anchor));
const chart = standaloneMonitoring();
const alerts = chart.mixin.alerts.map((a) => a.rule);

function fragmentOf(url: string | undefined): string {
  const hash = (url ?? "").indexOf("#");
  return hash < 0 ? "" : url!.slice(hash + 1);
}

describe("githubSlug", () => {
  it.each([
    ["Alert: InferenceHighErrorRatio", "alert-inferencehigherrorratio"],
    ["Reviewing dist/ diffs", "reviewing-dist-diffs"],
    [
      "Server (environment variables, parsed once by `src/contract/server-config.ts`)",
      "server-environment-variables-parsed-once-by-srccontractserver-configts",
    ],
    ["With kube-prometheus-stack (operator mode)", "with-kube-prometheus-stack-operator-mode"],
  ])("slugs %j as %j", (heading, slug) => {
    expect(githubSlug(heading)).toBe(slug);
  });

  it("numbers repeated headings and ignores '#' lines inside code blocks", () => {
    const headings = markdownHeadings("# A\n\n```sh\n# not a heading\n```\n\n## A\n");
    expect(headings.map((h) => h.anchor)).toEqual(["a", "a-1"]);
  });
});

describe("runbook links", () => {
  it("are on every alert, pointing at an anchor of README.md under the configured base URL", () => {
    expect(alerts.length).toBeGreaterThan(0);
    for (const rule of alerts) {
      expect(rule.annotations.runbook_url, rule.alert).toBe(
        `${DEFAULT_MONITORING_CONFIG.runbookBaseUrl}#${fragmentOf(rule.annotations.runbook_url)}`,
      );
      expect(anchors.has(fragmentOf(rule.annotations.runbook_url)), `${rule.alert}: no README heading`).toBe(
        true,
      );
    }
  });

  it("are in the committed dist/ rules file, one per alert", () => {
    const configMap = loadManifestDir(`${ROOT}/dist`)
      .map((l) => l.object)
      .find((o) => o.kind === "ConfigMap" && o.metadata.name === chart.prometheus.name);
    const text = (configMap?.data as Record<string, string> | undefined)?.[PROMETHEUS_FILES.rules] ?? "";
    const file = parse(text) as {
      groups: { rules: { alert?: string; annotations?: { runbook_url?: string } }[] }[];
    };
    const shipped = file.groups.flatMap((g) => g.rules).filter((r) => r.alert !== undefined);
    expect(shipped.map((r) => r.alert)).toEqual(alerts.map((r) => r.alert));
    for (const rule of shipped) {
      expect(anchors.has(fragmentOf(rule.annotations?.runbook_url)), `${rule.alert}`).toBe(true);
    }
  });

  it("are in operator mode's PrometheusRule too", () => {
    const rule = synthObjects(operatorMonitoring()).find((o) => o.kind === "PrometheusRule") as unknown as {
      spec: { groups: { rules: { alert?: string; annotations?: { runbook_url?: string } }[] }[] };
    };
    const shipped = rule.spec.groups.flatMap((g) => g.rules).filter((r) => r.alert !== undefined);
    expect(shipped).toHaveLength(alerts.length);
    for (const r of shipped) expect(anchors.has(fragmentOf(r.annotations?.runbook_url)), r.alert).toBe(true);
  });
});

describe("the README's runbooks", () => {
  const runbooks = sectionOf(README, 2, "Runbooks");
  const headings = markdownHeadings(runbooks).filter((h) => h.level === 3);

  it("have exactly one section per shipped alert, in the order of the rules", () => {
    expect(headings.map((h) => h.text)).toEqual(alerts.map((r) => `Alert: ${r.alert}`));
  });

  it("say what each alert means, how to check and what to do", () => {
    for (const rule of alerts) {
      const section = sectionOf(runbooks, 3, `Alert: ${rule.alert}`);
      for (const part of ["**Means:**", "**Check:**", "**Do:**"]) {
        expect(section, `${rule.alert} runbook lacks ${part}`).toContain(part);
      }
    }
  });

  it("link only to headings that exist", () => {
    const links = [...runbooks.matchAll(/\]\(#([^)]+)\)/g)].map((m) => m[1]!);
    expect(links.length).toBeGreaterThan(0);
    for (const link of links) expect(anchors.has(link), `#${link}`).toBe(true);
  });

  it("give PromQL that parses and reads only series the service, the rules or kube-state-metrics produce", () => {
    const known = new Set<string>([
      "up",
      ...Object.values(METRICS).flatMap((m) => [m, `${m}_bucket`, `${m}_sum`, `${m}_count`]),
      ...chart.mixin.recordingRules.map((r) => r.record),
      ...Object.values(KUBE_STATE_METRICS),
    ]);
    const queries = [...runbooks.matchAll(/```promql\n([\s\S]*?)```/g)]
      .flatMap((m) => m[1]!.split("\n"))
      .map((line) => line.replace(/(^|\s+)#.*$/, "").trim())
      .filter((line) => line !== "");
    expect(queries.length).toBeGreaterThanOrEqual(alerts.length);
    for (const query of queries) {
      const { errorsAt, metricNames } = parsePromql(query);
      expect(errorsAt, query).toEqual([]);
      for (const name of metricNames) {
        // prom-client's default metrics (nodejs_*, process_*) come with every pod.
        expect(known.has(name) || /^(nodejs|process)_/.test(name), `${name} in ${query}`).toBe(true);
      }
    }
  });
});
