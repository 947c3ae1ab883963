/**
 * Scale-out takes load: real server processes behind a balancer that, like kube-proxy, picks a backend per
 * new TCP connection (round robin) and never moves an open connection. Keep-alive clients start against
 * two backends; two more join the pool while the load runs; the bounded connection life
 * (`HTTP_MAX_CONNECTION_AGE_SECONDS`) must bring traffic to them within about one maximum age.
 */
import { Agent } from "node:http";
import { type AddressInfo, type Server, type Socket, connect, createServer } from "node:net";
import { afterAll, describe, expect, it } from "vitest";
import { ENV } from "../src/contract/index.js";
import { FLOWERS } from "./server-fixtures.js";
import { type RunningServer, httpRequest, killStartedServers, startReady } from "./support/server-process.js";

afterAll(killStartedServers);

/** A TCP balancer: each new client connection goes to the next port of `pool` (which may grow). */
async function roundRobinProxy(pool: number[]): Promise<{ port: number; close: () => Promise<void> }> {
  let next = 0;
  const sockets = new Set<Socket>();
  const proxy: Server = createServer((client) => {
    const upstream = connect(pool[next++ % pool.length]!, "127.0.0.1");
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on("close", () => sockets.delete(s));
      s.on("error", () => {});
    }
    client.pipe(upstream).pipe(client);
    client.on("close", () => upstream.destroy());
    upstream.on("close", () => client.destroy());
  });
  await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
  return {
    port: (proxy.address() as AddressInfo).port,
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise((resolve) => proxy.close(() => resolve()));
    },
  };
}

/** Inference requests each backend has logged so far. */
const predictions = (server: RunningServer) =>
  server.logs.filter((line) => line.msg === "request" && line.path === "/predict").length;

const MAX_AGE_SECONDS = 2;

describe("scale-out behind a per-connection balancer", () => {
  it("sends keep-alive traffic to backends added under load within about one maximum connection age", async () => {
    const env = {
      [ENV["http.maxConnectionAgeSeconds"]]: String(MAX_AGE_SECONDS),
      [ENV["http.maxRequestsPerSocket"]]: "0",
    };
    const backends = await Promise.all([startReady(env), startReady(env), startReady(env), startReady(env)]);
    const [a, b, c, d] = backends as [RunningServer, RunningServer, RunningServer, RunningServer];
    const pool = [a.port, b.port];
    const proxy = await roundRobinProxy(pool);
    // Four keep-alive clients, each sending its next request when the last is answered; a response with
    // `Connection: close` makes node's agent open a new connection for the next one.
    const agent = new Agent({ keepAlive: true, maxSockets: 4 });
    const body = JSON.stringify({ features: FLOWERS.setosa });
    let running = true;
    let failures = 0;
    let closes = 0;
    const client = async () => {
      while (running) {
        const answer = await httpRequest(proxy.port, { method: "POST", path: "/predict", body, agent });
        if (answer.status !== 200) failures++;
        if (answer.headers.connection === "close") closes++;
      }
    };
    const clients = Promise.all([client(), client(), client(), client()]);
    try {
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(predictions(a) + predictions(b)).toBeGreaterThan(0);
      pool.push(c.port, d.port); // the scale-out: new backends become endpoints
      const joinedAt = performance.now();
      const deadline = joinedAt + (MAX_AGE_SECONDS + 5) * 1000;
      while ((predictions(c) === 0 || predictions(d) === 0) && performance.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      const reachedAfterMs = performance.now() - joinedAt;
      expect(predictions(c), "requests logged by the first added backend").toBeGreaterThan(0);
      expect(predictions(d), "requests logged by the second added backend").toBeGreaterThan(0);
      expect(reachedAfterMs).toBeLessThan((MAX_AGE_SECONDS + 5) * 1000);
    } finally {
      running = false;
      await clients;
      agent.destroy();
      await proxy.close();
    }
    // Clients saw `Connection: close` now and then and reconnected without a single failed request.
    expect(closes).toBeGreaterThan(0);
    expect(failures).toBe(0);
  }, 90_000);
});
