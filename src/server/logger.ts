import { pino } from "pino";
import type { LogLevel } from "../contract/server-config.js";

/** The server's structured logger: one JSON object per line on stdout. */
export type Logger = pino.Logger;

/** Where log lines go; tests pass a stream that collects them. */
export type LogDestination = pino.DestinationStream;

/**
 * Creates the JSON logger, writing to {@link createLogDestination}`(1)` (stdout) unless given a destination.
 * Levels are written as names (`"level":"info"`) and times as ISO strings, which is what `kubectl logs`
 * readers and most log pipelines expect.
 *
 * @example
 * const logger = createLogger("info");
 * logger.info({ backend: "wasm" }, "model ready");
 */
export function createLogger(level: LogLevel, destination?: LogDestination): Logger {
  const options: pino.LoggerOptions = {
    level,
    name: "infer8s",
    timestamp: isoTimeOncePerMillisecond(),
    formatters: { level: (label) => ({ level: label }) },
  };
  return pino(options, destination ?? createLogDestination(1));
}

/** pino's file-descriptor writer (sonic-boom). */
type FdDestination = ReturnType<typeof pino.destination>;

/** Log bytes held while the reader is slow or stuck; past this, new lines are dropped, not queued. */
const LOG_BUFFER_LIMIT_BYTES = 16 * 1024 * 1024;

/** Destinations whose writes have failed: nothing more will reach their reader. */
const failedDestinations = new WeakSet<object>();

/**
 * What pino writes to by default, an asynchronous writer on file descriptor `fd` (sonic-boom), made safe
 * for a reader that goes away or stops reading, so that logging never blocks or crashes the server:
 * - a write error (EPIPE once the reader is gone, or any other) is handled here instead of becoming an
 *   uncaught exception, and marks the destination failed; pino itself stops writing after an EPIPE;
 * - lines are written asynchronously, so a full pipe never stalls the event loop; at most
 *   16 MiB wait for a stuck reader, newer lines are dropped;
 * - lines are gathered into writes of at least 4 KiB, and a line never waits more than
 *   `LOG_HOLD_MS` for company: each write is a trip through libuv's thread pool and back to the event
 *   loop, which at one request per event-loop turn cost ~25 µs of CPU per request, a fifth of the
 *   request. What is held is written in order by {@link closeLogDestination} on shutdown and on an
 *   uncaught exception (`exitOnUncaughtException`); on any other exit pino's exit hook writes it
 *   synchronously, possibly ahead of a batch still in flight. Only a SIGKILL or a V8 fatal error (heap
 *   exhausted) loses it, at most `LOG_HOLD_MS` of lines;
 * - before exiting, {@link closeLogDestination} writes out what is buffered, bounded in time. Left to
 *   pino's exit hook instead, sonic-boom's synchronous final flush retries a write that fails with EPIPE
 *   every 100 ms forever (sonic-boom 4.2), and the process never exits.
 *
 * @example
 * const logger = createLogger("info", createLogDestination(1));
 */
export function createLogDestination(fd: number): FdDestination {
  const destination = pino.destination({
    dest: fd,
    sync: false,
    minLength: LOG_BATCH_BYTES,
    maxLength: LOG_BUFFER_LIMIT_BYTES,
  });
  destination.on("error", function logDestinationFailed() {
    failedDestinations.add(destination);
  });
  // sonic-boom writes only once `minLength` bytes are held; this timer writes a smaller remainder. It is
  // armed by the first line held and re-armed while a write is still in flight (whose completion does
  // not write a remainder below `minLength`), so an idle server keeps no timer.
  const state = destination as unknown as SonicBoomState;
  const write = destination.write;
  let timer: NodeJS.Timeout | undefined;
  const writeHeldLines = () => {
    timer = undefined;
    if (state.destroyed || state._len === 0 || failedDestinations.has(destination)) return;
    if (state._writing) timer = setTimeout(writeHeldLines, LOG_HOLD_MS).unref();
    else destination.flush();
  };
  destination.write = function writeGathered(data: string): boolean {
    const accepted = write.call(this, data);
    timer ??= setTimeout(writeHeldLines, LOG_HOLD_MS).unref();
    return accepted;
  };
  // pino calls flushSync after every `fatal` line and from its exit hook. sonic-boom's flushSync writes the
  // held lines at once even while an earlier batch is still being written on libuv's thread pool, so the
  // held lines can reach stdout first. While the process lives, they are left to follow that batch (the
  // timer above, or closeLogDestination, writes them); only when it is exiting, and there is no later, are
  // they written at once, in whatever order that gives.
  const flushSync = destination.flushSync;
  destination.flushSync = function flushSyncBehindWriteInFlight(): void {
    if (state._writing && !processExiting) return;
    flushSync.call(this);
  };
  return destination;
}

