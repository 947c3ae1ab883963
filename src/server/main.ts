/**
 * The process: read config, listen at once (liveness 200, readiness 503), load and warm the model, switch to
 * the full app (readiness 200), and on SIGTERM/SIGINT drain, close and exit 0. An uncaught exception is
 * logged as a `fatal` line and ends the process with 1 once the log is written out (`exitOnUncaughtException`).
 *
 * `npm run build && npm start`, or `npx tsx src/server/main.ts` in development.
 */
import type { Server } from "node:http";
import { setTimeout as sleep } from "node:timers/promises";
import { serve } from "@hono/node-server";
import { ApiKeys } from "./api-keys.js";
import { createApp, createMetricsApp, createStartingApp } from "./app.js";
import type { ServerConfig } from "../contract/server-config.js";
import { configFromEnvironment, httpServerOptions } from "./config.js";
import { boundConnectionLife } from "./connection-life.js";
import { exitOnUncaughtException } from "./exit-on-crash.js";
import { createInferenceEngine, warmUp } from "./inference-engine.js";
import { Lifecycle } from "./lifecycle.js";
import { type Logger, createLogger, exitAfterLogs } from "./logger.js";
import { ServerMetrics, describeClassifier } from "./metrics.js";
import { type Classifier, loadModel } from "../model/load-model.js";

async function main(): Promise<void> {
  const parsed = configFromEnvironment();
  if (!parsed.ok) {
    for (const problem of parsed.errors) console.error(`infer8s: invalid configuration: ${problem.message}`);
    process.exit(1);
  }
  const { config } = parsed;
  const startedAt = performance.now();
  const logger = createLogger(config.logLevel);
  const metrics = new ServerMetrics();
  const lifecycle = new Lifecycle();
  const timeouts = httpServerOptions(config.http);

  // api-key mode never starts without its keys: an unreadable key directory is a fatal misconfiguration.
  let apiKeys: ApiKeys | undefined;
  if (config.auth.mode === "api-key") {
    try {
      apiKeys = ApiKeys.load({ dir: config.auth.keysDir, logger });
    } catch (err) {
      logger.fatal(
        { dir: config.auth.keysDir, reason: (err as Error).message },
        "API keys cannot be read; refusing to start in api-key mode",
      );
      return exitAfterLogs(logger, 1, EXIT_GRACE_MS.logFlush);
    }
    serveMetricsSeparately({ metrics, logger, config });
  }

  // Listen before loading so probes get answers (liveness 200, readiness 503) from the first moment.
  let fetchHandler = createStartingApp({ metrics, logger, lifecycle, apiKeys }).fetch;
  const server = serve(
    {
      fetch: (request, env) => fetchHandler(request, env),
      port: config.port,
      hostname: config.host,
      serverOptions: timeouts,
    },
    (address) =>
      logger.info(
        {
          host: config.host,
          port: address.port,
          ...timeouts,
          maxConnectionAgeSeconds: config.http.maxConnectionAgeSeconds,
          maxRequestsPerSocket: config.http.maxRequestsPerSocket,
        },
        "listening",
      ),
  ) as Server;
  boundConnectionLife(server, config.http);
  exitOnUncaughtException(logger, {
    logFlushMs: EXIT_GRACE_MS.logFlush,
    stop: () => {
      lifecycle.startDraining();
      server.close();
      server.closeIdleConnections();
    },
  });
  server.on("error", (err) => {
    logger.fatal({ err }, "cannot listen");
    void exitAfterLogs(logger, 1, EXIT_GRACE_MS.logFlush);
  });

  let classifier: Classifier | undefined;
  handleShutdownSignals({ server, lifecycle, logger, config, model: () => classifier });

  logger.info({ model_dir: config.modelDir, backend: config.tfjsBackend }, "loading model");
  try {
    classifier = await loadModel(config.modelDir, { backend: config.tfjsBackend });
    warmUp(classifier);
  } catch (err) {
    logger.fatal({ err, model_dir: config.modelDir }, "model failed to load; exiting");
    return exitAfterLogs(logger, 1, EXIT_GRACE_MS.logFlush);
  }

  const { metadata } = classifier;
  const modelMetrics = metrics.modelLoaded(describeClassifier(classifier));
  const engine = createInferenceEngine(classifier, modelMetrics, config.batching);
  fetchHandler = createApp({ config, model: classifier, engine, metrics, logger, lifecycle, apiKeys }).fetch;
  lifecycle.markServing();
  logger.info(
    {
      model: metadata.name,
      version: metadata.version,
      backend: classifier.backend,
      skipped_backends: classifier.skippedBackends,
      execution: classifier.execution,
      tfjs_version: classifier.tfjsVersion,
      startup_ms: Math.round(performance.now() - startedAt),
    },
    `ready: model ${metadata.name}@${metadata.version} on TF.js backend ${classifier.backend}`,
  );
}

