/**
 * The process: read config, listen at once (liveness 200, readiness 503), load and warm the model, switch to
 * the full app (readiness 200), and on SIGTERM/SIGINT drain, close and exit 0.
 *
 * `npm run build && npm start`, or `npx tsx src/server/main.ts` in development.
 */
import type { Server } from "node:http";
import { setTimeout as sleep } from "node:timers/promises";
import { serve } from "@hono/node-server";
import { createApp, createStartingApp } from "./app.js";
import type { ServerConfig } from "../contract/server-config.js";
import { configFromEnvironment, httpServerOptions } from "./config.js";
import { createInferenceEngine, warmUp } from "./inference-engine.js";
import { Lifecycle } from "./lifecycle.js";
import { type Logger, createLogger } from "./logger.js";
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

  // Listen before loading so probes get answers (liveness 200, readiness 503) from the first moment.
  let fetchHandler = createStartingApp({ metrics, logger, lifecycle }).fetch;
  const server = serve(
    {
      fetch: (request, env) => fetchHandler(request, env),
      port: config.port,
      hostname: config.host,
      serverOptions: timeouts,
    },
    (address) => logger.info({ host: config.host, port: address.port, ...timeouts }, "listening"),
  ) as Server;
  server.on("error", (err) => {
    logger.fatal({ err }, "cannot listen");
    process.exit(1);
  });

  let classifier: Classifier | undefined;
  handleShutdownSignals({ server, lifecycle, logger, config, model: () => classifier });

  logger.info({ model_dir: config.modelDir, backend: config.tfjsBackend }, "loading model");
  try {
    classifier = await loadModel(config.modelDir, { backend: config.tfjsBackend });
    warmUp(classifier);
  } catch (err) {
    logger.fatal({ err, model_dir: config.modelDir }, "model failed to load; exiting");
    logger.flush();
    process.exit(1);
  }

  const { metadata } = classifier;
  const modelMetrics = metrics.modelLoaded(describeClassifier(classifier));
  const engine = createInferenceEngine(classifier, modelMetrics, config.batching);
  fetchHandler = createApp({ config, model: classifier, engine, metrics, logger, lifecycle }).fetch;
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

interface ShutdownOptions {
  readonly server: Server;
  readonly lifecycle: Lifecycle;
  readonly logger: Logger;
  readonly config: Pick<ServerConfig, "drainSeconds" | "inflightTimeoutSeconds">;
  /** The model once loaded: disposed on the way out, its backend named in the shutdown lines. */
  readonly model: () => Classifier | undefined;
}

/**
 * SIGTERM/SIGINT: readiness fails at once while requests are still served for `drainSeconds` (Kubernetes
 * needs that long to take the pod out of its endpoints); then the listener closes, in-flight requests get
 * `inflightTimeoutSeconds` to finish, and the process exits 0. A second signal exits at once with 1.
 */
function handleShutdownSignals({ server, lifecycle, logger, config, model }: ShutdownOptions): void {
  let stopping = false;
  const shutdown = async (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.warn({ signal }, "second signal: exiting without waiting");
      logger.flush();
      process.exit(1);
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
    const closed = new Promise<boolean>((resolve) => server.close(() => resolve(true)));
    const finished = await Promise.race([closed, sleep(config.inflightTimeoutSeconds * 1000, false)]);
    if (!finished) {
      logger.warn(
        { inflight_timeout_seconds: config.inflightTimeoutSeconds },
        "shutdown: in-flight requests did not finish in time; closing their connections",
      );
      server.closeAllConnections();
    }
    model()?.dispose();
    logger.info({ signal, backend }, "shutdown complete");
    logger.flush();
    process.exit(0);
  };
  process.on("SIGTERM", (signal) => void shutdown(signal));
  process.on("SIGINT", (signal) => void shutdown(signal));
}

await main();
