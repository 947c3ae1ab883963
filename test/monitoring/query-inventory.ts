/**
 * Every PromQL expression the monitoring ships — dashboard panel queries, template-variable selectors,
 * recording rules, alert conditions and alert signals — with what each needs to return data.
 */
import type { Dashboard, Panel, RowPanel } from "@grafana/grafana-foundation-sdk/dashboard";
import type { AlertDefinition } from "../../charts/monitoring/mixin/alerts/inference-alerts.js";
import { DASHBOARD_VARIABLES } from "../../charts/monitoring/mixin/dashboards/inference-dashboard.js";
import type { RecordingRule } from "../../charts/monitoring/mixin/rules/rule-file.js";
import { parsePromql } from "./promql-syntax.js";

/** Which scrape target's series an expression reads. */
export type DataSource = "inference" | "kube-state-metrics" | "cadvisor";

/** One expression and where it comes from. */
export interface InventoriedQuery {
  /** `dashboard`, `variable`, `recording`, `alert` or `signal`. */
  readonly kind: "dashboard" | "variable" | "recording" | "alert" | "signal";
  /** Human-readable origin, e.g. `inference.json / Request latency / B`. */
  readonly origin: string;
  /** The expression as shipped (Grafana variables unexpanded). */
  readonly expr: string;
}

/** Values for Grafana's variables when a query is run outside Grafana. */
export interface GrafanaVariableValues {
  readonly namespace: string;
  /** Regex for the `pod` variable (Grafana substitutes a regex for a multi-value variable). */
  readonly pod: string;
  /** Value of `$__rate_interval`. */
  readonly rateInterval: string;
  /** Value of `$__range`. */
  readonly range: string;
}

/** Replaces the dashboard variables and Grafana's built-in ones, longest names first. */
export function expandGrafanaVariables(expr: string, values: GrafanaVariableValues): string {
  return expr
    .replaceAll("$__rate_interval", values.rateInterval)
    .replaceAll("$__range", values.range)
    .replaceAll(`$${DASHBOARD_VARIABLES.namespace}`, values.namespace)
    .replaceAll(`$${DASHBOARD_VARIABLES.pod}`, values.pod);
}

/** The target an expression needs, from the metric names it selects. */
export function dataSourceOf(expr: string): DataSource {
  const names = parsePromql(expr).metricNames;
  if (names.some((n) => n.startsWith("kube_"))) return "kube-state-metrics";
  if (names.some((n) => n.startsWith("container_"))) return "cadvisor";
  return "inference";
}

function panelsOf(dashboard: Dashboard): Panel[] {
  return (dashboard.panels ?? []).flatMap((p) =>
    (p as RowPanel).type === "row" ? ((p as RowPanel).panels ?? []) : [p as Panel],
  );
}

/** PromQL panel queries of a dashboard (the Logs row's LogQL is parsed in `charts/monitoring/logs/logs.test.ts`). */
export function dashboardQueries(fileName: string, dashboard: Dashboard): InventoriedQuery[] {
  const promql = panelsOf(dashboard).filter((panel) => panel.datasource?.type !== "loki");
  return promql.flatMap((panel) =>
    (panel.targets ?? []).map((target) => {
      const { expr, refId } = target as { expr?: string; refId?: string };
      if (typeof expr !== "string") throw new Error(`${fileName} / ${panel.title}: a target without expr`);
      return { kind: "dashboard" as const, origin: `${fileName} / ${panel.title} / ${refId}`, expr };
    }),
  );
}

/** The series selectors inside `label_values(<selector>, <label>)` template-variable queries. */
export function variableQueries(
  fileName: string,
  dashboard: Dashboard,
): (InventoriedQuery & { readonly label: string })[] {
  return (dashboard.templating?.list ?? []).flatMap((variable) => {
    const query = typeof variable.query === "string" ? variable.query : "";
    const match = /^label_values\((.+),\s*([a-zA-Z_][a-zA-Z0-9_]*)\)$/.exec(query);
    if (!match) return [];
    return [
      {
        kind: "variable" as const,
        origin: `${fileName} / $${variable.name}`,
        expr: match[1]!,
        label: match[2]!,
      },
    ];
  });
}

/** Recording rules, alert conditions and alert signals. */
export function ruleQueries(
  recordings: readonly RecordingRule[],
  alerts: readonly AlertDefinition[],
): InventoriedQuery[] {
  return [
    ...recordings.map((r) => ({ kind: "recording" as const, origin: r.record, expr: r.expr })),
    ...alerts.map((a) => ({ kind: "alert" as const, origin: a.rule.alert, expr: a.rule.expr })),
    ...alerts.flatMap((a) =>
      a.signals.map((expr, i) => ({
        kind: "signal" as const,
        origin: `${a.rule.alert} signal ${i + 1}`,
        expr,
      })),
    ),
  ];
}
