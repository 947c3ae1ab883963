import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { appFor, prometheusInputsFor } from "../../test/monitoring/fixtures.js";
import { monitoredService } from "./monitored-service.js";
import {
  buildPrometheusConfig,
  CADVISOR_METRICS,
  inferenceScrapeJob,
  KUBERNETES_META_LABELS,
  renderPrometheusConfig,
  SCRAPE_JOBS,
  SERVICE_ACCOUNT_DIR,
  type PrometheusConfigInput,
} from "./prometheus-config.js";

const { inference: service, kubeStateMetricsAddress } = prometheusInputsFor();
const input: PrometheusConfigInput = {
  inference: service,
  kubeStateMetricsAddress,
  selfAddress: "localhost:9090",
  cadvisorNamespaces: [service.namespace, "monitoring"],
  scrapeInterval: "15s",
  evaluationInterval: "15s",
  ruleFiles: ["alert-rules.yml"],
};
const config = buildPrometheusConfig(input);

describe("the inference scrape job", () => {
  it("is derived from the InferenceService: job = Service name, its namespace, port name and metrics path", () => {
    const { inference } = appFor({ namespace: "ml-prod" });
    const job = inferenceScrapeJob(monitoredService(inference.service, inference.autoscaler));
    expect(job.job_name).toBe(inference.service.serviceName);
    expect(job.metrics_path).toBe(inference.service.metricsPath);
    expect(job.kubernetes_sd_configs).toEqual([
      { role: "endpointslice", namespaces: { names: ["ml-prod"] } },
    ]);
    expect(job.relabel_configs?.slice(0, 2)).toEqual([
      {
        action: "keep",
        source_labels: [KUBERNETES_META_LABELS.serviceName],
        regex: inference.service.serviceName,
      },
      {
        action: "keep",
        source_labels: [KUBERNETES_META_LABELS.endpointSlicePortName],
        regex: inference.service.portName,
      },
    ]);
  });

  it("labels targets with namespace, pod, service and container, as a ServiceMonitor would", () => {
    const targets = (inferenceScrapeJob(service).relabel_configs ?? [])
      .filter((r) => r.action === "replace")
      .map((r) => [r.source_labels?.[0], r.target_label]);
    expect(targets).toEqual([
      [KUBERNETES_META_LABELS.namespace, "namespace"],
      [KUBERNETES_META_LABELS.podName, "pod"],
      [KUBERNETES_META_LABELS.serviceName, "service"],
      [KUBERNETES_META_LABELS.podContainerName, "container"],
    ]);
  });
});

describe("the Prometheus configuration", () => {
  it("scrapes Prometheus, the inference pods, kube-state-metrics and cAdvisor", () => {
    expect(config.scrape_configs.map((j) => j.job_name)).toEqual([
      SCRAPE_JOBS.prometheus,
      service.serviceName,
      SCRAPE_JOBS.kubeStateMetrics,
      SCRAPE_JOBS.cadvisor,
    ]);
  });

  it("keeps kube-state-metrics' own namespace and pod labels", () => {
    const ksm = config.scrape_configs.find((j) => j.job_name === SCRAPE_JOBS.kubeStateMetrics);
    expect(ksm).toEqual({
      job_name: SCRAPE_JOBS.kubeStateMetrics,
      honor_labels: true,
      static_configs: [{ targets: [input.kubeStateMetricsAddress] }],
    });
  });

  it("reads cAdvisor through the API server with the pod's token and keeps only the two series it needs", () => {
    const cadvisor = config.scrape_configs.find((j) => j.job_name === SCRAPE_JOBS.cadvisor);
    expect(cadvisor?.scheme).toBe("https");
    expect(cadvisor?.authorization).toEqual({ credentials_file: `${SERVICE_ACCOUNT_DIR}/token` });
    expect(cadvisor?.tls_config).toEqual({ ca_file: `${SERVICE_ACCOUNT_DIR}/ca.crt` });
    expect(cadvisor?.relabel_configs?.map((r) => r.replacement)).toContain(
      "/api/v1/nodes/$1/proxy/metrics/cadvisor",
    );
    expect(cadvisor?.metric_relabel_configs).toEqual([
      { action: "keep", source_labels: ["__name__"], regex: Object.values(CADVISOR_METRICS).join("|") },
      { action: "keep", source_labels: ["namespace"], regex: `${service.namespace}|monitoring` },
    ]);
  });

  it("renders to YAML that reads back to the same configuration, byte-identical across runs", () => {
    const text = renderPrometheusConfig(config);
    expect(renderPrometheusConfig(buildPrometheusConfig(input))).toBe(text);
    expect(parse(text)).toEqual(JSON.parse(JSON.stringify(config)));
  });
});