/**
 * The `/metrics` listener of api-key mode, on its own port so that the API port, which clients reach, does
 * not expose it. It stays up until the process exits, so the last scrapes still see a draining pod.
 */
function serveMetricsSeparately({
  metrics,
  logger,
  config,
}: {
  metrics: ServerMetrics;
  logger: Logger;
  config: ServerConfig;
}): void {
  const server = serve(
    { fetch: createMetricsApp({ metrics, logger }).fetch, port: config.metricsPort, hostname: config.host },
    (address) => logger.info({ host: config.host, port: address.port }, "metrics listening"),
  ) as Server;
  server.on("error", (err) => {
    logger.fatal({ err }, "cannot listen for metrics");
    void exitAfterLogs(logger, 1, EXIT_GRACE_MS.logFlush);
  });
}

interface ShutdownOptions {
  readonly server: Server;
  readonly lifecycle: Lifecycle;
  readonly logger: Logger;
  readonly config: Pick<ServerConfig, "drainSeconds" | "inflightTimeoutSeconds">;
  /** The model once loaded: disposed on the way out, its backend named in the shutdown lines. */
  readonly model: () => Classifier | undefined;
}

/**
 * How long requests cut at the in-flight timeout get to unwind and write their log lines, and how long the
 * last log lines get to reach stdout; both bound the exit beyond `drainSeconds + inflightTimeoutSeconds`,
 * within the chart's margin (see `terminationGracePeriodSeconds`).
 */
const EXIT_GRACE_MS = { cutRequests: 1000, logFlush: 1000 } as const;

/**
 * SIGTERM/SIGINT: readiness fails at once while requests are still served for `drainSeconds` (Kubernetes
 * needs that long to take the pod out of its endpoints); then the listener closes, in-flight requests get
 * `inflightTimeoutSeconds` to be answered and logged, the log is flushed, and the process exits 0. A second
 * signal exits with 1 without waiting for requests (only for the log flush).
 */
function handleShutdownSignals({ server, lifecycle, logger, config, model }: ShutdownOptions): void {
  let stopping = false;
  const shutdown = async (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.warn({ signal }, "second signal: exiting without waiting");
      return exitAfterLogs(logger, 1, EXIT_GRACE_MS.logFlush);
    }
    stopping = true;
    lifecycle.startDraining();
    const backend = model()?.backend ?? "none (model not loaded yet)";
    logger.info(
      {
        signal,
        backend,
        drain_seconds: config.drainSeconds,
        inflight_timeout_seconds: config.inflightTimeoutSeconds,
      },
      "shutdown: readiness now 503; still serving while endpoints drain",
    );
    await sleep(config.drainSeconds * 1000);

    logger.info("shutdown: listener closed; waiting for in-flight requests");
    // Both: the connections closed, and every request answered and logged (a request whose client hung
    // up is still being handled after its connection closed; exiting then loses its log line).
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    const finished = await Promise.race([
      Promise.all([closed, lifecycle.idle()]).then(() => true),
      sleep(config.inflightTimeoutSeconds * 1000, false),
    ]);
    if (!finished) {
      logger.warn(
        { inflight_timeout_seconds: config.inflightTimeoutSeconds },
        "shutdown: in-flight requests did not finish in time; closing their connections",
      );
      server.closeAllConnections();
      await Promise.race([lifecycle.idle(), sleep(EXIT_GRACE_MS.cutRequests)]);
    }
    model()?.dispose();
    logger.info({ signal, backend }, "shutdown complete");
    return exitAfterLogs(logger, 0, EXIT_GRACE_MS.logFlush);
  };
  process.on("SIGTERM", (signal) => void shutdown(signal));
  process.on("SIGINT", (signal) => void shutdown(signal));
}

await main();
