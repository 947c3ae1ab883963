import { App, YamlOutputType } from "cdk8s";
import { meshPrincipal } from "./constructs/istio-ambient.js";
import { InferenceChart } from "./inference-chart.js";
import { MonitoringChart } from "./monitoring-chart.js";
import { NamespacesChart } from "./namespaces-chart.js";
import { OperatorMonitoringChart } from "./operator-monitoring-chart.js";
import type { Settings } from "./settings.js";

/** The charts of one synthesized deployment, for tests and for charts that build on them. */
export interface Infer8sApp {
  readonly app: App;
  readonly namespaces: NamespacesChart;
  readonly inference: InferenceChart;
  /** Our own Prometheus/Grafana stack, or objects for an existing kube-prometheus-stack; none when disabled. */
  readonly monitoring: MonitoringChart | OperatorMonitoringChart | undefined;
}

/**
 * Builds the cdk8s App for `settings`. Charts depend on the namespaces chart, so cdk8s numbers the files
 * in apply order (`0000-namespaces.k8s.yaml`, `0001-inference.k8s.yaml`, ...).
 */
export function buildApp(settings: Settings, outdir: string): Infer8sApp {
  // No construct metadata file and no per-object addresses: dist/ holds only what kubectl applies.
  const app = new App({
    outdir,
    yamlOutputType: YamlOutputType.FILE_PER_CHART,
    recordConstructMetadata: false,
  });
  const namespaces = new NamespacesChart(app, "namespaces", settings);
  const inference = new InferenceChart(app, "inference", settings);
  inference.addDependency(namespaces);
  const { enabled, mode } = settings.monitoring;
  const standalone =
    enabled && mode === "standalone"
      ? new MonitoringChart(app, "monitoring", settings, inference)
      : undefined;
  const monitoring =
    enabled && mode !== "standalone"
      ? new OperatorMonitoringChart(app, "monitoring", settings, inference)
      : standalone;
  monitoring?.addDependency(namespaces, inference);
  if (standalone && inference.authorization) {
    const { authorization } = inference;
    const { prometheus } = standalone;
    // The metrics policy names Prometheus by its ServiceAccount: the synth fails if the two drift apart.
    authorization.node.addValidation({
      validate: () => {
        const runsAs = meshPrincipal(settings.mesh.trustDomain, prometheus.namespace, prometheus.name);
        return authorization.prometheusPrincipal === runsAs
          ? []
          : [
              `AuthorizationPolicy admits ${String(authorization.prometheusPrincipal)} to the metrics port, but Prometheus runs as ${runsAs}`,
            ];
      },
    });
  }
  return { app, namespaces, inference, monitoring };
}
