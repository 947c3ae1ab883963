import type { Builder } from "@grafana/grafana-foundation-sdk/cog";
import {
  CustomVariableBuilder,
  QueryVariableBuilder,
  TextBoxVariableBuilder,
  VariableRefresh,
  VariableSort,
  type Panel,
  type VariableModel,
} from "@grafana/grafana-foundation-sdk/dashboard";
import { LogsSortOrder } from "@grafana/grafana-foundation-sdk/common";
import { DataqueryBuilder as LokiQuery } from "@grafana/grafana-foundation-sdk/loki";
import { PanelBuilder as LogsPanel } from "@grafana/grafana-foundation-sdk/logs";
import { PanelBuilder as TimeSeriesPanel } from "@grafana/grafana-foundation-sdk/timeseries";
import { METRICS, METRIC_LABELS } from "../../../../src/contract/index.js";
import { jobName, type MonitoredService } from "../../monitored-service.js";
import { selector } from "../../promql.js";
import { multiValueWithAll } from "./variables.js";

/** The uid of the Loki datasource the logs row reads (provisioned by our Grafana; in operator mode, yours). */
export const LOKI_DATASOURCE_UID = "loki";

/** Reference to that datasource. */
export const LOKI_DATASOURCE = { type: "loki", uid: LOKI_DATASOURCE_UID } as const;

/** Template variables of the logs row (besides the dashboard's `namespace` and `pod`). */
export const LOGS_VARIABLES = { level: "log_level", route: "log_route", requestId: "request_id" } as const;

/** The levels the server writes (`src/contract/server-config.ts`), for the level filter. */
const LEVELS = ["fatal", "error", "warn", "info", "debug", "trace"] as const;

/**
 * The derived field of the Loki datasource: the request id in a log line (`"req_id":"…"`, as
 * `src/server/logger.ts` writes it) links to every line of that request. The query runs on Loki itself;
 * `$$` is how a literal `$` survives Grafana's environment-variable expansion of provisioning files.
 */
export const REQUEST_ID_DERIVED_FIELD = {
  name: "req_id",
  matcherRegex: '"req_id":"([^"]+)"',
  url: '{namespace=~".+"} | req_id="$${__value.raw}"',
  datasourceUid: LOKI_DATASOURCE_UID,
  urlDisplayLabel: "All lines of this request",
} as const;

/** The stream selector and filters every logs-row query shares; `extraMatchers` go inside the braces. */
function streamSelector(extraMatchers = ""): string {
  const v = LOGS_VARIABLES;
  return `{namespace="$namespace", pod=~"$pod", level=~"$${v.level}"${extraMatchers}}`;
}

/** The filters after the stream selector: request id (a line filter; empty matches all) and route. */
function lineFilters(): string {
  return `|= "$${LOGS_VARIABLES.requestId}" | route=~"$${LOGS_VARIABLES.route}"`;
}

/** Every LogQL query of the logs row, by panel title (what the tests parse). */
export function logsRowQueries(): Readonly<Record<string, string>> {
  return {
    "Log lines by level": `sum by (level) (count_over_time(${streamSelector()} ${lineFilters()} [$__auto]))`,
    "5xx lines by route": `sum by (route) (count_over_time(${streamSelector()} ${lineFilters()} | status=~"5.." [$__auto]))`,
    "Request log": `${streamSelector()} ${lineFilters()}`,
  };
}

/**
 * The "Logs" row: log lines per level, 5xx lines per route, and the lines themselves, filtered by the
 * dashboard's namespace and pods and by level, route and request id. Labels are namespace, pod, container
 * and level; route, status and req_id are structured metadata (see the collector), filtered without `| json`.
 */
export function logsPanels(ids: { take(): number }): Builder<Panel>[] {
  const q = logsRowQueries();
  const series = (title: string, description: string) =>
    new TimeSeriesPanel()
      .id(ids.take())
      .title(title)
      .description(description)
      .datasource(LOKI_DATASOURCE)
      .unit("short")
      .min(0)
      .height(8)
      .span(12)
      .targets([
        new LokiQuery()
          .datasource(LOKI_DATASOURCE)
          .expr(q[title]!)
          .legendFormat(title === "Log lines by level" ? "{{level}}" : "{{route}}")
          .refId("A"),
      ]);
  return [
    series("Log lines by level", "Log lines per level, as the collector labelled them."),
    series("5xx lines by route", "Request lines answered 5xx, per route."),
    new LogsPanel()
      .id(ids.take())
      .title("Request log")
      .description(
        "The inference pods' log lines. Type a request id (the X-Request-Id header) in the request id box to see that request's lines; in a line's details, req_id links to every line of the request.",
      )
      .datasource(LOKI_DATASOURCE)
      .showTime(true)
      .wrapLogMessage(true)
      .enableLogDetails(true)
      .sortOrder(LogsSortOrder.Descending)
      .height(12)
      .span(24)
      .targets([
        new LokiQuery().datasource(LOKI_DATASOURCE).expr(q["Request log"]!).maxLines(500).refId("A"),
      ]),
  ];
}

/** The level, route and request-id filters of the logs row. */
export function logsVariables(service: MonitoredService): Builder<VariableModel>[] {
  return [
    multiValueWithAll(
      new CustomVariableBuilder(LOGS_VARIABLES.level).label("Log level").values(LEVELS.join(",")),
    ),
    multiValueWithAll(
      new QueryVariableBuilder(LOGS_VARIABLES.route)
        .label("Route")
        .datasource({ type: "prometheus", uid: "prometheus" })
        .query(
          `label_values(${selector(METRICS.httpRequests, { job: jobName(service) })}, ${METRIC_LABELS.route})`,
        ),
    )
      .refresh(VariableRefresh.OnTimeRangeChanged)
      .sort(VariableSort.AlphabeticalAsc),
    new TextBoxVariableBuilder(LOGS_VARIABLES.requestId).label("Request id").defaultValue(""),
  ];
}
