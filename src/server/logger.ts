import { pino } from "pino";
import type { LogLevel } from "../contract/server-config.js";

/** The server's structured logger: one JSON object per line on stdout. */
export type Logger = pino.Logger;

/** Where log lines go; tests pass a stream that collects them. */
export type LogDestination = pino.DestinationStream;

/**
 * Creates the JSON logger. Levels are written as names (`"level":"info"`) and times as ISO strings, which
 * is what `kubectl logs` readers and most log pipelines expect.
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
  return destination ? pino(options, destination) : pino(options);
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
