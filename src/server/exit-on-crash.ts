import { type Logger, exitAfterLogs } from "./logger.js";

/** What {@link exitOnUncaughtException} needs besides the logger. */
export interface ExitOnCrashOptions {
  /**
   * Longest wait for the log lines written so far to reach stdout before exiting anyway (a reader that is
   * gone or stuck must not keep a crashed process alive), in milliseconds.
   */
  readonly logFlushMs: number;
  /**
   * Runs once, right after the `fatal` line: what the process stops doing before it exits (the server stops
   * taking connections). An exception it throws is logged and does not delay the exit.
   * @default nothing
   */
  readonly stop?: () => void;
}

/**
 * Ends the process on an uncaught exception, or an unhandled promise rejection (which Node raises as one),
 * the way a stop ends it instead of Node's default way: the error and its stack are logged as one `fatal`
 * JSON line (not printed to stderr, where log pipelines do not parse it), `stop` runs, every line written
 * before reaches stdout in the order written, and the process exits with 1, waiting at most `logFlushMs`.
 *
 * Why not leave it to Node and pino: pino's exit hook writes the lines it still holds synchronously while an
 * earlier batch may still be on its way to stdout through libuv's thread pool, and the two land in either
 * order (CI once saw request lines 0–19 after lines 20–96). Here the held lines are written after the one in
 * flight, on the event loop, as on a stop.
 *
 * A second exception while exiting is logged and changes nothing else.
 *
 * @example
 * const logger = createLogger("info");
 * exitOnUncaughtException(logger, { logFlushMs: 1000, stop: () => server.close() });
 */
export function exitOnUncaughtException(logger: Logger, options: ExitOnCrashOptions): void {
  let exiting = false;
  process.on("uncaughtException", function exitAfterCrash(err, origin) {
    if (exiting) {
      logger.fatal({ err, origin }, "another uncaught exception while exiting");
      return;
    }
    exiting = true;
    logger.fatal({ err, origin }, "uncaught exception; exiting");
    try {
      options.stop?.();
    } catch (stopErr) {
      logger.error({ err: stopErr }, "stopping after the uncaught exception failed; exiting anyway");
    }
    void exitAfterLogs(logger, 1, options.logFlushMs);
  });
}
