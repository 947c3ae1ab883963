import { ReduceDataOptionsBuilder, VizLegendOptionsBuilder } from "@grafana/grafana-foundation-sdk/common";
import type { DataSourceRef } from "@grafana/grafana-foundation-sdk/common";
import { LegendDisplayMode, LegendPlacement } from "@grafana/grafana-foundation-sdk/common";
import type { Builder } from "@grafana/grafana-foundation-sdk/cog";
import type { Dashboard, Panel } from "@grafana/grafana-foundation-sdk/dashboard";
import {
  DashboardBuilder,
  QueryVariableBuilder,
  RowBuilder,
  VariableRefresh,
  VariableSort,
} from "@grafana/grafana-foundation-sdk/dashboard";
import { PanelBuilder as PieChartPanel } from "@grafana/grafana-foundation-sdk/piechart";
import { DataqueryBuilder, PromQueryFormat } from "@grafana/grafana-foundation-sdk/prometheus";
import { PanelBuilder as StatPanel } from "@grafana/grafana-foundation-sdk/stat";
import { PanelBuilder as TablePanel } from "@grafana/grafana-foundation-sdk/table";
import { PanelBuilder as TimeSeriesPanel } from "@grafana/grafana-foundation-sdk/timeseries";
import { METRICS, METRIC_LABELS, MODEL_NAME } from "../../../../src/contract/index.js";
import { KUBE_STATE_METRICS, KUBE_STATE_METRICS_LABELS } from "../../kube-state-metrics-series.js";
import { jobName, NON_USER_ROUTES, type MonitoredService } from "../../monitored-service.js";
import { CADVISOR_METRICS } from "../../prometheus-config.js";
import { anyOf, GRAFANA_RATE_INTERVAL, selector, type LabelMatchers } from "../../promql.js";
import { ROLLOUT_ROLE_SERIES_LABEL } from "../../../constructs/argo-rollouts-names.js";
import { requestScalingQueries, type RequestScalingQueries } from "./request-scaling-queries.js";
import { logsPanels, logsVariables } from "./logs-row.js";
import { multiValueWithAll } from "./variables.js";

/**
 * The uid of the Prometheus datasource every panel references. kube-prometheus-stack provisions its
 * Prometheus datasource under the same uid, so the dashboards work unchanged in operator mode.
 */
export const PROMETHEUS_DATASOURCE_UID = "prometheus";

/** Reference to that datasource. */
export const PROMETHEUS_DATASOURCE = { type: "prometheus", uid: PROMETHEUS_DATASOURCE_UID } as const;

/** Stable uid of the inference dashboard (its URL is `/d/<uid>`). */
export const INFERENCE_DASHBOARD_UID = "infer8s-inference";

/** Grafana's whole-time-range variable. */
const GRAFANA_RANGE = "$__range";

/** Template variables of the dashboard. */
export const DASHBOARD_VARIABLES = { namespace: "namespace", pod: "pod" } as const;

/** Builds panels with consecutive ids so the JSON is the same on every run. */
class PanelIds {
  private next = 1;
  take(): number {
    return this.next++;
  }
}

function query(expr: string, legend: string, refId: string): DataqueryBuilder {
  return new DataqueryBuilder()
    .datasource(PROMETHEUS_DATASOURCE)
    .expr(expr)
    .legendFormat(legend)
    .refId(refId);
}

function queries(targets: readonly (readonly [expr: string, legend: string])[]): DataqueryBuilder[] {
  return targets.map(([expr, legend], i) => query(expr, legend, String.fromCharCode(65 + i)));
}

const legend = () =>
  new VizLegendOptionsBuilder()
    .showLegend(true)
    .displayMode(LegendDisplayMode.List)
    .placement(LegendPlacement.Bottom);

/** The range of every rate() on the dashboard. */
const rate = GRAFANA_RATE_INTERVAL;

/** What the panels select on, and the panel-id counter they share. */
interface PanelContext {
  readonly ids: PanelIds;
  /** The inference pods' own series (scraped from the server). */
  readonly target: LabelMatchers;
  /** `target` without probes and scrapes: the traffic users send. */
  readonly user: LabelMatchers;
  /** kube-state-metrics series of the selected pods. */
  readonly podObjects: LabelMatchers;
  /** kube-state-metrics series of the Deployment. */
  readonly deployment: LabelMatchers;
  /** kube-state-metrics series of the HorizontalPodAutoscaler. */
  readonly hpa: LabelMatchers;
  /** cAdvisor series of the selected pods' containers. */
  readonly containers: LabelMatchers;
  /** User requests per second. */
  readonly userRate: string;
  /** Seconds since each server process started. */
  readonly uptime: string;
}

