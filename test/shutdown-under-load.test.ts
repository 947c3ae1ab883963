/**
 * A rolling update under traffic, as the chart configures it: the real process runs with the Deployment's
 * environment from dist/ (its drain capped at 2 s), keep-alive clients send steady load, SIGTERM arrives, readiness flips, clients
 * stop sending a moment later (as Kubernetes takes the pod out of its endpoints), and the process exits.
 * No request may fail, and the exit must come well inside the pod's terminationGracePeriodSeconds.
 */
import { Agent } from "node:http";
import { afterAll, describe, expect, it } from "vitest";
import { ENV, PATHS } from "../src/contract/index.js";
import { FLOWERS } from "./server-fixtures.js";
import { loadManifestDir } from "./support/k8s-checks.js";
import {
  getFresh,
  httpRequest,
  killStartedServers,
  startReady,
  waitUntil,
} from "./support/server-process.js";

afterAll(killStartedServers);

interface PodSpec {
  terminationGracePeriodSeconds: number;
  containers: { name: string; env?: { name: string; value?: string }[] }[];
}

/** The inference Deployment's pod spec, as committed in dist/. */
function deployedPodSpec(): PodSpec {
  const deployment = loadManifestDir("dist")
    .map((l) => l.object)
    .find((o) => o.kind === "Deployment" && o.metadata.name === "iris-inference");
  if (!deployment) throw new Error("dist/ has no Deployment iris-inference");
  return (deployment.spec as { template: { spec: PodSpec } }).template.spec;
}

/** Where the chart's values do not apply on this machine: the port, the address, the model path, the backend. */
const LOCAL_OVERRIDES = new Set<string>([ENV.port, ENV.host, ENV.modelDir, ENV.tfjsBackend]);

interface Outcome {
  /** performance.now() when the request was sent. */
  readonly sentAt: number;
  readonly status: number;
  readonly error?: string;
}

const SPECIES = Object.keys(FLOWERS).filter((name) => name !== "borderline") as (keyof typeof FLOWERS)[];

async function predict(port: number, agent: Agent, species: keyof typeof FLOWERS): Promise<Outcome> {
  const sentAt = performance.now();
  const body = JSON.stringify({ features: FLOWERS[species] });
  try {
    const answer = await httpRequest(port, { method: "POST", path: PATHS.predict, body, agent });
    const right = answer.status === 200 && (JSON.parse(answer.body) as { class?: string }).class === species;
    return { sentAt, status: answer.status, ...(right ? {} : { error: answer.body.slice(0, 200) }) };
  } catch (error) {
    return { sentAt, status: 0, error: (error as Error).message };
  }
}

describe("SIGTERM under steady load", () => {
  it("fails no request accepted before or during the drain and exits 0 inside terminationGracePeriodSeconds", async () => {
    const pod = deployedPodSpec();
    const chartEnv = Object.fromEntries(
      (pod.containers[0]?.env ?? [])
        .filter((e) => e.value !== undefined && !LOCAL_OVERRIDES.has(e.name))
        .map((e) => [e.name, e.value as string]),
    );
    const chartDrainMs = Number(chartEnv[ENV.drainSeconds]) * 1000;
    const graceMs = pod.terminationGracePeriodSeconds * 1000;
    expect(chartDrainMs).toBeGreaterThan(0);
    expect(graceMs).toBeGreaterThan(chartDrainMs);
    // A drain longer than 2 s only makes the test wait: the sequence (readiness flips, clients stop a
    // second later, the process exits after the drain) is the same. The chart's own tests hold
    // terminationGracePeriodSeconds to drain + in-flight timeout + margin.
    const drainMs = Math.min(chartDrainMs, 2_000);

    const server = await startReady({ ...chartEnv, [ENV.drainSeconds]: String(drainMs / 1000) });
    const { port } = server;
    const agent = new Agent({ keepAlive: true, maxSockets: 8 });
    const outcomes: Outcome[] = [];
    let stopSendingAt = Number.POSITIVE_INFINITY;
    const maxRequests = 50_000; // a bound, whatever happens to the clock
    const clients = Array.from({ length: 8 }, async (_, client) => {
      for (let i = 0; performance.now() < stopSendingAt && outcomes.length < maxRequests; i++) {
        outcomes.push(
          await predict(port, agent, SPECIES[(client + i) % SPECIES.length] as keyof typeof FLOWERS),
        );
        await new Promise((resolve) => setTimeout(resolve, 10)); // steady, not saturating: CI has 2 cores
      }
    });

    // Readiness as the kubelet sees it; the moment it flips, endpoints start dropping the pod.
    let flippedAt = Number.POSITIVE_INFINITY;
    const watcher = (async () => {
      const ready = () =>
        getFresh(port, PATHS.ready).then(
          (r) => r.status === 200,
          () => false,
        );
      while (await ready()) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      flippedAt = performance.now();
    })();

    // Steady load before the signal: enough answered requests for the check on them below.
    const beforeSignal = 100;
    await waitUntil(`${beforeSignal} answered requests`, () => outcomes.length >= beforeSignal, 30_000);
    const sigtermAt = performance.now();
    server.child.kill("SIGTERM");
    await watcher;
    // Endpoint removal takes a moment to reach every client; the drain period exists to cover it.
    stopSendingAt = flippedAt + Math.min(1000, drainMs / 2);
    await Promise.all(clients);
    agent.destroy();

    const code = await server.exited;
    const exitedAfterMs = performance.now() - sigtermAt;

    const beforeFlip = outcomes.filter((o) => o.sentAt < flippedAt);
    const duringDrain = outcomes.filter((o) => o.sentAt >= flippedAt);
    expect(beforeFlip.length).toBeGreaterThan(50);
    expect(duringDrain.length).toBeGreaterThan(0);
    expect(outcomes.filter((o) => o.error !== undefined)).toEqual([]);

    expect(code).toBe(0);
    expect(exitedAfterMs).toBeGreaterThanOrEqual(drainMs);
    expect(exitedAfterMs).toBeLessThan(graceMs);
    expect(server.logs.map((l) => l.msg)).toContain("shutdown complete");
  }, 60_000);
});
