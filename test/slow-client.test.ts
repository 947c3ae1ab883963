/**
 * Slow and stalled clients against the real process: each is cut off with 408 once Node's header or
 * request timeout (configured by HTTP_HEADERS_TIMEOUT_SECONDS and HTTP_REQUEST_TIMEOUT_SECONDS, reported in
 * the `listening` log line) has passed, while other clients are served normally the whole time. The server
 * runs with short timeouts (2 s and 5 s instead of 10 s and 30 s) and the clients run concurrently, so the
 * file takes about one request timeout.
 */
import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ENV, PATHS } from "../src/contract/index.js";
import { FLOWERS } from "./server-fixtures.js";
import {
  type RunningServer,
  httpRequest,
  killStartedServers,
  startReady,
  waitUntil,
} from "./support/server-process.js";

interface Cutoff {
  /** Milliseconds from the first byte sent until the server closed the connection. */
  readonly afterMs: number;
  /** Everything the server sent back. */
  readonly response: string;
}

/**
 * Opens a raw connection, sends `head` at once, then `drip` one piece every `everyMs` (none when empty)
 * and resolves when the server closes the connection.
 */
function slowClient(port: number, head: string, drip: string[], everyMs: number): Promise<Cutoff> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    let response = "";
    let startedAt = 0;
    let timer: NodeJS.Timeout | undefined;
    socket.on("connect", () => {
      startedAt = performance.now();
      socket.write(head);
      timer = setInterval(() => {
        const piece = drip.shift();
        if (piece !== undefined && socket.writable) socket.write(piece);
      }, everyMs);
    });
    socket.on("data", (chunk: Buffer) => (response += chunk.toString()));
    // The server may reset rather than close; what matters is that it hung up and what it said first.
    socket.on("error", () => {});
    socket.on("close", () => {
      clearInterval(timer);
      if (startedAt === 0) reject(new Error("could not connect"));
      else resolve({ afterMs: performance.now() - startedAt, response });
    });
  });
}

/** POST /predict on a fresh connection; resolves with the status and the predicted class. */
async function predictOnce(port: number): Promise<{ status: number; class: unknown }> {
  const body = JSON.stringify({ features: FLOWERS.versicolor });
  const answer = await httpRequest(port, { method: "POST", path: PATHS.predict, body });
  return { status: answer.status, class: (JSON.parse(answer.body) as { class?: unknown }).class };
}

const predictHead = (contentLength: number) =>
  `POST ${PATHS.predict} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n` +
  `Content-Length: ${contentLength}\r\n\r\n`;

let server: RunningServer;
let timeouts: { headersTimeout: number; requestTimeout: number; connectionsCheckingInterval: number };
beforeAll(async () => {
  server = await startReady({
    [ENV.drainSeconds]: "0",
    [ENV["http.headersTimeoutSeconds"]]: "2",
    [ENV["http.requestTimeoutSeconds"]]: "5",
  });
  const listening = server.logs.find((l) => l.msg === "listening") as Record<string, number>;
  timeouts = {
    headersTimeout: Number(listening.headersTimeout),
    requestTimeout: Number(listening.requestTimeout),
    connectionsCheckingInterval: Number(listening.connectionsCheckingInterval),
  };
});
afterAll(killStartedServers);

describe("slow and stalled clients", () => {
  it("cuts off trickled headers at the header timeout and trickled or stalled bodies at the request timeout, serving everyone else meanwhile", async () => {
    const { headersTimeout, requestTimeout } = timeouts;
    // The configured timeouts reach Node (the listening line reports the options the server was created with).
    expect(timeouts).toEqual({
      headersTimeout: 2_000,
      requestTimeout: 5_000,
      connectionsCheckingInterval: 500,
    });
    // Node looks for expired requests every connectionsCheckingInterval (here 0.5 s, src/server/config.ts);
    // the rest is scheduling slack on a busy machine. With Node's default interval (30 s) cut-offs would come
    // up to 30 s late.
    const lateBy = 2_500;
    expect(requestTimeout).toBeGreaterThan(headersTimeout + lateBy);

    const { port } = server;
    const body = JSON.stringify({ features: FLOWERS.setosa });
    const endless = Array.from({ length: 10_000 }, () => "a");
    const tricklingHeaders = slowClient(
      port,
      `POST ${PATHS.predict} HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Trickle: `,
      endless,
      250,
    );
    // Declares a body it never finishes: one byte a second, never the last one.
    const tricklingBody = slowClient(port, predictHead(body.length), [...body.slice(0, -1)], 1_000);
    const stalledBody = slowClient(port, predictHead(body.length) + body.slice(0, 10), [], 1_000);

    const served: { status: number; class: unknown }[] = [];
    let slowClientsDone = false;
    const everyoneElse = (async () => {
      while (!slowClientsDone) {
        served.push(await predictOnce(port));
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    })();

    const [headers, trickled, stalled] = await Promise.all([tricklingHeaders, tricklingBody, stalledBody]);
    slowClientsDone = true;
    await everyoneElse;
    served.push(await predictOnce(port));

    expect(headers.response).toMatch(/^HTTP\/1\.1 408 /);
    expect(headers.afterMs).toBeGreaterThanOrEqual(headersTimeout);
    expect(headers.afterMs).toBeLessThan(headersTimeout + lateBy);
    for (const cut of [trickled, stalled]) {
      expect(cut.response).toMatch(/^HTTP\/1\.1 408 /);
      expect(cut.afterMs).toBeGreaterThanOrEqual(requestTimeout);
      expect(cut.afterMs).toBeLessThan(requestTimeout + lateBy);
    }

    // One request every ~200 ms for the whole request timeout, every one of them answered.
    expect(served.length).toBeGreaterThan(requestTimeout / 1_000);
    expect(served.filter((s) => s.status !== 200 || s.class !== "versicolor")).toEqual([]);

    // The abandoned requests are the client's doing: nothing in the log looks like a server fault. Lines may
    // be held up to 50 ms for a larger write: wait for every served request's line first.
    const logged = () => server.logs.filter((l) => l.msg === "request" && l.status === 200).length;
    await waitUntil("a request line for every served request", () => logged() >= served.length, 5_000);
    const faults = server.logs.filter(
      (l) => l.level === "error" || l.level === "fatal" || Number(l.status) >= 500,
    );
    expect(faults).toEqual([]);
  }, 30_000);
});