function panelContext(service: MonitoredService): PanelContext {
  const ns = `$${DASHBOARD_VARIABLES.namespace}`;
  const pod = { op: "=~", value: `$${DASHBOARD_VARIABLES.pod}` } as const;
  const target: LabelMatchers = { job: jobName(service), namespace: ns, pod };
  const user: LabelMatchers = {
    ...target,
    [METRIC_LABELS.route]: { op: "!~", value: anyOf(NON_USER_ROUTES) },
  };
  const podObjects: LabelMatchers = {
    [KUBE_STATE_METRICS_LABELS.namespace]: ns,
    [KUBE_STATE_METRICS_LABELS.pod]: pod,
  };
  return {
    ids: new PanelIds(),
    target,
    user,
    podObjects,
    deployment: {
      [KUBE_STATE_METRICS_LABELS.namespace]: ns,
      [KUBE_STATE_METRICS_LABELS.deployment]: service.deploymentName,
    },
    hpa: { [KUBE_STATE_METRICS_LABELS.namespace]: ns, [KUBE_STATE_METRICS_LABELS.hpa]: service.hpaName },
    // cAdvisor also reports the pod's own cgroup (container="") and, with some runtimes, the pause container.
    containers: { ...podObjects, container: { op: "!~", value: "|POD" } },
    userRate: `sum(rate(${selector(METRICS.httpRequests, user)}[${rate}]))`,
    uptime: `time() - ${selector("process_start_time_seconds", target)}`,
  };
}

/** Share of user requests whose status matches `statusRegex`. */
function shareOf(ctx: PanelContext, statusRegex: string): string {
  const matching = { ...ctx.user, [METRIC_LABELS.status]: { op: "=~", value: statusRegex } } as const;
  const failed = `sum(rate(${selector(METRICS.httpRequests, matching)}[${rate}]))`;
  // No series for a status class that never happened: count that as 0 %, not as no data.
  return `(${failed} or ${ctx.userRate} * 0) / ${ctx.userRate}`;
}

function quantile(histogram: string, q: number, matchers: LabelMatchers): string {
  return `histogram_quantile(${q}, sum by (le) (rate(${selector(`${histogram}_bucket`, matchers)}[${rate}])))`;
}

function quantiles(histogram: string, matchers: LabelMatchers): DataqueryBuilder[] {
  return queries([0.5, 0.95, 0.99].map((q) => [quantile(histogram, q, matchers), `p${q * 100}`] as const));
}

/** One series per gauge, each selected by `matchers` and named by its legend. */
function gauges(
  matchers: LabelMatchers,
  series: readonly (readonly [metric: string, legend: string])[],
): DataqueryBuilder[] {
  return queries(series.map(([metric, legend]) => [selector(metric, matchers), legend] as const));
}

/** `sum by (pod)` of `inner`, one series per pod. */
function perPod(inner: string, legendFormat: string): readonly [string, string] {
  return [`sum by (pod) (${inner})`, `{{pod}} (${legendFormat})`];
}

/** The builder methods every panel kind has. */
interface PanelBase<P> {
  id(id: number): P;
  title(title: string): P;
  description(description: string): P;
  datasource(datasource: DataSourceRef): P;
}

/** `panel` with the next id, its title and description, reading from Prometheus. */
function titled<P extends PanelBase<P>>(ctx: PanelContext, panel: P, title: string, description: string): P {
  return panel.id(ctx.ids.take()).title(title).description(description).datasource(PROMETHEUS_DATASOURCE);
}

/** A half-width, 8-high time series starting at 0. */
function timeSeries(
  ctx: PanelContext,
  title: string,
  unit: string,
  description: string,
  targets: DataqueryBuilder[],
): TimeSeriesPanel {
  return titled(ctx, new TimeSeriesPanel(), title, description)
    .unit(unit)
    .min(0)
    .fillOpacity(10)
    .legend(legend())
    .height(8)
    .span(12)
    .targets(targets);
}

/** A third-width, 4-high single value: the last one in the time range. */
function stat(
  ctx: PanelContext,
  title: string,
  unit: string,
  description: string,
  expr: string,
  legendFormat = "",
): StatPanel {
  return titled(ctx, new StatPanel(), title, description)
    .unit(unit)
    .reduceOptions(new ReduceDataOptionsBuilder().calcs(["lastNotNull"]))
    .height(4)
    .span(4)
    .targets([query(expr, legendFormat, "A")]);
}

