/**
 * Bounded keep-alive connections. A Kubernetes Service (kube-proxy) picks a pod per new TCP connection, so
 * a client that keeps its connections open forever never reaches the pods a scale-out adds: they sit idle
 * while the old pods stay saturated. Each connection is therefore closed after its current response once
 * it is older than `maxConnectionAgeSeconds` or has answered `maxRequestsPerSocket` requests: the response
 * carries `Connection: close` and the server closes the socket after it, and the client's next request
 * opens a new connection, which the Service may send to another pod. Idle connections are left alone (they
 * close at the keep-alive timeout): closing a socket the client may be reusing at that instant would fail
 * its request.
 */
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { Socket } from "node:net";
import type { HttpTimeouts } from "../contract/server-config.js";

/** When this socket was accepted (ms, `performance.now()`) and how many requests it has carried. */
interface SocketLife {
  readonly acceptedAt: number;
  requests: number;
}

const LIFE = Symbol("infer8s.socketLife");
type TrackedSocket = Socket & { [LIFE]?: SocketLife };

/**
 * Makes `server` close each connection after the response that reaches either limit; a limit of 0 is off.
 * Must run before the request handler is attached or be prepended (it is), so that the decision is made
 * before the handler writes the response head.
 *
 * @example
 * const server = serve({ fetch, port });
 * boundConnectionLife(server, config.http);
 */
export function boundConnectionLife(
  server: Server,
  limits: Pick<HttpTimeouts, "maxConnectionAgeSeconds" | "maxRequestsPerSocket">,
): void {
  const maxAgeMs = limits.maxConnectionAgeSeconds * 1000;
  const maxRequests = limits.maxRequestsPerSocket;
  if (maxAgeMs <= 0 && maxRequests <= 0) return;
  server.on("connection", function stampConnection(socket: TrackedSocket) {
    socket[LIFE] = { acceptedAt: performance.now(), requests: 0 };
  });
  server.prependListener("request", function closeAgedConnection(req: IncomingMessage, res: ServerResponse) {
    const life = (req.socket as TrackedSocket)[LIFE];
    if (life === undefined) return;
    life.requests += 1;
    if (
      (maxRequests > 0 && life.requests >= maxRequests) ||
      (maxAgeMs > 0 && performance.now() - life.acceptedAt >= maxAgeMs)
    ) {
      // Node then writes `Connection: close` and ends the socket once this response is sent.
      res.shouldKeepAlive = false;
    }
  });
}
