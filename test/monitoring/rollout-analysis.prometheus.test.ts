/**
 * The canary analysis against the real thing: three real inference servers stand in for the pods of a
 * Rollout (the stable version, a healthy canary and a failing one, each with its own
 * `rollouts-pod-template-hash`), a real Prometheus scrapes them with the generated scrape job (discovery
 * swapped for static targets carrying the meta labels Kubernetes would set, the relabelling unchanged), and
 * the generated AnalysisTemplate's queries, with the hashes Argo Rollouts would fill in, go through
 * Prometheus' HTTP API and are judged by the template's own success and failure conditions.
 *
 * The failing canary answers 503 to most requests (a tiny inference queue under bursts, as an overloaded or
 * broken release would) and only ever sees one kind of flower, so its predicted-class shares drift from
 * the stable version's; the healthy canary gets the same traffic as the stable version.
 */
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, expect, it } from "vitest";
import { ENV, PATHS } from "../../src/contract/index.js";
import { freePort } from "../../bench/process-tools.js";
import { jobName } from "../../charts/monitoring/monitored-service.js";
import { renderPrometheusConfig } from "../../charts/monitoring/prometheus-config.js";
import { PROMETHEUS_FILES } from "../../charts/monitoring/prometheus-server.js";
import {
  ANALYSIS_ARGS,
  POD_TEMPLATE_HASH_SERIES_LABEL,
  ROLLOUT_ROLE_SERIES_LABEL,
} from "../../charts/constructs/argo-rollouts-names.js";
import { withArgs } from "../../charts/monitoring/rollout-analysis.js";
import { FLOWERS } from "../server-fixtures.js";
import { synthObjects } from "../support/k8s-checks.js";
import {
  killAndWait,
  killStartedServers,
  startReady,
  type RunningServer,
} from "../support/server-process.js";
import { appFor, tempDir } from "./fixtures.js";
import { dashboardQueries, expandGrafanaVariables } from "./query-inventory.js";
import { describeWithPrometheus, startWithOutput } from "./prometheus-tools.js";
import { simulatedInferenceTarget, withStaticDiscovery } from "./static-discovery.js";

// The generated objects, with the rate window shortened to what a 1-second scrape fills in a test.
const { inference, monitoring } = appFor({ rollout: { strategy: "canary", analysis: { window: "15s" } } });
if (!monitoring || !("prometheus" in monitoring)) throw new Error("expected the standalone monitoring chart");
// Blue-green scrapes the active and the preview Service; after the switch both front the same pods.
const blueGreen = appFor({ rollout: { strategy: "blueGreen" } }).monitoring;
if (!blueGreen || !("prometheus" in blueGreen)) throw new Error("expected the standalone monitoring chart");
const BLUE_GREEN_JOB = "blue-green";
const service = monitoring.monitored;
const job = jobName(service);
const template = synthObjects(inference).find((o) => o.kind === "AnalysisTemplate") as unknown as {
  spec: {
    metrics: {
      name: string;
      successCondition: string;
      failureCondition: string;
      provider: { prometheus: { query: string } };
    }[];
  };
};
const limits = Object.fromEntries(
  template.spec.metrics.map((m) => [m.name, m.successCondition.match(/<= ([0-9.]+)$/)?.[1]]),
);

const HASHES = { stable: "5d8f7c6b9a", good: "6c9b8a7d5e", bad: "7e6d5c4b3a", absent: "8f7e6d5c4b" } as const;
/** The `rollout-role` label the Rollout's ephemeral metadata gives each pod set. */
const ROLES = { stable: "stable", good: "canary", bad: "canary" } as const;
type PodSet = Exclude<keyof typeof HASHES, "absent">;

/**
 * What Argo Rollouts concludes from a measurement, for the two condition shapes the template uses
 * (`len(result) > 0 && result[0] <= X` and `... > X`); any other shape fails the test instead of guessing.
 */
