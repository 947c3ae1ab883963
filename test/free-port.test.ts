import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { afterEach, describe, expect, it, vi } from "vitest";
import { freePort } from "../bench/process-tools.js";

const listen = (port: number): Promise<Server> =>
  new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => resolve(server));
  });
const close = (server: Server): Promise<void> => new Promise((resolve) => server.close(() => resolve()));

const ephemeralStart = Number(
  readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/)[0],
);

describe("freePort", () => {
  afterEach(() => vi.restoreAllMocks());

  it("hands out distinct ports below the kernel's ephemeral range that can be listened on", async () => {
    const ports = [];
    for (let i = 0; i < 40; i += 1) ports.push(await freePort());
    expect(new Set(ports).size).toBe(ports.length);
    for (const port of ports) {
      expect(port).toBeGreaterThanOrEqual(10_000);
      expect(port).toBeLessThan(ephemeralStart);
    }
    await close(await listen(ports[0]!));
  });

  it("passes over a port something already listens on", async () => {
    // Taken behind freePort's back, so only its probe can tell.
    let taken: Server | undefined;
    for (let port = 31_000; !taken; port += 1) taken = await listen(port).catch(() => undefined);
    const takenPort = (taken.address() as { port: number }).port;
    // The first draw lands on the taken port, the next ones anywhere.
    const draws = [(takenPort - 10_000 + 0.5) / (ephemeralStart - 10_000)];
    const random = Math.random.bind(Math);
    vi.spyOn(Math, "random").mockImplementation(() => draws.shift() ?? random());
    try {
      const port = await freePort();
      expect(port).not.toBe(takenPort);
      expect(draws).toEqual([]); // the taken port was drawn and refused
    } finally {
      await close(taken);
    }
  });
});