/**
 * Whether the process is exiting (its `exit` event has been emitted). Registered when this module loads, so
 * before pino's exit hook, which registers when the first destination is created.
 */
let processExiting = false;
process.once("exit", () => {
  processExiting = true;
});

/** Bytes gathered before a write: about 20 request lines. */
const LOG_BATCH_BYTES = 4096;

/** Longest a log line waits in memory for others to share its write, in milliseconds. */
export const LOG_HOLD_MS = 50;

/** The parts of sonic-boom's state (4.x) the timer reads: bytes held, a write in flight, closed. */
interface SonicBoomState {
  readonly _len: number;
  readonly _writing: boolean;
  readonly destroyed: boolean;
}

/**
 * Writes out every line the logger still holds and closes its destination, waiting at most `timeoutMs`:
 * resolves `true` once everything is written, `false` when the destination has failed or the time ran out
 * (what is still buffered is then dropped, so nothing is left for pino's exit hook to retry). Call it last,
 * just before `process.exit`: the logger is silent afterwards. Destinations other than a file descriptor
 * (a test's collector) have nothing buffered: resolves `true` at once.
 *
 * @example
 * logger.info("shutdown complete");
 * await closeLogDestination(logger, 1000);
 * process.exit(0);
 */
export function closeLogDestination(logger: Logger, timeoutMs: number): Promise<boolean> {
  const stream = (logger as unknown as Record<symbol, unknown>)[pino.symbols.streamSym];
  if (!isFdDestination(stream)) return Promise.resolve(true);
  // Closed already (sonic-boom sets `destroyed` once closed; its types leave it out).
  if ((stream as { destroyed?: boolean }).destroyed === true) return Promise.resolve(true);
  if (failedDestinations.has(stream)) {
    logger.level = "silent";
    return Promise.resolve(abandon(stream));
  }
  return new Promise((resolve) => {
    const settle = (written: boolean) => {
      clearTimeout(timer);
      stream.off("close", onClose);
      stream.off("error", onError);
      logger.level = "silent"; // a closed destination throws on write
      resolve(written || abandon(stream));
    };
    const onClose = () => settle(true);
    const onError = () => settle(false);
    const timer = setTimeout(() => settle(false), timeoutMs);
    stream.once("close", onClose);
    stream.once("error", onError);
    try {
      stream.end();
    } catch {
      settle(false);
    }
  });
}

/**
 * Exits with `code` once the log lines written so far have reached the destination
 * ({@link closeLogDestination}), or after `timeoutMs` when its reader is gone or stuck: a broken log pipe
 * must not keep the process from exiting.
 *
 * @example
 * logger.fatal({ err }, "model failed to load; exiting");
 * return exitAfterLogs(logger, 1, 1000);
 */
export async function exitAfterLogs(logger: Logger, code: number, timeoutMs: number): Promise<never> {
  await closeLogDestination(logger, timeoutMs);
  process.exit(code);
}

function isFdDestination(stream: unknown): stream is FdDestination {
  const candidate = stream as Partial<FdDestination> | undefined;
  return (
    typeof candidate?.end === "function" &&
    typeof candidate.once === "function" &&
    typeof candidate.destroy === "function"
  );
}

/** Drops what `stream` still buffers and marks it destroyed, which pino's exit hook then skips. */
function abandon(stream: FdDestination): false {
  try {
    stream.destroy();
  } catch {
    // Already destroyed, or pino replaced destroy() after an EPIPE: either way nothing is left to flush.
  }
  return false;
}

/** The fields of the one line written per HTTP request. */
export interface RequestLine {
  readonly req_id: string;
  readonly method: string;
  /** Route pattern, or `unmatched`. */
  readonly route: string;
  readonly path: string;
  readonly status: number;
  readonly duration_ms: number;
}

/** Writes one request line: at `error` for 5xx answers, else at `info`. */
export type RequestLogger = (line: RequestLine) => void;

