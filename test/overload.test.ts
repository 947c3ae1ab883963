/**
 * Load shedding end to end: the real process with a tiny inference queue (BATCH_QUEUE_ROWS) and a batching
 * window long enough that a burst of concurrent requests overfills it. Requests beyond the queue get 503
 * with Retry-After and a JSON reason on every inference endpoint, the accepted ones get their predictions,
 * readiness stays 200 (overload must not take the pod out of service), the metrics count what the clients
 * saw, and traffic within capacity is served again at once.
 */
import type { IncomingHttpHeaders } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ENV, ERROR_TYPES, METRICS, PATHS } from "../src/contract/index.js";
import { FLOWERS, parseExposition, sampleValue } from "./server-fixtures.js";
import {
  type RunningServer,
  getFresh,
  httpRequest,
  killStartedServers,
  waitUntil,
  startReady,
} from "./support/server-process.js";

const QUEUE_ROWS = 8;
const BURST = 64;

interface Answer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Record<string, unknown>;
}

async function post(port: number, path: string, payload: unknown): Promise<Answer> {
  const answer = await httpRequest(port, { method: "POST", path, body: JSON.stringify(payload) });
  return { ...answer, body: JSON.parse(answer.body) as Record<string, unknown> };
}

/** One request per inference endpoint, each with what a correct answer holds. */
const CALLS = [
  {
    path: PATHS.predict,
    payload: { features: FLOWERS.setosa },
    answered: (body: Record<string, unknown>) => body.class === "setosa",
  },
  {
    path: "/v1/models/iris:predict",
    payload: { instances: [FLOWERS.virginica] },
    answered: (body: Record<string, unknown>) => JSON.stringify(body.predictions) === "[2]",
  },
  {
    path: "/v2/models/iris/infer",
    payload: { inputs: [{ name: "input-0", shape: [1, 4], datatype: "FP32", data: FLOWERS.versicolor }] },
    answered: (body: Record<string, unknown>) =>
      JSON.stringify((body.outputs as { data: unknown }[] | undefined)?.[0]?.data) === "[1]",
  },
] as const;

let server: RunningServer;
beforeAll(async () => {
  server = await startReady({
    [ENV["batching.queueRows"]]: String(QUEUE_ROWS),
    // A long window: a burst sent at once is sure to find the queue full.
    [ENV["batching.maxDelayMs"]]: "200",
  });
});
afterAll(killStartedServers);

describe("a burst far beyond the inference queue", () => {
  it("sheds the excess with 503 + Retry-After, answers the rest, stays ready and recovers at once", async () => {
    const { port } = server;
    const burst = Array.from({ length: BURST }, (_, i) => CALLS[i % CALLS.length] as (typeof CALLS)[number]);
    const pending = burst.map((call) => post(port, call.path, call.payload));
    const readyDuringBurst = await getFresh(port, PATHS.ready);
    const answers = await Promise.all(pending);

    const shed = answers.filter((a) => a.status === 503);
    const served = answers.filter((a) => a.status === 200);
    expect(shed.length + served.length).toBe(BURST);
    expect(shed.length).toBeGreaterThan(0);
    expect(served.length).toBeGreaterThan(0);
    for (const answer of shed) {
      expect(answer.headers["retry-after"]).toBe("1");
      expect(answer.body).toMatchObject({
        error: expect.stringMatching(/overloaded/),
        retry_after_seconds: 1,
      });
    }
    answers.forEach((answer, i) => {
      if (answer.status === 200)
        expect(burst[i]?.answered(answer.body), JSON.stringify(answer.body)).toBe(true);
    });
    // Every endpoint goes through the same queue and sheds the same way.
    const shedPaths = new Set(answers.flatMap((a, i) => (a.status === 503 ? [burst[i]?.path] : [])));
    expect(shedPaths).toEqual(new Set(CALLS.map((c) => c.path)));
    expect(readyDuringBurst.status).toBe(200);

    // Load within capacity right after: every request answered.
    const calm = await Promise.all(
      Array.from({ length: QUEUE_ROWS }, (_, i) => {
        const call = CALLS[i % CALLS.length] as (typeof CALLS)[number];
        return post(port, call.path, call.payload).then((a) => a.status === 200 && call.answered(a.body));
      }),
    );
    expect(calm).toEqual(Array.from({ length: QUEUE_ROWS }, () => true));

    const samples = parseExposition((await getFresh(port, PATHS.metrics)).body);
    expect(sampleValue(samples, METRICS.errors, { type: ERROR_TYPES.overloaded })).toBe(shed.length);
    const counted503 = samples
      .filter((s) => s.name === METRICS.httpRequests && s.labels.status === "503")
      .reduce((sum, s) => sum + s.value, 0);
    expect(counted503).toBe(shed.length);
    expect(sampleValue(samples, METRICS.inflightRequests)).toBe(0);
    // Shedding is not a fault: nothing unhandled, nothing answered 500. Lines are gathered into larger writes
    // and may be held up to 50 ms: wait for every request's line, so an absent fault is really absent.
    const logged = () => server.logs.filter((l) => l.msg === "request").length;
    await waitUntil("a request line for every request", () => logged() >= BURST + QUEUE_ROWS, 5_000);
    const faults = server.logs.filter(
      (l) => l.msg === "unhandled error" || l.level === "fatal" || l.status === 500,
    );
    expect(faults).toEqual([]);
  });
});