function verdict(metric: (typeof template.spec.metrics)[number], result: number[]) {
  const limitOf = (condition: string, op: string) => {
    const match = condition.match(new RegExp(`^len\\(result\\) > 0 && result\\[0\\] ${op} ([0-9.]+)$`));
    if (!match) throw new Error(`unexpected condition shape: ${condition}`);
    return Number(match[1]);
  };
  const passLimit = limitOf(metric.successCondition, "<=");
  const failLimit = limitOf(metric.failureCondition, ">");
  const value = result[0];
  if (value !== undefined && value <= passLimit) return "Successful";
  if (value !== undefined && value > failLimit) return "Failed";
  return "Inconclusive";
}

describeWithPrometheus(
  "the canary analysis's queries against a real Prometheus and real servers",
  ["prometheus"],
  ({ prometheus }) => {
    let dir = "";
    let prometheusUrl = "";
    let prom: ReturnType<typeof startWithOutput> | undefined;
    let traffic: NodeJS.Timeout | undefined;
    const servers = {} as Record<PodSet, RunningServer>;
    const answered = { stable: new Map<number, number>(), good: new Map(), bad: new Map() } as Record<
      PodSet,
      Map<number, number>
    >;

    const instantQuery = async (expr: string) => {
      const res = await fetch(`${prometheusUrl}/api/v1/query`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ query: expr }),
      });
      const body = (await res.json()) as {
        status: string;
        error?: string;
        data?: { result: { value: [number, string] }[] };
      };
      if (body.status !== "success") throw new Error(`${body.error ?? "query failed"}: ${expr}`);
      return (body.data?.result ?? []).map((s) => Number(s.value[1]));
    };
    /** The metric's query as Argo Rollouts would send it for the canary `newSet` against stable. */
    const measure = (name: string, newSet: keyof typeof HASHES) => {
      const metric = template.spec.metrics.find((m) => m.name === name);
      if (!metric) throw new Error(`no metric ${name}`);
      const query = withArgs(metric.provider.prometheus.query, {
        [ANALYSIS_ARGS.newHash]: HASHES[newSet],
        [ANALYSIS_ARGS.oldHash]: HASHES.stable,
      });
      return instantQuery(query).then((result) => ({ result, verdict: verdict(metric, result) }));
    };

    const predict = async (set: PodSet, features: readonly number[]) => {
      const res = await fetch(`http://127.0.0.1:${servers[set].port}${PATHS.predict}`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ features }),
      });
      await res.arrayBuffer();
      answered[set].set(res.status, (answered[set].get(res.status) ?? 0) + 1);
    };
    const mixture = [FLOWERS.setosa, FLOWERS.versicolor, FLOWERS.virginica];
    const sendTraffic = async () => {
      await Promise.all([
        ...mixture.map((f) => predict("stable", f)),
        ...mixture.map((f) => predict("good", f)),
        // A burst at once: far more rows than the failing canary's queue holds.
        ...Array.from({ length: 24 }, () => predict("bad", FLOWERS.setosa)),
      ]);
    };

    beforeAll(async () => {
      dir = tempDir("rollout-analysis");
      prometheusUrl = `http://127.0.0.1:${await freePort()}`;
      [servers.stable, servers.good, servers.bad] = await Promise.all([
        startReady(),
        startReady(),
        startReady({
          [ENV["batching.queueRows"]]: "4",
          [ENV["batching.maxDelayMs"]]: "100",
        }),
      ]);
      const generated = monitoring.prometheus.config;
      const inferenceJob = generated.scrape_configs.find((j) => j.job_name === job);
      if (!inferenceJob) throw new Error(`no scrape job named ${job}`);
      const target = (set: PodSet) =>
        simulatedInferenceTarget(
          service,
          `127.0.0.1:${servers[set].port}`,
          `${service.deploymentName}-${HASHES[set]}-e2e0${set.length}`,
          {
            __meta_kubernetes_pod_label_rollouts_pod_template_hash: HASHES[set],
            __meta_kubernetes_pod_label_rollout_role: ROLES[set],
          },
        );
      const blueGreenJob = blueGreen.prometheus.config.scrape_configs.find((j) => j.job_name === job);
      if (!blueGreenJob) throw new Error(`no blue-green scrape job named ${job}`);
      const promoted = target("good");
      const config = withStaticDiscovery(
        {
          global: { ...generated.global, scrape_interval: "1s", evaluation_interval: "1s" },
          // The blue-green job under another name: one Prometheus runs both.
          scrape_configs: [inferenceJob, { ...blueGreenJob, job_name: BLUE_GREEN_JOB }],
        },
        {
          [job]: [target("stable"), target("good"), target("bad")],
          [BLUE_GREEN_JOB]: [
            promoted,
            {
              ...promoted,
              metaLabels: {
                ...promoted.metaLabels,
                __meta_kubernetes_service_name: `${service.serviceName}-preview`,
              },
            },
          ],
        },
      );
      writeFileSync(join(dir, PROMETHEUS_FILES.config), renderPrometheusConfig(config));
      prom = startWithOutput(prometheus, [
        `--config.file=${join(dir, PROMETHEUS_FILES.config)}`,
        `--storage.tsdb.path=${join(dir, "data")}`,
        `--web.listen-address=${prometheusUrl.slice("http://".length)}`,
        "--log.level=warn",
      ]);
      const deadline = Date.now() + 60_000;
      await sendTraffic();
      traffic = setInterval(() => void sendTraffic().catch(() => undefined), 250);
      // Until every pod set's rates and class shares are measurable.
      for (;;) {
        const ready = await Promise.all(
          (["good", "bad"] as const).flatMap((set) =>
            ["error-ratio", "p95-latency", "class-share-difference"].map((name) =>
              measure(name, set)
                .then((m) => m.result.length > 0 && Number.isFinite(m.result[0]))
                .catch(() => false),
            ),
          ),
        );
        if (ready.every(Boolean)) break;
        if (Date.now() > deadline) throw new Error(`no analysis data within 60 s\n${prom.output()}`);
        await sleep(500);
      }
      // A few more seconds of traffic, so the 15 s windows hold more than the first burst.
      await sleep(4_000);
    }, 120_000);

    afterAll(async () => {
      if (traffic) clearInterval(traffic);
      await Promise.all([killStartedServers(), prom && killAndWait(prom.child, "SIGTERM")]);
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it("drives a failing canary into 503s and keeps the healthy pods error-free", () => {
      expect(answered.bad.get(503) ?? 0).toBeGreaterThan(answered.bad.get(200) ?? 0);
      expect([...answered.good.keys()]).toEqual([200]);
      expect([...answered.stable.keys()]).toEqual([200]);
    });

    it("labels every series with the pod's rollouts-pod-template-hash and rollout-role through the generated relabelling", async () => {
      const hashes = await fetch(
        `${prometheusUrl}/api/v1/label/${POD_TEMPLATE_HASH_SERIES_LABEL}/values?${new URLSearchParams({ "match[]": `up{job="${job}"}` })}`,
      ).then((r) => r.json() as Promise<{ data: string[] }>);
      expect(hashes.data.sort()).toEqual([HASHES.stable, HASHES.good, HASHES.bad].sort());
      const roles = await fetch(
        `${prometheusUrl}/api/v1/label/${ROLLOUT_ROLE_SERIES_LABEL}/values?${new URLSearchParams({ "match[]": `up{job="${job}"}` })}`,
      ).then((r) => r.json() as Promise<{ data: string[] }>);
      expect(roles.data.sort()).toEqual(["canary", "stable"]);
    });

    it("blue-green: a pod behind both the active and the preview Service is scraped once", async () => {
      const res = await fetch(`${prometheusUrl}/api/v1/targets?state=active`);
      const body = (await res.json()) as { data: { activeTargets: { labels: Record<string, string> }[] } };
      const targets = body.data.activeTargets.filter((t) => t.labels.job === BLUE_GREEN_JOB);
      expect(targets.map((t) => t.labels)).toEqual([
        expect.objectContaining({
          service: service.serviceName,
          [POD_TEMPLATE_HASH_SERIES_LABEL]: HASHES.good,
        }),
      ]);
    });

    it(`passes the healthy canary: 5xx ratio 0, p95 within ${limits["p95-latency"]} s, class shares as stable's`, async () => {
      const errors = await measure("error-ratio", "good");
      expect(errors).toEqual({ result: [0], verdict: "Successful" });
      expect((await measure("p95-latency", "good")).verdict).toBe("Successful");
      const drift = await measure("class-share-difference", "good");
      const p95 = await measure("p95-latency", "good");
      console.info(
        `[rollout analysis] healthy canary: p95 ${p95.result[0]?.toFixed(4)} s, class-share difference ${drift.result[0]?.toFixed(3)}`,
      );
      expect(drift.verdict, `class-share difference ${drift.result[0]}`).toBe("Successful");
    });

    it(`fails the broken canary: its 5xx ratio is returned and exceeds ${limits["error-ratio"]}`, async () => {
      const errors = await measure("error-ratio", "bad");
      console.info(`[rollout analysis] failing canary: 5xx ratio ${errors.result[0]?.toFixed(3)}`);
      expect(errors.result).toHaveLength(1);
      expect(errors.result[0]).toBeGreaterThan(Number(limits["error-ratio"]));
      expect(errors.result[0]).toBeLessThanOrEqual(1);
      expect(errors.verdict).toBe("Failed");
    });

    it(`fails the canary whose predicted classes drift from stable's by more than ${limits["class-share-difference"]}`, async () => {
      const drift = await measure("class-share-difference", "bad");
      // All setosa against a third each: the largest class-share difference is 2/3.
      expect(drift.result[0]).toBeCloseTo(2 / 3, 1);
      expect(drift.verdict).toBe("Failed");
    });

    it("the dashboard's progressive-delivery panels show each rollout role as its own series", async () => {
      const panels = monitoring.dashboards
        .flatMap((d) => dashboardQueries(d.fileName, d.dashboard))
        .filter((q) => q.origin.includes("by rollout role"));
      expect(panels.map((q) => q.origin.split(" / ")[1])).toEqual([
        "Request rate by rollout role",
        "5xx ratio by rollout role",
        "p95 latency by rollout role",
        "Predicted class share by rollout role",
      ]);
      const values = { namespace: service.namespace, pod: ".*", rateInterval: "15s", range: "5m" };
      const seriesOf = async (expr: string) => {
        const res = await fetch(`${prometheusUrl}/api/v1/query`, {
          method: "POST",
          headers: { "content-type": "application/x-www-form-urlencoded" },
          body: new URLSearchParams({ query: expandGrafanaVariables(expr, values) }),
        });
        const body = (await res.json()) as {
          status: string;
          data: { result: { metric: Record<string, string>; value: [number, string] }[] };
        };
        expect(body.status, expr).toBe("success");
        return body.data.result;
      };
      const [requests, errors, latency, classes] = await Promise.all(panels.map((q) => seriesOf(q.expr)));
      const roles = (series: { metric: Record<string, string> }[] = []) =>
        [...new Set(series.map((s) => s.metric[ROLLOUT_ROLE_SERIES_LABEL]))].sort();
      for (const series of [requests, errors, latency, classes])
        expect(roles(series)).toEqual(["canary", "stable"]);
      // Both canaries (one failing) share the role: their 5xx ratio together is far above stable's 0.
      const ratio = (role: string) =>
        Number(errors?.find((s) => s.metric[ROLLOUT_ROLE_SERIES_LABEL] === role)?.value[1]);
      expect(ratio("stable")).toBe(0);
      expect(ratio("canary")).toBeGreaterThan(0.1);
    });

    it("is inconclusive (the rollout pauses) while the canary has no traffic, instead of passing", async () => {
      for (const name of ["error-ratio", "p95-latency", "class-share-difference"])
        expect(await measure(name, "absent"), name).toEqual({ result: [], verdict: "Inconclusive" });
    });
  },
);
