import { type Server, createServer } from "node:http";
import { type AddressInfo, connect } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { boundConnectionLife } from "./connection-life.js";

let server: Server | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve) ?? resolve(undefined));
  server = undefined;
});

async function listen(limits: { maxConnectionAgeSeconds: number; maxRequestsPerSocket: number }) {
  server = createServer((_req, res) => res.end("ok"));
  boundConnectionLife(server, limits);
  await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
  return (server.address() as AddressInfo).port;
}

/**
 * One keep-alive connection: `send()` writes a GET and resolves with the response head once the body
 * (`ok`) has arrived; `closed` resolves when the server ends the connection.
 */
function keepAliveConnection(port: number) {
  const socket = connect(port, "127.0.0.1");
  let received = "";
  let waiting: ((head: string) => void) | undefined;
  socket.on("data", (chunk: Buffer) => {
    received += chunk.toString();
    const end = received.indexOf("\r\n\r\nok");
    if (end >= 0 && waiting) {
      const head = received.slice(0, end);
      received = received.slice(end + 6);
      waiting(head);
    }
  });
  const closed = new Promise<void>((resolve) => socket.on("close", () => resolve()));
  return {
    send: () =>
      new Promise<string>((resolve) => {
        waiting = resolve;
        socket.write("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
      }),
    closed,
    isOpen: () => !socket.destroyed && socket.readyState === "open",
    destroy: () => socket.destroy(),
  };
}

describe("boundConnectionLife", () => {
  it("answers the Nth request of a connection with Connection: close and then closes it", async () => {
    const conn = keepAliveConnection(await listen({ maxConnectionAgeSeconds: 0, maxRequestsPerSocket: 3 }));
    expect(await conn.send()).toMatch(/connection: keep-alive/i);
    expect(await conn.send()).toMatch(/connection: keep-alive/i);
    expect(await conn.send()).toMatch(/connection: close/i);
    await conn.closed;
  });

  it("closes a connection older than the maximum age after its next response, not before", async () => {
    const conn = keepAliveConnection(await listen({ maxConnectionAgeSeconds: 0.3, maxRequestsPerSocket: 0 }));
    expect(await conn.send()).toMatch(/connection: keep-alive/i);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(conn.isOpen()).toBe(true); // an idle connection is left to the keep-alive timeout
    expect(await conn.send()).toMatch(/connection: close/i);
    await conn.closed;
  });

  it("keeps connections open when both limits are 0", async () => {
    const conn = keepAliveConnection(await listen({ maxConnectionAgeSeconds: 0, maxRequestsPerSocket: 0 }));
    for (let i = 0; i < 5; i++) expect(await conn.send()).toMatch(/connection: keep-alive/i);
    expect(conn.isOpen()).toBe(true);
    conn.destroy();
  });
});
