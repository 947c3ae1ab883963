/**
 * A process that writes request log lines to stdout the way the server does, then ends as the test asks:
 * `crash` (an uncaught exception, handled as main.ts handles it), `reject` (an unhandled promise
 * rejection, likewise), `close` (what main.ts does on SIGTERM: exitAfterLogs with 0), `exit`
 * (`process.exit(0)` at once, leaving the lines to pino's exit hook) or
 * `stay` (says `written` on stderr, then keeps running for 5 s without writing more).
 *
 * `node --import tsx test/support/log-lines-then.ts crash 300`
 */
import {
  createLogDestination,
  createLogger,
  createRequestLogger,
  exitAfterLogs,
} from "../../src/server/logger.js";
import { exitOnUncaughtException } from "../../src/server/exit-on-crash.js";

const [mode = "crash", count = "1"] = process.argv.slice(2);
const logger = createLogger("info", createLogDestination(1));
const logRequest = createRequestLogger(logger);
exitOnUncaughtException(logger, {
  logFlushMs: 1000,
  stop: () => process.stderr.write("stopped\n"),
});
for (let i = 0; i < Number(count); i++) {
  logRequest({
    req_id: `r${i}`,
    method: "POST",
    route: "/predict",
    path: "/predict",
    status: 200,
    duration_ms: 0.1,
  });
}
if (mode === "crash") {
  setImmediate(() => {
    throw new Error("crash after logging");
  });
} else if (mode === "reject") {
  setImmediate(() => void Promise.reject(new Error("rejected after logging")));
} else if (mode === "exit") {
  process.exit(0);
} else if (mode === "close") {
  await exitAfterLogs(logger, 0, 1000);
} else {
  process.stderr.write("written\n");
  setTimeout(() => process.exit(0), 5_000);
}