function overviewPanels(ctx: PanelContext): Builder<Panel>[] {
  const p95 = quantile(METRICS.httpRequestDuration, 0.95, ctx.user);
  return [
    stat(
      ctx,
      "Request rate",
      "reqps",
      "User requests per second (probes and scrapes excluded).",
      ctx.userRate,
    ),
    stat(ctx, "5xx errors", "percentunit", "Share of user requests answered 5xx.", shareOf(ctx, "5..")),
    stat(ctx, "p95 latency", "s", "95th percentile latency of user requests.", p95),
    stat(
      ctx,
      "Ready pods",
      "none",
      "Available replicas of the Deployment (kube-state-metrics).",
      selector(KUBE_STATE_METRICS.deploymentAvailableReplicas, ctx.deployment),
    ),
    stat(
      ctx,
      "Scraped pods up",
      "none",
      "Inference pods Prometheus scrapes successfully.",
      `sum(${selector("up", ctx.target)})`,
    ),
    stat(
      ctx,
      "Uptime (youngest pod)",
      "s",
      "Time since the most recent process start.",
      `min(${ctx.uptime})`,
    ),
  ];
}

function modelPanels(ctx: PanelContext): Builder<Panel>[] {
  const { model, version, backend } = METRIC_LABELS;
  return [
    titled(
      ctx,
      new TablePanel(),
      "Model version and backend",
      "The model each pod serves and the TF.js backend it runs on (ml_model_info).",
    )
      .height(6)
      .span(16)
      .targets([
        query(
          `max by (pod, ${model}, ${version}, ${backend}) (${selector(METRICS.modelInfo, ctx.target)})`,
          "",
          "A",
        )
          .instant()
          .format(PromQueryFormat.Table),
      ]),
    stat(
      ctx,
      "Model accuracy",
      "percentunit",
      "Held-out test accuracy recorded when the model was trained.",
      `max by (${model}, ${version}) (${selector(METRICS.modelAccuracy, ctx.target)})`,
      `{{${version}}}`,
    )
      .height(6)
      .span(8),
  ];
}

function trafficPanels(ctx: PanelContext): Builder<Panel>[] {
  const { route, status, errorType } = METRIC_LABELS;
  return [
    timeSeries(
      ctx,
      "Request rate by route and status",
      "reqps",
      "All requests, probes and scrapes included.",
      [
        query(
          `sum by (${route}, ${status}) (rate(${selector(METRICS.httpRequests, ctx.target)}[${rate}]))`,
          `{{${route}}} {{${status}}}`,
          "A",
        ),
      ],
    ),
    timeSeries(
      ctx,
      "Error rate",
      "percentunit",
      "Share of user requests answered 5xx (server) and 4xx (client).",
      queries([
        [shareOf(ctx, "5.."), "5xx"],
        [shareOf(ctx, "4.."), "4xx"],
      ]),
    ).max(1),
    timeSeries(ctx, "Errors by type", "ops", "Errors counted by the server, by kind (ml_errors_total).", [
      query(
        `sum by (${errorType}) (rate(${selector(METRICS.errors, ctx.target)}[${rate}]))`,
        `{{${errorType}}}`,
        "A",
      ),
    ]),
    timeSeries(ctx, "In-flight requests", "none", "Requests being processed, per pod.", [
      query(`sum by (pod) (${selector(METRICS.inflightRequests, ctx.target)})`, "{{pod}}", "A"),
    ]),
  ];
}

function latencyPanels(ctx: PanelContext): Builder<Panel>[] {
  const rows = METRICS.inferenceBatchRows;
  const meanRows = `sum(rate(${selector(`${rows}_sum`, ctx.target)}[${rate}])) / sum(rate(${selector(`${rows}_count`, ctx.target)}[${rate}]))`;
  return [
    timeSeries(
      ctx,
      "Request latency",
      "s",
      "Quantiles of user request latency across all selected pods, from the histogram.",
      quantiles(METRICS.httpRequestDuration, ctx.user),
    ),
    timeSeries(
      ctx,
      "Prediction latency",
      "s",
      "Quantiles of model inference time alone, without HTTP and validation.",
      quantiles(METRICS.predictionDuration, ctx.target),
    ),
    timeSeries(
      ctx,
      "Rows per inference batch",
      "none",
      "How many rows each model call processed.",
      queries([
        [meanRows, "mean"],
        [quantile(rows, 0.95, ctx.target), "p95"],
      ]),
    ),
    timeSeries(
      ctx,
      "Event loop lag p99",
      "s",
      "Node.js event loop delay, per pod: high values delay every request.",
      [query(`max by (pod) (${selector("nodejs_eventloop_lag_p99_seconds", ctx.target)})`, "{{pod}}", "A")],
    ),
  ];
}

