import { Testing, type Chart } from "cdk8s";
import { InferenceService } from "../../charts/constructs/inference-service.js";
import { DEFAULT_SETTINGS } from "../../charts/settings.js";

/** A chart holding an InferenceService with fixed props, for the companion constructs' tests. */
export function chartWithService(): { chart: Chart; service: InferenceService } {
  const chart = Testing.chart();
  const service = new InferenceService(chart, "inference", {
    namespace: "ml",
    imageRepository: "infer8s",
    imageTag: "1.2.3",
    requests: { cpu: "100m", memory: "128Mi" },
    limits: { cpu: "1", memory: "256Mi" },
    server: {
      logLevel: "info",
      tfjsBackend: "auto",
      bodyLimitBytes: 4096,
      maxRowsPerRequest: 8,
      drainSeconds: 1,
      inflightTimeoutSeconds: 1,
      batching: { enabled: true, maxRowsPerCall: 16, maxDelayMs: 0, queueRows: 64 },
      http: {
        keepAliveTimeoutSeconds: 65,
        headersTimeoutSeconds: 10,
        requestTimeoutSeconds: 30,
        maxConnectionAgeSeconds: 15,
        maxRequestsPerSocket: 1000,
      },
    },
    probes: DEFAULT_SETTINGS.probes,
    terminationGracePeriodSeconds: 5,
  });
  return { chart, service };
}
