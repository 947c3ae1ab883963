/**
 * An open-loop load generator: requests leave at a fixed rate whatever the server's latency, the way
 * independent users arrive (autocannon's `overallRate` sends each second's quota back to back and then
 * waits, which measures bursts, not a rate). Latency runs from each request's scheduled send time, so a
 * server that falls behind shows it in p99 instead of slowing the client down (no coordinated omission).
 *
 * HTTP/1.1 over raw keep-alive sockets with one pre-serialised request (node:http's client costs more CPU
 * per request than the server under test, on the same two cores). An idle socket is reused most recently
 * used first; a new one is opened when all are busy, up to `maxConnections`, after which requests queue.
 * A response with `Connection: close` retires its socket, as a well-behaved client does.
 */
import { connect, type Socket } from "node:net";
import { percentile } from "./report.js";

export interface PacedLoadOptions {
  url: string;
  method: "GET" | "POST";
  body?: string;
  /** Requests per second to send. */
  rate: number;
  seconds: number;
  /** Sockets the client may hold open at once; requests beyond them wait for one (their wait counts). */
  maxConnections?: number;
}

export interface PacedLoadResult {
  /** Requests scheduled during the run. */
  sent: number;
  /** Answered with a 2xx. */
  ok: number;
  /** Other statuses, connection errors and requests still unanswered at the end. */
  failed: number;
  /** Answered requests per second over the run. */
  achievedRate: number;
  latencyMs: { p50: number; p99: number };
  /** TCP connections opened during the run. */
  connectionsOpened: number;
  /** Responses that carried `Connection: close`. */
  closedByServer: number;
}

interface Connection {
  socket: Socket;
  /** Scheduled send time of the request in flight; undefined when idle. */
  inFlight?: number;
  buffer: Buffer;
}

const HEADER_END = Buffer.from("\r\n\r\n");

/** Sends `rate` requests per second for `seconds` and resolves when the last is answered (or 5 s later). */
export async function pacedLoad(options: PacedLoadOptions): Promise<PacedLoadResult> {
  const url = new URL(options.url);
  const body = options.body ?? "";
  const request = Buffer.from(
    `${options.method} ${url.pathname} HTTP/1.1\r\nHost: ${url.host}\r\n` +
      (options.body === undefined
        ? "\r\n"
        : `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`),
  );
  const maxConnections = options.maxConnections ?? 64;
  const idle: Connection[] = [];
  const open = new Set<Connection>();
  const queue: number[] = [];
  const latencies: number[] = [];
  let sent = 0;
  let ok = 0;
  let failed = 0;
  let connectionsOpened = 0;
  let closedByServer = 0;
  const total = Math.round(options.rate * options.seconds);
  const startedAt = performance.now();
  let lastAnswerAt = startedAt;
  let allAnswered: () => void = () => {};
  const done = new Promise<void>((resolve) => (allAnswered = resolve));
  const answered = () => {
    lastAnswerAt = performance.now();
    if (sent === total && ok + failed === total) allAnswered();
  };

  const dispatch = (conn: Connection, scheduledAt: number) => {
    conn.inFlight = scheduledAt;
    conn.socket.write(request);
  };
  const release = (conn: Connection) => {
    conn.inFlight = undefined;
    const next = queue.shift();
    if (next !== undefined) dispatch(conn, next);
    else idle.push(conn);
  };
  const retire = (conn: Connection) => {
    if (!open.delete(conn)) return;
    const i = idle.indexOf(conn);
    if (i >= 0) idle.splice(i, 1);
    conn.socket.destroy();
    if (conn.inFlight !== undefined) {
      failed++;
      answered();
    }
    conn.inFlight = undefined;
    const next = queue.shift();
    if (next !== undefined) openConnection(next);
  };
  const onData = (conn: Connection, chunk: Buffer) => {
    conn.buffer = conn.buffer.length === 0 ? chunk : Buffer.concat([conn.buffer, chunk]);
    for (;;) {
      const end = conn.buffer.indexOf(HEADER_END);
      if (end < 0) return;
      const head = conn.buffer.toString("latin1", 0, end);
      const length = Number(/\r\ncontent-length:\s*(\d+)/i.exec(head)?.[1] ?? 0);
      if (conn.buffer.length < end + 4 + length) return;
      conn.buffer = conn.buffer.subarray(end + 4 + length);
      const status = Number(head.slice(9, 12));
      if (status >= 200 && status < 300) ok++;
      else failed++;
      latencies.push(performance.now() - (conn.inFlight ?? Number.NaN));
      conn.inFlight = undefined;
      answered();
      if (/\r\nconnection:\s*close/i.test(head)) {
        closedByServer++;
        retire(conn);
        return;
      }
      release(conn);
    }
  };
  const openConnection = (scheduledAt: number) => {
    const conn: Connection = { socket: connect(Number(url.port), url.hostname), buffer: Buffer.alloc(0) };
    conn.socket.setNoDelay(true);
    open.add(conn);
    connectionsOpened++;
    conn.socket.on("data", (chunk: Buffer) => onData(conn, chunk));
    conn.socket.on("error", () => retire(conn));
    conn.socket.on("close", () => retire(conn));
    dispatch(conn, scheduledAt);
  };
  const send = (scheduledAt: number) => {
    const conn = idle.pop();
    if (conn) dispatch(conn, scheduledAt);
    else if (open.size < maxConnections) openConnection(scheduledAt);
    else queue.push(scheduledAt);
  };

  // Every millisecond (as near as timers allow), send whatever the schedule says is due by now.
  const interval = 1000 / options.rate;
  await new Promise<void>((resolve) => {
    const tick = () => {
      const now = performance.now();
      while (sent < total && startedAt + sent * interval <= now) {
        send(startedAt + sent * interval);
        sent++;
      }
      if (sent < total) setTimeout(tick, Math.max(0, Math.min(1, startedAt + sent * interval - now)));
      else resolve();
    };
    tick();
  });
  if (ok + failed < total) await Promise.race([done, new Promise((r) => setTimeout(r, 5_000))]);
  for (const conn of [...open]) {
    open.delete(conn);
    conn.socket.destroy();
  }
  const elapsed = (lastAnswerAt - startedAt) / 1000;
  return {
    sent,
    ok,
    failed: total - ok,
    achievedRate: (ok + failed) / Math.max(elapsed, options.seconds),
    latencyMs: { p50: percentile(latencies, 50), p99: percentile(latencies, 99) },
    connectionsOpened,
    closedByServer,
  };
}