function predictionPanels(ctx: PanelContext): Builder<Panel>[] {
  const byClass = (fn: "rate" | "increase", window: string) =>
    `sum by (${METRIC_LABELS.class}) (${fn}(${selector(METRICS.predictions, ctx.target)}[${window}]))`;
  const classLegend = `{{${METRIC_LABELS.class}}}`;
  return [
    timeSeries(ctx, "Predictions by class", "ops", "Predicted classes per second.", [
      query(byClass("rate", rate), classLegend, "A"),
    ]).span(16),
    titled(
      ctx,
      new PieChartPanel(),
      "Predictions by class (time range)",
      "Share of each predicted class over the dashboard's time range.",
    )
      .reduceOptions(new ReduceDataOptionsBuilder().calcs(["lastNotNull"]))
      .height(8)
      .span(8)
      .targets([query(byClass("increase", GRAFANA_RANGE), classLegend, "A").instant()]),
  ];
}

/** Replica counts of the Deployment and of its autoscaler, as kube-state-metrics reports them. */
const REPLICA_PANELS = [
  {
    title: "Available and desired pods",
    description: "Available replicas of the Deployment against its desired count (kube-state-metrics).",
    object: "deployment",
    series: [
      [KUBE_STATE_METRICS.deploymentAvailableReplicas, "available"],
      [KUBE_STATE_METRICS.deploymentSpecReplicas, "desired"],
    ],
  },
  {
    title: "Autoscaler replicas",
    description:
      "Current, desired, minimum and maximum replicas of the HorizontalPodAutoscaler (kube-state-metrics).",
    object: "hpa",
    series: [
      [KUBE_STATE_METRICS.hpaCurrentReplicas, "current"],
      [KUBE_STATE_METRICS.hpaDesiredReplicas, "desired"],
      [KUBE_STATE_METRICS.hpaMinReplicas, "min"],
      [KUBE_STATE_METRICS.hpaMaxReplicas, "max"],
    ],
  },
] as const;

function replicaPanels(ctx: PanelContext): Builder<Panel>[] {
  return REPLICA_PANELS.map(({ title, description, object, series }) =>
    timeSeries(ctx, title, "none", description, gauges(ctx[object], series)),
  );
}

function resourcePanels(ctx: PanelContext): Builder<Panel>[] {
  return [
    timeSeries(
      ctx,
      "CPU per pod",
      "short",
      "Cores used per pod: by the containers (cAdvisor) and by the server process itself.",
      queries([
        perPod(`rate(${selector(CADVISOR_METRICS.cpuSeconds, ctx.containers)}[${rate}])`, "containers"),
        perPod(`rate(${selector("process_cpu_seconds_total", ctx.target)}[${rate}])`, "process"),
      ]),
    ),
    timeSeries(
      ctx,
      "Memory per pod",
      "bytes",
      "Working set per pod (cAdvisor; what the OOM killer and the HPA see) and the server's resident memory.",
      queries([
        perPod(selector(CADVISOR_METRICS.memoryWorkingSet, ctx.containers), "working set"),
        perPod(selector("process_resident_memory_bytes", ctx.target), "process RSS"),
      ]),
    ),
    timeSeries(
      ctx,
      "Container restarts (last hour)",
      "none",
      "Restarts per pod over the preceding hour (kube-state-metrics).",
      [
        query(
          `sum by (pod) (increase(${selector(KUBE_STATE_METRICS.containerRestarts, ctx.podObjects)}[1h]))`,
          "{{pod}}",
          "A",
        ),
      ],
    ),
    timeSeries(ctx, "Uptime per pod", "s", "Time since each server process started.", [
      query(ctx.uptime, "{{pod}}", "A"),
    ]),
  ];
}

/**
 * Traffic, errors, latency and predicted classes of each version while an Argo Rollout moves between them, split
 * by the `rollout_role` label the Rollout's ephemeral metadata keeps current (stable/canary, active/preview).
 * The role, not `rollouts_pod_template_hash`: a hash changes with every revision and does not say which
 * version is the stable one.
 */
