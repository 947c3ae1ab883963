/**
 * `promtool check config` on the Prometheus configuration the chart generates. Only two things are
 * swapped (see static-discovery.ts): Kubernetes discovery blocks become static targets, and the
 * ServiceAccount token/CA paths point at files that exist here. Everything else is checked for real,
 * including the rule file the configuration loads.
 */
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { jobName } from "../../charts/monitoring/monitored-service.js";
import { PROMETHEUS_FILES } from "../../charts/monitoring/prometheus-server.js";
import { renderPrometheusConfig, SCRAPE_JOBS } from "../../charts/monitoring/prometheus-config.js";
import { standaloneMonitoring, tempDir } from "./fixtures.js";
import { describeWithPrometheus, run } from "./prometheus-tools.js";
import {
  simulatedInferenceTarget,
  simulatedNodeTarget,
  withServiceAccountDir,
  withStaticDiscovery,
} from "./static-discovery.js";

const chart = standaloneMonitoring();
const prometheus = chart.prometheus;

describeWithPrometheus("generated Prometheus configuration under promtool", ["promtool"], ({ promtool }) => {
  let dir = "";
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  beforeAll(() => {
    dir = tempDir("promconfig");
    writeFileSync(join(dir, "token"), "not-a-real-token\n");
    writeFileSync(join(dir, "ca.crt"), "");
    writeFileSync(join(dir, PROMETHEUS_FILES.rules), prometheus.rulesText);
  });

  it("is rejected as generated, because Debian's build has no Kubernetes discovery", async () => {
    writeFileSync(join(dir, "as-generated.yml"), prometheus.configText);
    const result = await run(promtool, ["check", "config", "as-generated.yml"], dir);
    expect(result.code).not.toBe(0);
    expect(result.output).toContain("kubernetes_sd_configs");
  });

  it("passes with discovery replaced by static targets, rule file included", async () => {
    const checkable = withServiceAccountDir(
      withStaticDiscovery(prometheus.config, {
        [jobName(chart.monitored)]: [
          simulatedInferenceTarget(
            chart.monitored,
            "10.0.0.7:8080",
            `${chart.monitored.deploymentName}-6d4cf56db6-x2k4p`,
          ),
        ],
        [SCRAPE_JOBS.cadvisor]: [simulatedNodeTarget("node-1")],
      }),
      dir,
    );
    writeFileSync(join(dir, PROMETHEUS_FILES.config), renderPrometheusConfig(checkable));
    const result = await run(promtool, ["check", "config", PROMETHEUS_FILES.config], dir);
    expect(result.code, result.output).toBe(0);
    expect(result.output).toContain(
      `SUCCESS: ${PROMETHEUS_FILES.config} is valid prometheus config file syntax`,
    );
    expect(result.output).toMatch(/SUCCESS: \d+ rules found/);
  });

  it("fails when the swapped configuration is broken (the check can fail)", async () => {
    const broken = withStaticDiscovery(prometheus.config, {});
    const text = renderPrometheusConfig(broken).replace("action: keep", "action: kepp");
    writeFileSync(join(dir, "broken.yml"), text);
    const result = await run(promtool, ["check", "config", "broken.yml"], dir);
    expect(result.code).not.toBe(0);
  });
});
