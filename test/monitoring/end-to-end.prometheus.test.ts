/**
 * End to end against the real thing: the real inference server (`src/server/main.ts`, in api-key mode, scraped
 * on its separate metrics port) on loopback ports, a real
 * Prometheus running the generated scrape job and rules (discovery swapped for a static target carrying the
 * meta labels Kubernetes would set, so the generated relabelling runs unchanged), real traffic including
 * errors. Then every dashboard query and every rule expression goes through Prometheus' HTTP API: all must
 * parse and run, and those about the inference service must return data. Queries that need
 * kube-state-metrics or cAdvisor (absent here) are checked for parse/eval only, and listed.
 */
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, expect, it } from "vitest";
import { ENV, MODEL_NAME, PATHS } from "../../src/contract/index.js";
import { freePort } from "../../bench/process-tools.js";
import { jobName } from "../../charts/monitoring/monitored-service.js";
import { renderPrometheusConfig, type PrometheusConfig } from "../../charts/monitoring/prometheus-config.js";
import { PROMETHEUS_FILES } from "../../charts/monitoring/prometheus-server.js";
import { escapeRegex } from "../../charts/monitoring/promql.js";
import { serviceRequestRateQuery } from "../../charts/monitoring/request-rate.js";
import { InferenceScaledObject } from "../../charts/constructs/inference-scaled-object.js";
import { appFor, standaloneMonitoring, tempDir } from "./fixtures.js";
import { describeWithPrometheus, startWithOutput } from "./prometheus-tools.js";
import {
  dashboardQueries,
  dataSourceOf,
  expandGrafanaVariables,
  ruleQueries,
  variableQueries,
  type InventoriedQuery,
} from "./query-inventory.js";
import { SIMULATED_CONTAINER, simulatedInferenceTarget, withStaticDiscovery } from "./static-discovery.js";
import { killAndWait } from "../support/server-process.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
// In api-key mode, so that the separate metrics port and the auth series are proven too.
const chart = standaloneMonitoring({ auth: { mode: "api-key", secretName: "iris-inference-api-keys" } });
const API_KEY = "e2e-key-0123456789abcdef";
const service = chart.monitored;
const pod = `${service.deploymentName}-6d4cf56db6-e2e00`;
const job = jobName(service);
const variables = { namespace: service.namespace, pod: escapeRegex(pod), rateInterval: "15s", range: "5m" };
// The same deployment with request-rate autoscaling: KEDA's ScaledObject carries the query checked below.
const requestsMode = appFor({ autoscaling: { mode: "requests" } });
const requestsModeChart = standaloneMonitoring({ autoscaling: { mode: "requests" } });
const scaledObject = requestsMode.inference.autoscaler;
if (!(scaledObject instanceof InferenceScaledObject)) throw new Error("requests mode gave no ScaledObject");
/** Window of the request-rate checks: short enough to be full of traffic within the test's run. */
const RATE_CHECK_WINDOW_SECONDS = 10;

/** Prometheus' answer to an instant query. */
interface QueryAnswer {
  readonly status: "success" | "error";
  readonly error?: string;
  readonly data?: { readonly resultType: string; readonly result: { readonly value?: [number, string] }[] };
}

/** A child process of this test, run from the repository root. */
function start(command: string, args: readonly string[], env: NodeJS.ProcessEnv) {
  return startWithOutput(command, args, { cwd: ROOT, env });
}