function rolloutPanels(ctx: PanelContext): Builder<Panel>[] {
  const role = ROLLOUT_ROLE_SERIES_LABEL;
  const byRole = (matchers: LabelMatchers) =>
    `sum by (${role}) (rate(${selector(METRICS.httpRequests, matchers)}[${rate}]))`;
  const failed = { ...ctx.user, [METRIC_LABELS.status]: { op: "=~", value: "5.." } } as const;
  const predictions = `sum by (${role}, ${METRIC_LABELS.class}) (rate(${selector(METRICS.predictions, ctx.target)}[${rate}]))`;
  return [
    timeSeries(ctx, "Request rate by rollout role", "reqps", "User requests per second, per version.", [
      query(byRole(ctx.user), `{{${role}}}`, "A"),
    ]),
    timeSeries(
      ctx,
      "5xx ratio by rollout role",
      "percentunit",
      "Share of each version's user requests answered 5xx: what the canary analysis aborts on.",
      [query(`(${byRole(failed)} or ${byRole(ctx.user)} * 0) / ${byRole(ctx.user)}`, `{{${role}}}`, "A")],
    ).max(1),
    timeSeries(ctx, "p95 latency by rollout role", "s", "95th percentile of each version's user requests.", [
      query(
        `histogram_quantile(0.95, sum by (le, ${role}) (rate(${selector(`${METRICS.httpRequestDuration}_bucket`, ctx.user)}[${rate}])))`,
        `{{${role}}}`,
        "A",
      ),
    ]),
    timeSeries(
      ctx,
      "Predicted class share by rollout role",
      "percentunit",
      "Each class's share of each version's predictions: a new model that drifts shows here before users complain.",
      [
        query(
          `${predictions} / ignoring (${METRIC_LABELS.class}) group_left sum by (${role}) (${predictions})`,
          `{{${role}}} {{${METRIC_LABELS.class}}}`,
          "A",
        ),
      ],
    ).max(1),
  ];
}

/** API keys (api-key mode): requests refused with 401, by reason. Reads 0 without auth. */
function authenticationPanels(ctx: PanelContext): Builder<Panel>[] {
  const ratePerLabel = (title: string, description: string, metric: string, label: string) =>
    timeSeries(ctx, title, "reqps", description, [
      query(`sum by (${label}) (rate(${selector(metric, ctx.target)}[${rate}]))`, `{{${label}}}`, "A"),
    ]);
  return [
    ratePerLabel(
      "Refused requests (401) by reason",
      "Requests refused in api-key mode: missing (no key) or invalid (unknown key). A burst is a misconfigured client after a rotation, or someone guessing keys (alert InferenceUnauthorizedBurst). Accepted requests per key id: ml_authenticated_requests_total.",
      METRICS.authFailures,
      METRIC_LABELS.authFailureReason,
    ),
    ratePerLabel(
      "Requests by API key id",
      "Requests with a valid key, by key id (the Secret's data key). During a rotation, the old id falling to 0 says every client has the new key. Empty without auth.",
      METRICS.authenticatedRequests,
      METRIC_LABELS.keyId,
    ),
  ];
}

/** The row a Rollout adds, right after the overview. */
const ROLLOUT_ROW = { title: "Progressive delivery by rollout role", panels: rolloutPanels } as const;

/**
 * KEDA's request-rate scaling (`autoscaling.mode: "requests"`): the per-pod rate against the ScaledObject's
 * threshold, and the replicas it asks for against those KEDA's HPA wants and has. `series` names the
 * queries of `RequestScalingQueries` a panel draws, in order, with their legends.
 */
const REQUEST_SCALING_PANELS: readonly {
  readonly title: string;
  readonly unit: string;
  readonly description: string;
  readonly series: Partial<Readonly<Record<keyof RequestScalingQueries, string>>>;
}[] = [
  {
    title: "Requests per pod vs KEDA target",
    unit: "reqps",
    description:
      "User requests per second per scraped pod, over all pods whatever the pod variable (KEDA does not filter), against the ScaledObject's threshold: KEDA's HPA adds pods while the average is above it.",
    series: { perPodRate: "per pod", target: "target" },
  },
  {
    title: "KEDA replicas",
    unit: "none",
    description:
      "Pods the request rate asks for (ceil(rate / target) within the bounds, before the scaling behavior paces it), and the desired and current replicas of KEDA's HorizontalPodAutoscaler (kube-state-metrics).",
    series: { wanted: "wanted by the request rate", desired: "desired", current: "current" },
  },
];

