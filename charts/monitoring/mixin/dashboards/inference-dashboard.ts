import { ReduceDataOptionsBuilder, VizLegendOptionsBuilder } from "@grafana/grafana-foundation-sdk/common";
import { LegendDisplayMode, LegendPlacement } from "@grafana/grafana-foundation-sdk/common";
import type { Dashboard } from "@grafana/grafana-foundation-sdk/dashboard";
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

/**
 * The inference service's dashboard: traffic, errors, latency, predictions, model, pods, autoscaling,
 * CPU, memory, restarts and uptime, filtered by the `namespace` and `pod` variables.
 *
 * @example JSON.stringify(inferenceDashboard(service))
 */
export function inferenceDashboard(service: MonitoredService): Dashboard {
  const ids = new PanelIds();
  const ns = `$${DASHBOARD_VARIABLES.namespace}`;
  const podRegex = `$${DASHBOARD_VARIABLES.pod}`;
  const rate = GRAFANA_RATE_INTERVAL;
  const target: LabelMatchers = {
    job: jobName(service),
    namespace: ns,
    pod: { op: "=~", value: podRegex },
  };
  const user: LabelMatchers = {
    ...target,
    [METRIC_LABELS.route]: { op: "!~", value: anyOf(NON_USER_ROUTES) },
  };
  const podObjects: LabelMatchers = {
    [KUBE_STATE_METRICS_LABELS.namespace]: ns,
    [KUBE_STATE_METRICS_LABELS.pod]: { op: "=~", value: podRegex },
  };
  const deployment: LabelMatchers = {
    [KUBE_STATE_METRICS_LABELS.namespace]: ns,
    [KUBE_STATE_METRICS_LABELS.deployment]: service.deploymentName,
  };
  const hpa: LabelMatchers = {
    [KUBE_STATE_METRICS_LABELS.namespace]: ns,
    [KUBE_STATE_METRICS_LABELS.hpa]: service.hpaName,
  };
  // cAdvisor also reports the pod's own cgroup (container="") and, with some runtimes, the pause container.
  const containers: LabelMatchers = { ...podObjects, container: { op: "!~", value: "|POD" } };

  const requests = METRICS.httpRequests;
  const userRate = `sum(rate(${selector(requests, user)}[${rate}]))`;
  const shareOf = (statusRegex: string) => {
    const failed = `sum(rate(${selector(requests, { ...user, [METRIC_LABELS.status]: { op: "=~", value: statusRegex } })}[${rate}]))`;
    // No series for a status class that never happened: count that as 0 %, not as no data.
    return `(${failed} or ${userRate} * 0) / ${userRate}`;
  };
  const quantile = (histogram: string, q: number, matchers: LabelMatchers) =>
    `histogram_quantile(${q}, sum by (le) (rate(${selector(`${histogram}_bucket`, matchers)}[${rate}])))`;
  const quantiles = (histogram: string, matchers: LabelMatchers) =>
    queries([0.5, 0.95, 0.99].map((q) => [quantile(histogram, q, matchers), `p${q * 100}`] as const));

  const timeSeries = (title: string, unit: string, description: string, targets: DataqueryBuilder[]) =>
    new TimeSeriesPanel()
      .id(ids.take())
      .title(title)
      .description(description)
      .datasource(PROMETHEUS_DATASOURCE)
      .unit(unit)
      .min(0)
      .fillOpacity(10)
      .legend(legend())
      .height(8)
      .span(12)
      .targets(targets);
  const stat = (title: string, unit: string, description: string, expr: string, legendFormat = "") =>
    new StatPanel()
      .id(ids.take())
      .title(title)
      .description(description)
      .datasource(PROMETHEUS_DATASOURCE)
      .unit(unit)
      .reduceOptions(new ReduceDataOptionsBuilder().calcs(["lastNotNull"]))
      .height(4)
      .span(4)
      .targets([query(expr, legendFormat, "A")]);

  const uptime = `time() - ${selector("process_start_time_seconds", target)}`;
  const p95 = quantile(METRICS.httpRequestDuration, 0.95, user);

  const builder = new DashboardBuilder(`infer8s / ${MODEL_NAME} inference`)
    .uid(INFERENCE_DASHBOARD_UID)
    .description(
      "Traffic, errors, latency, predictions, model, pods and autoscaling of the infer8s inference service. Generated by charts/monitoring/mixin/dashboards/inference-dashboard.ts; edit there, not in Grafana.",
    )
    .tags(["infer8s", "inference"])
    .readonly()
    .refresh("30s")
    .time({ from: "now-1h", to: "now" })
    .timezone("browser")
    .withVariable(
      new QueryVariableBuilder(DASHBOARD_VARIABLES.namespace)
        .label("Namespace")
        .datasource(PROMETHEUS_DATASOURCE)
        .query(`label_values(${selector("up", { job: jobName(service) })}, namespace)`)
        .current({ text: service.namespace, value: service.namespace })
        .refresh(VariableRefresh.OnTimeRangeChanged)
        .sort(VariableSort.AlphabeticalAsc),
    )
    .withVariable(
      new QueryVariableBuilder(DASHBOARD_VARIABLES.pod)
        .label("Pod")
        .datasource(PROMETHEUS_DATASOURCE)
        .query(`label_values(${selector("up", { job: jobName(service), namespace: ns })}, pod)`)
        .multi(true)
        .includeAll(true)
        .allValue(".*")
        .current({ text: "All", value: "$__all" })
        .refresh(VariableRefresh.OnTimeRangeChanged)
        .sort(VariableSort.AlphabeticalAsc),
    )
    .withRow(new RowBuilder("Overview").id(ids.take()))
    .withPanel(
      stat("Request rate", "reqps", "User requests per second (probes and scrapes excluded).", userRate),
    )
    .withPanel(stat("5xx errors", "percentunit", "Share of user requests answered 5xx.", shareOf("5..")))
    .withPanel(stat("p95 latency", "s", "95th percentile latency of user requests.", p95))
    .withPanel(
      stat(
        "Ready pods",
        "none",
        "Available replicas of the Deployment (kube-state-metrics).",
        selector(KUBE_STATE_METRICS.deploymentAvailableReplicas, deployment),
      ),
    )
    .withPanel(
      stat(
        "Scraped pods up",
        "none",
        "Inference pods Prometheus scrapes successfully.",
        `sum(${selector("up", target)})`,
      ),
    )
    .withPanel(
      stat("Uptime (youngest pod)", "s", "Time since the most recent process start.", `min(${uptime})`),
    )
    .withRow(new RowBuilder("Model").id(ids.take()))
    .withPanel(
      new TablePanel()
        .id(ids.take())
        .title("Model version and backend")
        .description("The model each pod serves and the TF.js backend it runs on (ml_model_info).")
        .datasource(PROMETHEUS_DATASOURCE)
        .height(6)
        .span(16)
        .targets([
          query(
            `max by (pod, ${METRIC_LABELS.model}, ${METRIC_LABELS.version}, ${METRIC_LABELS.backend}) (${selector(METRICS.modelInfo, target)})`,
            "",
            "A",
          )
            .instant()
            .format(PromQueryFormat.Table),
        ]),
    )
    .withPanel(
      stat(
        "Model accuracy",
        "percentunit",
        "Held-out test accuracy recorded when the model was trained.",
        `max by (${METRIC_LABELS.model}, ${METRIC_LABELS.version}) (${selector(METRICS.modelAccuracy, target)})`,
        `{{${METRIC_LABELS.version}}}`,
      )
        .height(6)
        .span(8),
    )
    .withRow(new RowBuilder("Traffic and errors").id(ids.take()))
    .withPanel(
      timeSeries("Request rate by route and status", "reqps", "All requests, probes and scrapes included.", [
        query(
          `sum by (${METRIC_LABELS.route}, ${METRIC_LABELS.status}) (rate(${selector(requests, target)}[${rate}]))`,
          `{{${METRIC_LABELS.route}}} {{${METRIC_LABELS.status}}}`,
          "A",
        ),
      ]),
    )
    .withPanel(
      timeSeries(
        "Error rate",
        "percentunit",
        "Share of user requests answered 5xx (server) and 4xx (client).",
        queries([
          [shareOf("5.."), "5xx"],
          [shareOf("4.."), "4xx"],
        ]),
      ).max(1),
    )
    .withPanel(
      timeSeries("Errors by type", "ops", "Errors counted by the server, by kind (ml_errors_total).", [
        query(
          `sum by (${METRIC_LABELS.errorType}) (rate(${selector(METRICS.errors, target)}[${rate}]))`,
          `{{${METRIC_LABELS.errorType}}}`,
          "A",
        ),
      ]),
    )
    .withPanel(
      timeSeries("In-flight requests", "none", "Requests being processed, per pod.", [
        query(`sum by (pod) (${selector(METRICS.inflightRequests, target)})`, "{{pod}}", "A"),
      ]),
    )
    .withRow(new RowBuilder("Latency").id(ids.take()))
    .withPanel(
      timeSeries(
        "Request latency",
        "s",
        "Quantiles of user request latency across all selected pods, from the histogram.",
        quantiles(METRICS.httpRequestDuration, user),
      ),
    )
    .withPanel(
      timeSeries(
        "Prediction latency",
        "s",
        "Quantiles of model inference time alone, without HTTP and validation.",
        quantiles(METRICS.predictionDuration, target),
      ),
    )
    .withPanel(
      timeSeries(
        "Rows per inference batch",
        "none",
        "How many rows each model call processed.",
        queries([
          [
            `sum(rate(${selector(`${METRICS.inferenceBatchRows}_sum`, target)}[${rate}])) / sum(rate(${selector(`${METRICS.inferenceBatchRows}_count`, target)}[${rate}]))`,
            "mean",
          ],
          [quantile(METRICS.inferenceBatchRows, 0.95, target), "p95"],
        ]),
      ),
    )
    .withPanel(
      timeSeries(
        "Event loop lag p99",
        "s",
        "Node.js event loop delay, per pod: high values delay every request.",
        [query(`max by (pod) (${selector("nodejs_eventloop_lag_p99_seconds", target)})`, "{{pod}}", "A")],
      ),
    )
    .withRow(new RowBuilder("Predictions").id(ids.take()))
    .withPanel(
      timeSeries("Predictions by class", "ops", "Predicted classes per second.", [
        query(
          `sum by (${METRIC_LABELS.class}) (rate(${selector(METRICS.predictions, target)}[${rate}]))`,
          `{{${METRIC_LABELS.class}}}`,
          "A",
        ),
      ]).span(16),
    )
    .withPanel(
      new PieChartPanel()
        .id(ids.take())
        .title("Predictions by class (time range)")
        .description("Share of each predicted class over the dashboard's time range.")
        .datasource(PROMETHEUS_DATASOURCE)
        .reduceOptions(new ReduceDataOptionsBuilder().calcs(["lastNotNull"]))
        .height(8)
        .span(8)
        .targets([
          query(
            `sum by (${METRIC_LABELS.class}) (increase(${selector(METRICS.predictions, target)}[${GRAFANA_RANGE}]))`,
            `{{${METRIC_LABELS.class}}}`,
            "A",
          ).instant(),
        ]),
    )
    .withRow(new RowBuilder("Pods and autoscaling").id(ids.take()))
    .withPanel(
      timeSeries(
        "Available and desired pods",
        "none",
        "Available replicas of the Deployment against its desired count (kube-state-metrics).",
        queries([
          [selector(KUBE_STATE_METRICS.deploymentAvailableReplicas, deployment), "available"],
          [selector(KUBE_STATE_METRICS.deploymentSpecReplicas, deployment), "desired"],
        ]),
      ),
    )
    .withPanel(
      timeSeries(
        "Autoscaler replicas",
        "none",
        "Current, desired, minimum and maximum replicas of the HorizontalPodAutoscaler (kube-state-metrics).",
        queries([
          [selector(KUBE_STATE_METRICS.hpaCurrentReplicas, hpa), "current"],
          [selector(KUBE_STATE_METRICS.hpaDesiredReplicas, hpa), "desired"],
          [selector(KUBE_STATE_METRICS.hpaMinReplicas, hpa), "min"],
          [selector(KUBE_STATE_METRICS.hpaMaxReplicas, hpa), "max"],
        ]),
      ),
    )
    .withPanel(
      timeSeries(
        "CPU per pod",
        "short",
        "Cores used per pod: by the containers (cAdvisor) and by the server process itself.",
        queries([
          [
            `sum by (pod) (rate(${selector(CADVISOR_METRICS.cpuSeconds, containers)}[${rate}]))`,
            "{{pod}} (containers)",
          ],
          [
            `sum by (pod) (rate(${selector("process_cpu_seconds_total", target)}[${rate}]))`,
            "{{pod}} (process)",
          ],
        ]),
      ),
    )
    .withPanel(
      timeSeries(
        "Memory per pod",
        "bytes",
        "Working set per pod (cAdvisor; what the OOM killer and the HPA see) and the server's resident memory.",
        queries([
          [
            `sum by (pod) (${selector(CADVISOR_METRICS.memoryWorkingSet, containers)})`,
            "{{pod}} (working set)",
          ],
          [`sum by (pod) (${selector("process_resident_memory_bytes", target)})`, "{{pod}} (process RSS)"],
        ]),
      ),
    )
    .withPanel(
      timeSeries(
        "Container restarts (last hour)",
        "none",
        "Restarts per pod over the preceding hour (kube-state-metrics).",
        [
          query(
            `sum by (pod) (increase(${selector(KUBE_STATE_METRICS.containerRestarts, podObjects)}[1h]))`,
            "{{pod}}",
            "A",
          ),
        ],
      ),
    )
    .withPanel(
      timeSeries("Uptime per pod", "s", "Time since each server process started.", [
        query(uptime, "{{pod}}", "A"),
      ]),
    );
  return builder.build();
}