/**
 * The per-request log line, written in exactly the format `logger.info(line, "request")` would produce
 * (same level field, time, bindings, key order, message and destination), but serialised for this one
 * fixed shape instead of through pino's generic object walk. It is the one line every request writes,
 * and the generic walk (a `for…in`, a serializer lookup and a character-by-character escape check per
 * field) cost ~1.5 µs of a ~65 µs `/predict` request. Uses `pino.symbols`, pino's documented interface
 * for integrations; a test pins the output to `logger.info`'s byte for byte.
 *
 * A logger configured with anything that acts on each line (a mixin, a log formatter, serializers or
 * redaction, a stream-write hook, a destination that needs per-line metadata such as `pino.multistream`,
 * another message key or prefix) gets plain `logger.info`/`logger.error` instead. `createLogger` sets
 * none of them.
 *
 * @example
 * const logRequest = createRequestLogger(logger);
 * logRequest({ req_id, method: "POST", route: "/predict", path: "/predict", status: 200, duration_ms: 0.4 });
 */
export function createRequestLogger(logger: Logger): RequestLogger {
  const { streamSym, lsCacheSym, timeSym, chindingsSym, endSym } = pino.symbols;
  // Fixed once the logger exists: its destination, level prefixes, clock, bindings and line end.
  const internals = logger as unknown as Record<symbol, unknown>;
  const stream = internals[streamSym] as pino.DestinationStream;
  if (actsOnEachLine(internals, stream)) {
    return (line) => (line.status >= 500 ? logger.error(line, "request") : logger.info(line, "request"));
  }
  const levelPrefixes = internals[lsCacheSym] as Record<number, string>;
  const time = (internals[timeSym] as () => string).bind(logger);
  const bindings = internals[chindingsSym] as string;
  const end = internals[endSym] as string;
  const prefixes = {
    info: levelPrefixes[logger.levels.values.info as number] as string,
    error: levelPrefixes[logger.levels.values.error as number] as string,
  };
  const stringify = JSON.stringify;
  return function logRequest(line) {
    const level = line.status >= 500 ? "error" : "info";
    if (!logger.isLevelEnabled(level)) return;
    stream.write(
      prefixes[level] +
        time() +
        bindings +
        `,"req_id":${stringify(line.req_id)},"method":${stringify(line.method)}` +
        `,"route":${stringify(line.route)},"path":${stringify(line.path)}` +
        `,"status":${line.status},"duration_ms":${line.duration_ms},"msg":"request"` +
        end,
    );
  };
}

/** Keys of the request line, which serializers or redaction could otherwise target. */
const REQUEST_LINE_KEYS = ["req_id", "method", "route", "path", "status", "duration_ms", "msg"];

/** Whether pino would do more for a line than serialise it (see {@link createRequestLogger}). */
function actsOnEachLine(internals: Record<symbol, unknown>, stream: pino.DestinationStream): boolean {
  const s = pino.symbols as unknown as Record<string, symbol>;
  const at = <T>(name: string) => internals[s[name] as symbol] as T | undefined;
  const targetsOurKeys = (name: string) => {
    const perKey = at<Record<string, unknown>>(name) ?? {};
    return REQUEST_LINE_KEYS.some((key) => perKey[key] !== undefined);
  };
  return (
    Boolean(at("mixinSym")) ||
    Boolean(at<{ streamWrite?: unknown }>("hooksSym")?.streamWrite) ||
    Boolean(at<{ log?: unknown }>("formattersSym")?.log) ||
    targetsOurKeys("serializersSym") ||
    targetsOurKeys("stringifiersSym") ||
    at<Record<symbol, unknown>>("stringifiersSym")?.[s.wildcardFirstSym as symbol] !== undefined ||
    at("messageKeySym") !== "msg" ||
    Boolean(at("msgPrefixSym")) ||
    (stream as unknown as Record<symbol, unknown>)[s.needsMetadataGsym as symbol] === true
  );
}

/**
 * pino's `isoTime`, formatting the date once per millisecond instead of once per line: under load a pod
 * writes a dozen request lines per millisecond, and `toISOString()` was a fifth of the logger's cost.
 */
function isoTimeOncePerMillisecond(): () => string {
  let lastMs = -1;
  let field = "";
  return () => {
    const now = Date.now();
    if (now !== lastMs) {
      lastMs = now;
      field = `,"time":"${new Date(now).toISOString()}"`;
    }
    return field;
  };
}