function requestScalingPanels(ctx: PanelContext, q: RequestScalingQueries): Builder<Panel>[] {
  return REQUEST_SCALING_PANELS.map(({ title, unit, description, series }) =>
    timeSeries(
      ctx,
      title,
      unit,
      description,
      queries(Object.entries(series).map(([key, legend]) => [q[key as keyof RequestScalingQueries], legend])),
    ),
  );
}

/** What the dashboard shows besides the metrics. */
export interface DashboardOptions {
  /** Add the "Logs" row (a Loki datasource with uid `loki` must exist). @default false */
  readonly logs?: boolean;
}

/** The dashboard's rows, top to bottom, and the panels each holds; `when` rows only with that option. */
const ROWS: readonly {
  readonly title: string;
  readonly panels: (ctx: PanelContext) => Builder<Panel>[];
  readonly when?: keyof DashboardOptions;
}[] = [
  { title: "Overview", panels: overviewPanels },
  { title: "Model", panels: modelPanels },
  { title: "Traffic and errors", panels: trafficPanels },
  { title: "Latency", panels: latencyPanels },
  { title: "Predictions", panels: predictionPanels },
  { title: "Pods and autoscaling", panels: (ctx) => [...replicaPanels(ctx), ...resourcePanels(ctx)] },
  { title: "Authentication", panels: authenticationPanels },
  { title: "Logs", panels: (ctx) => logsPanels(ctx.ids), when: "logs" },
];

/** The `namespace` and `pod` variables: every namespace the service is scraped in, and its pods there. */
function dashboardVariables(service: MonitoredService): QueryVariableBuilder[] {
  const job = jobName(service);
  return [
    new QueryVariableBuilder(DASHBOARD_VARIABLES.namespace)
      .label("Namespace")
      .datasource(PROMETHEUS_DATASOURCE)
      .query(`label_values(${selector("up", { job })}, namespace)`)
      .current({ text: service.namespace, value: service.namespace })
      .refresh(VariableRefresh.OnTimeRangeChanged)
      .sort(VariableSort.AlphabeticalAsc),
    multiValueWithAll(
      new QueryVariableBuilder(DASHBOARD_VARIABLES.pod)
        .label("Pod")
        .datasource(PROMETHEUS_DATASOURCE)
        .query(
          `label_values(${selector("up", { job, namespace: `$${DASHBOARD_VARIABLES.namespace}` })}, pod)`,
        ),
    )
      .refresh(VariableRefresh.OnTimeRangeChanged)
      .sort(VariableSort.AlphabeticalAsc),
  ];
}

/**
 * The inference service's dashboard: traffic, errors, latency, predictions, model, pods, autoscaling,
 * CPU, memory, restarts and uptime, filtered by the `namespace` and `pod` variables.
 *
 * @example JSON.stringify(inferenceDashboard(service))
 */
export function inferenceDashboard(service: MonitoredService, options: DashboardOptions = {}): Dashboard {
  const builder = new DashboardBuilder(`infer8s / ${MODEL_NAME} inference`)
    .uid(INFERENCE_DASHBOARD_UID)
    .description(
      "Traffic, errors, latency, predictions, model, pods and autoscaling of the infer8s inference service. Generated by charts/monitoring/mixin/dashboards/inference-dashboard.ts; edit there, not in Grafana.",
    )
    .tags(["infer8s", "inference"])
    .readonly()
    .refresh("30s")
    .time({ from: "now-1h", to: "now" })
    .timezone("browser");
  for (const variable of dashboardVariables(service)) builder.withVariable(variable);
  if (options.logs) for (const variable of logsVariables(service)) builder.withVariable(variable);
  const ctx = panelContext(service);
  const shown = ROWS.filter((r) => r.when === undefined || options[r.when] === true);
  const rows = service.rollout ? [shown[0]!, ROLLOUT_ROW, ...shown.slice(1)] : shown;
  for (const row of rows) {
    builder.withRow(new RowBuilder(row.title).id(ctx.ids.take()));
    for (const panel of row.panels(ctx)) builder.withPanel(panel);
  }
  // Only in request-rate mode, last, so the other panels keep their ids in both modes.
  const scaling = requestScalingQueries(service, `$${DASHBOARD_VARIABLES.namespace}`, rate);
  if (scaling) {
    builder.withRow(new RowBuilder("Request-rate autoscaling").id(ctx.ids.take()));
    for (const panel of requestScalingPanels(ctx, scaling)) builder.withPanel(panel);
  }
  return builder.build();
}