async function waitFor(
  what: string,
  check: () => Promise<boolean>,
  timeoutMs: number,
  diagnostics: () => string,
) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await sleep(50);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}\n${diagnostics()}`);
}

describeWithPrometheus(
  "monitoring end to end against a real Prometheus",
  ["prometheus"],
  ({ prometheus }) => {
    let dir = "";
    let serverUrl = "";
    let prometheusUrl = "";
    let server: ReturnType<typeof start> | undefined;
    let prom: ReturnType<typeof start> | undefined;
    let traffic: NodeJS.Timeout | undefined;
    const sent = { ok: 0, clientErrors: 0 };
    /** When each user request (every one counts towards the request rate) was answered, ms since the epoch. */
    const answeredAt: number[] = [];
    /** When the test's traffic began, ms since the epoch. */
    let trafficSince = 0;

    const query = async (expr: string): Promise<QueryAnswer> => {
      const res = await fetch(`${prometheusUrl}/api/v1/query`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ query: expr }),
      });
      return (await res.json()) as QueryAnswer;
    };
    const hasFiniteSample = (answer: QueryAnswer) =>
      answer.status === "success" &&
      (answer.data?.result ?? []).some((s) => s.value !== undefined && Number.isFinite(Number(s.value[1])));

    /** One round of user traffic: every class, a batch, KServe V1, and four kinds of client error. */
    const sendTraffic = async () => {
      const post = (path: string, body: string, type = "application/json", key: string | null = API_KEY) =>
        fetch(`${serverUrl}${path}`, {
          method: "POST",
          headers: { "content-type": type, ...(key === null ? {} : { "x-api-key": key }) },
          body,
        });
      const responses = await Promise.all([
        post(PATHS.predict, JSON.stringify({ features: [5.1, 3.5, 1.4, 0.2] })),
        post(PATHS.predict, JSON.stringify({ features: [6.4, 3.2, 4.5, 1.5] })),
        post(PATHS.predict, JSON.stringify({ features: [6.3, 3.3, 6.0, 2.5] })),
        post(
          PATHS.predict,
          JSON.stringify({
            instances: [
              [5.0, 3.4, 1.5, 0.2],
              [6.7, 3.0, 5.2, 2.3],
            ],
          }),
        ),
        post(`/v1/models/${MODEL_NAME}:predict`, JSON.stringify({ instances: [[5.9, 3.0, 4.2, 1.5]] })),
        post(PATHS.predict, "{not json"),
        post(PATHS.predict, JSON.stringify({ features: [1, 2, 3] })),
        post(PATHS.predict, "features=1", "text/plain"),
        fetch(`${serverUrl}/no/such/path`, { headers: { "x-api-key": API_KEY } }),
        post(PATHS.predict, JSON.stringify({ features: [5.1, 3.5, 1.4, 0.2] }), "application/json", null),
      ]);
      for (const res of responses) {
        await res.arrayBuffer();
        answeredAt.push(Date.now());
        if (res.status < 300) sent.ok += 1;
        else if (res.status < 500) sent.clientErrors += 1;
      }
    };

    beforeAll(async () => {
      dir = tempDir("e2e");
      const [serverPort, metricsPort, prometheusPort] = [
        await freePort(),
        await freePort(),
        await freePort(),
      ];
      const keysDir = join(dir, "api-keys");
      mkdirSync(keysDir);
      writeFileSync(join(keysDir, "e2e"), API_KEY);
      serverUrl = `http://127.0.0.1:${serverPort}`;
      prometheusUrl = `http://127.0.0.1:${prometheusPort}`;

      server = start(process.execPath, ["--import", "tsx", "src/server/main.ts"], {
        PATH: process.env.PATH,
        [ENV.port]: String(serverPort),
        [ENV.host]: "127.0.0.1",
        [ENV.modelDir]: join(ROOT, "model"),
        [ENV.tfjsBackend]: "wasm",
        [ENV.logLevel]: "warn",
        [ENV["auth.mode"]]: "api-key",
        [ENV["auth.keysDir"]]: keysDir,
        [ENV.metricsPort]: String(metricsPort),
      });
      const serverOutput = server.output;

      // Prometheus starts while the server loads its model: its first scrapes may find the target down.
      // The generated job and rules; only discovery and the intervals differ from what the cluster runs.
      const generated = chart.prometheus.config;
      const inferenceJob = generated.scrape_configs.find((j) => j.job_name === job);
      if (!inferenceJob) throw new Error(`no scrape job named ${job}`);
      const e2eConfig: PrometheusConfig = withStaticDiscovery(
        {
          ...generated,
          global: { ...generated.global, scrape_interval: "500ms", evaluation_interval: "500ms" },
          scrape_configs: [inferenceJob],
        },
        {
          [job]: [
            simulatedInferenceTarget(service, `127.0.0.1:${metricsPort}`, pod),
            // What the relabelling must drop: another port of the Service, and another Service.
            simulatedInferenceTarget(service, `127.0.0.1:${metricsPort}`, pod, {
              __meta_kubernetes_endpointslice_port_name: "admin",
            }),
            simulatedInferenceTarget(service, `127.0.0.1:${metricsPort}`, pod, {
              __meta_kubernetes_service_name: `${service.serviceName}-canary`,
            }),
          ],
        },
      );
      writeFileSync(join(dir, PROMETHEUS_FILES.config), renderPrometheusConfig(e2eConfig));
      writeFileSync(join(dir, PROMETHEUS_FILES.rules), chart.prometheus.rulesText);
      prom = start(
        prometheus,
        [
          `--config.file=${join(dir, PROMETHEUS_FILES.config)}`,
          `--storage.tsdb.path=${join(dir, "data")}`,
          `--web.listen-address=127.0.0.1:${prometheusPort}`,
          "--log.level=warn",
        ],
        { PATH: process.env.PATH },
      );
      const promOutput = prom.output;
      await Promise.all([
        waitFor(
          "the inference server to be ready",
          async () => (await fetch(`${serverUrl}${PATHS.ready}`)).status === 200,
          30_000,
          serverOutput,
        ),
        waitFor(
          "Prometheus to be ready",
          async () => (await fetch(`${prometheusUrl}/-/ready`)).status === 200,
          20_000,
          promOutput,
        ),
      ]);

      trafficSince = Date.now();
      await sendTraffic();
      traffic = setInterval(() => void sendTraffic().catch(() => undefined), 250);
      // Enough scrapes for rate() over the test window, and the recording rules evaluated on them.
      const p95 = `histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket{job="${job}"}[15s])))`;
      await waitFor(
        "scraped traffic and recorded error ratios",
        async () =>
          hasFiniteSample(await query(p95)) &&
          hasFiniteSample(await query(`namespace_job:http_request_errors:ratio_rate5m{job="${job}"}`)) &&
          hasFiniteSample(await query(`sum(rate(ml_errors_total{job="${job}"}[15s]))`)),
        30_000,
        () => `${serverOutput()}\n${promOutput()}`,
      );
    }, 90_000);

    afterAll(async () => {
      if (traffic) clearInterval(traffic);
      await Promise.all([
        server && killAndWait(server.child),
        prom && killAndWait(prom.child, "SIGTERM"), // SIGKILL if it takes more than 5 s
      ]);
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it("keeps /metrics off the API port in api-key mode: 401 without a key, 404 with one", async () => {
      expect((await fetch(`${serverUrl}${PATHS.metrics}`)).status).toBe(401);
      const res = await fetch(`${serverUrl}${PATHS.metrics}`, { headers: { "x-api-key": API_KEY } });
      expect(res.status).toBe(404);
    });

    it("sends user traffic with client errors", () => {
      expect(sent.ok).toBeGreaterThan(0);
      expect(sent.clientErrors).toBeGreaterThan(0);
    });

    it("runs KEDA's trigger query: one finite, positive sample of the service's request rate", async () => {
      expect(scaledObject.query).toBe(serviceRequestRateQuery(service));
      const answer = await query(scaledObject.query);
      expect(answer.error ?? "", scaledObject.query).toBe("");
      expect(answer.data?.resultType).toBe("vector");
      expect(answer.data?.result).toHaveLength(1);
      expect(Number(answer.data?.result[0]?.value?.[1])).toBeGreaterThan(0);
    });

    it("gives KEDA the request rate the client sent (one pod, so the per-pod value AverageValue compares with the threshold)", async () => {
      // A window full of traffic, and scraped all along: the target was up at the last scrape before the
      // window and at every scrape in it (Prometheus starts while the server loads, so early scrapes fail).
      const up = `up{job="${job}"}`;
      await waitFor(
        `${RATE_CHECK_WINDOW_SECONDS} s of traffic, scraped all along`,
        async () =>
          Date.now() - trafficSince > (RATE_CHECK_WINDOW_SECONDS + 1) * 1000 &&
          hasFiniteSample(await query(`${up} offset ${RATE_CHECK_WINDOW_SECONDS}s == 1`)) &&
          hasFiniteSample(await query(`min_over_time(${up}[${RATE_CHECK_WINDOW_SECONDS}s]) == 1`)),
        (RATE_CHECK_WINDOW_SECONDS + 20) * 1000,
        () => "",
      );
      const windowed = serviceRequestRateQuery(service, `${RATE_CHECK_WINDOW_SECONDS}s`);
      const answer = await query(windowed);
      const measured = Number(answer.data?.result[0]?.value?.[1]);
      const since = Date.now() - RATE_CHECK_WINDOW_SECONDS * 1000;
      const sentRate = answeredAt.filter((t) => t > since).length / RATE_CHECK_WINDOW_SECONDS;
      console.info(
        `[monitoring e2e] KEDA trigger over ${RATE_CHECK_WINDOW_SECONDS}s: ${measured.toFixed(1)} req/s; client sent ${sentRate.toFixed(1)} req/s; threshold ${scaledObject.targetRequestsPerSecondPerPod} req/s per pod`,
      );
      expect(sentRate).toBeGreaterThan(10);
      // Prometheus lags the client by up to a scrape (1 s here) and extrapolates to the window's edges.
      expect(Math.abs(measured - sentRate) / sentRate).toBeLessThan(0.2);
      // The trigger counts user routes only: every request the server counted, probes included, is at least
      // that. (This server runs in api-key mode, so Prometheus scrapes the separate metrics port, whose
      // requests are not in http_requests_total at all.)
      const everything = await query(
        `sum(rate(http_requests_total{job="${job}",namespace="${service.namespace}"}[${RATE_CHECK_WINDOW_SECONDS}s]))`,
      );
      expect(Number(everything.data?.result[0]?.value?.[1])).toBeGreaterThanOrEqual(measured);
    });

    it("scrapes exactly the inference pod, labelled by the generated relabelling", async () => {
      const res = await fetch(`${prometheusUrl}/api/v1/targets`);
      const body = (await res.json()) as {
        data: {
          activeTargets: { labels: Record<string, string>; health: string }[];
          droppedTargets: unknown[];
        };
      };
      expect(body.data.activeTargets).toHaveLength(1);
      expect(body.data.activeTargets[0]?.labels).toEqual({
        job,
        instance: expect.stringMatching(/^127\.0\.0\.1:\d+$/),
        namespace: service.namespace,
        pod,
        service: service.serviceName,
        container: SIMULATED_CONTAINER,
      });
      expect(body.data.activeTargets[0]?.health).toBe("up");
      expect(body.data.droppedTargets).toHaveLength(2);
    });

    it("loads every generated rule group and evaluates every rule without error", async () => {
      const res = await fetch(`${prometheusUrl}/api/v1/rules`);
      const body = (await res.json()) as {
        data: { groups: { name: string; rules: { name: string; health: string; lastError?: string }[] }[] };
      };
      // The API lists groups by name.
      expect(body.data.groups.map((g) => g.name)).toEqual(chart.ruleGroups.map((g) => g.name).sort());
      const rules = body.data.groups.flatMap((g) => g.rules);
      expect(rules).toHaveLength(chart.ruleGroups.flatMap((g) => g.rules).length);
      for (const rule of rules)
        expect({ rule: rule.name, health: rule.health, error: rule.lastError ?? "" }).toEqual({
          rule: rule.name,
          health: "ok",
          error: "",
        });
    });

    it("raises no alert while the service is healthy (client errors are not failures)", async () => {
      const res = await fetch(`${prometheusUrl}/api/v1/alerts`);
      const body = (await res.json()) as {
        data: { alerts: { labels: { alertname: string }; state: string }[] };
      };
      expect(body.data.alerts.map((a) => `${a.labels.alertname} ${a.state}`)).toEqual([]);
    });

    it("offers the namespace, the pod and the routes in the dashboards' template variables", async () => {
      const checked: string[] = [];
      for (const d of chart.dashboards) {
        for (const v of variableQueries(d.fileName, d.dashboard)) {
          const selector = expandGrafanaVariables(v.expr, variables);
          const params = new URLSearchParams({ "match[]": selector });
          const res = await fetch(`${prometheusUrl}/api/v1/label/${v.label}/values?${params}`);
          const body = (await res.json()) as { status: string; data: string[] };
          expect(body.status, v.origin).toBe("success");
          const expected = { pod, route: PATHS.predict }[v.label] ?? service.namespace;
          expect(body.data, v.origin).toContain(expected);
          checked.push(v.label);
        }
      }
      // `route` is the Logs row's filter (monitoring.logs.enabled, on by default).
      expect(checked.sort()).toEqual(["namespace", "pod", "route"]);
    });

    const defaultQueries: InventoriedQuery[] = [
      ...chart.dashboards.flatMap((d) => dashboardQueries(d.fileName, d.dashboard)),
      ...ruleQueries(chart.mixin.recordingRules, chart.mixin.alerts),
    ];
    // What request-rate autoscaling changes: its panels, and the HPA panels and alert following KEDA's HPA.
    const requestsModeQueries = [
      ...requestsModeChart.dashboards.flatMap((d) => dashboardQueries(d.fileName, d.dashboard)),
      ...ruleQueries(requestsModeChart.mixin.recordingRules, requestsModeChart.mixin.alerts),
    ]
      .filter((q) => !defaultQueries.some((d) => d.expr === q.expr))
      .map((q) => ({ ...q, origin: `(autoscaling.mode requests) ${q.origin}` }));
    const inventory: InventoriedQuery[] = [...defaultQueries, ...requestsModeQueries];
    const needsData = (q: InventoriedQuery) => q.kind !== "alert" && dataSourceOf(q.expr) === "inference";

    it("lists the queries checked for parse/eval only: exactly those reading kube-state-metrics or cAdvisor", () => {
      const parseOnly = inventory.filter((q) => !needsData(q));
      console.info(
        [
          `[monitoring e2e] ${inventory.length - parseOnly.length} queries must return data; ${parseOnly.length} are parse/eval only:`,
          ...parseOnly.map(
            (q) =>
              `  - ${q.kind} ${q.origin} (${q.kind === "alert" ? "alert condition" : dataSourceOf(q.expr)})`,
          ),
        ].join("\n"),
      );
      for (const q of parseOnly.filter((p) => p.kind !== "alert"))
        expect(dataSourceOf(q.expr)).not.toBe("inference");
      expect(inventory.filter(needsData).length).toBeGreaterThan(parseOnly.length);
    });

    for (const q of inventory) {
      const mustReturnData = needsData(q);
      it(`${q.kind} ${q.origin} ${mustReturnData ? "returns data" : "parses and runs"}`, async () => {
        const answer = await query(expandGrafanaVariables(q.expr, variables));
        expect(answer.error ?? "", q.expr).toBe("");
        expect(answer.status).toBe("success");
        if (mustReturnData) expect(hasFiniteSample(answer), `no finite sample for ${q.expr}`).toBe(true);
      });
    }
  },
);
