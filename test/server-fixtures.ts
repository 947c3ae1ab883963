/** Shared setup for the server tests: the real committed model, a fresh app, captured log lines. */
import { fileURLToPath } from "node:url";
import type { OpenAPIHono } from "@hono/zod-openapi";
import { type AppDeps, createApp } from "../src/server/app.js";
import { DEFAULT_CONFIG, type ServerConfig } from "../src/contract/server-config.js";
import { type InferenceEngine, createInferenceEngine, warmUp } from "../src/server/inference-engine.js";
import { Lifecycle } from "../src/server/lifecycle.js";
import { createLogger } from "../src/server/logger.js";
import { ServerMetrics, describeClassifier } from "../src/server/metrics.js";
import type { AppEnv } from "../src/server/middleware/app-env.js";
import { type Classifier, loadModel } from "../src/model/load-model.js";

export const MODEL_DIR = fileURLToPath(new URL("../model", import.meta.url));

/** Loads the committed model on the wasm backend (works offline) and warms it up. */
export async function loadCommittedModel(): Promise<Classifier> {
  const classifier = await loadModel(MODEL_DIR, { backend: "wasm" });
  warmUp(classifier);
  return classifier;
}

/** A typical flower of each species, from the Iris data set, plus a borderline one. */
export const FLOWERS = {
  setosa: [5.1, 3.5, 1.4, 0.2],
  versicolor: [6.4, 3.2, 4.5, 1.5],
  virginica: [6.3, 3.3, 6.0, 2.5],
  borderline: [6.0, 2.7, 5.1, 1.6],
} as const;

export type LogLine = Record<string, unknown> & { msg: string; level: string };

export interface TestServer {
  readonly app: OpenAPIHono<AppEnv>;
  readonly metrics: ServerMetrics;
  readonly lifecycle: Lifecycle;
  readonly engine: InferenceEngine;
  /** Every JSON log line written so far. */
  readonly logs: LogLine[];
}

/** A serving app around `classifier` with its own metrics registry and log capture. */
export function createTestServer(
  classifier: Classifier,
  options: {
    config?: Partial<ServerConfig>;
    engine?: InferenceEngine;
    /** API keys: the app then runs in api-key mode. */
    apiKeys?: AppDeps["apiKeys"];
  } = {},
): TestServer {
  const logs: LogLine[] = [];
  const logger = createLogger("info", {
    write: (line: string) => void logs.push(JSON.parse(line) as LogLine),
  });
  const metrics = new ServerMetrics();
  const lifecycle = new Lifecycle();
  const config = { ...DEFAULT_CONFIG, ...options.config };
  const engine =
    options.engine ??
    createInferenceEngine(classifier, metrics.modelLoaded(describeClassifier(classifier)), config.batching);
  const app = createApp({
    config,
    model: classifier,
    engine,
    metrics,
    logger,
    lifecycle,
    serverVersion: "9.9.9-test",
    ...(options.apiKeys ? { apiKeys: options.apiKeys } : {}),
  });
  lifecycle.markServing();
  return { app, metrics, lifecycle, engine, logs };
}

/** POSTs `body` as JSON (a string is sent as is). */
export function postJson(
  app: TestServer["app"],
  path: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<Response> {
  return Promise.resolve(
    app.request(path, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: typeof body === "string" ? body : JSON.stringify(body),
    }),
  );
}

/** One sample of a Prometheus text exposition. */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/**
 * Parses a Prometheus text exposition strictly enough to catch format breakage: every sample line must be
 * `name{label="value",…} number`, and every sample's family must have `# HELP` and `# TYPE` lines first.
 */
export function parseExposition(text: string): Sample[] {
  const samples: Sample[] = [];
  const typed = new Set<string>();
  const helped = new Set<string>();
  const sampleLine = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$/;
  const labelPair = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;
  for (const line of text.split("\n")) {
    if (line === "") continue;
    const comment = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.+)$/.exec(line);
    if (comment) {
      (comment[1] === "HELP" ? helped : typed).add(comment[2] as string);
      continue;
    }
    const match = sampleLine.exec(line);
    if (!match || !isSampleValue(match[4] as string)) throw new Error(`not a valid exposition line: ${line}`);
    const name = match[1] as string;
    const family = [name, name.replace(/_(bucket|sum|count)$/, "")].find((n) => typed.has(n));
    if (!family || !helped.has(family)) throw new Error(`sample before its # HELP/# TYPE: ${line}`);
    const labels: Record<string, string> = {};
    for (const [, key, value] of (match[3] ?? "").matchAll(labelPair))
      labels[key as string] = value as string;
    const raw = match[4] as string;
    samples.push({
      name,
      labels,
      value: /^nan$/i.test(raw) ? Number.NaN : Number(raw.replace(/inf$/i, "Infinity")),
    });
  }
  return samples;
}

/** Prometheus parses values with Go's ParseFloat: decimal or exponent notation, and NaN/Inf in any case. */
function isSampleValue(text: string): boolean {
  return /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text) || /^(nan|[+-]?inf)$/i.test(text);
}

/**
 * The value of the sample `name` whose labels include `labels`. Throws when there is none, so a renamed
 * metric, a dropped bucket or a mistyped label fails the test instead of reading as 0.
 */
export function sampleValue(samples: Sample[], name: string, labels: Record<string, string> = {}): number {
  const found = findSample(samples, name, labels);
  if (found === undefined) throw new Error(`no sample ${name}${JSON.stringify(labels)} in the exposition`);
  return found.value;
}

/**
 * Like {@link sampleValue}, but 0 when no series matches `labels`, as for a labelled counter never
 * incremented. The family `name` itself must be exposed (with `# TYPE`), so a renamed metric still fails.
 */
export function countValue(exposition: string, name: string, labels: Record<string, string> = {}): number {
  const family = name.replace(/_(bucket|sum|count)$/, "");
  if (
    ![name, family].some(
      (n) => exposition.includes(`\n# TYPE ${n} `) || exposition.startsWith(`# TYPE ${n} `),
    )
  )
    throw new Error(`no metric family ${name} in the exposition`);
  return findSample(parseExposition(exposition), name, labels)?.value ?? 0;
}

function findSample(samples: Sample[], name: string, labels: Record<string, string>): Sample | undefined {
  return samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
}
