/**
 * A bounded HTTP load for watching the HorizontalPodAutoscaler react: `POST /predict` at a port-forwarded
 * URL for at most `durationSeconds` and at most `maxRequests` requests, whichever comes first.
 *
 * Aimed at loopback by default (`kubectl port-forward` listens there); any other host is refused unless
 * the caller opts in, so a typo cannot turn it into a load test of someone else's server.
 */
import type autocannon from "autocannon";

/** One Iris row; any valid body exercises the same code path. */
export const LOAD_REQUEST_BODY = JSON.stringify({ features: [5.1, 3.5, 1.4, 0.2] });

/** What `npm run ops -- load` does without options: enough to push CPU past the HPA target for a while. */
export const LOAD_DEFAULTS = { durationSeconds: 60, maxRequests: 100_000, connections: 16 } as const;

/** Upper bounds no option may exceed. */
export const LOAD_LIMITS = { durationSeconds: 600, maxRequests: 1_000_000, connections: 256 } as const;

export interface LoadOptions {
  /** Full URL of the predict endpoint, e.g. `http://127.0.0.1:8080/predict`. */
  readonly url: string;
  /** Stop after this many seconds. */
  readonly durationSeconds: number;
  /** Stop after this many requests. */
  readonly maxRequests: number;
  /** Concurrent connections. */
  readonly connections: number;
  /** Allow a host other than loopback. */
  readonly allowRemote: boolean;
  /** API key sent as `Authorization: Bearer` (a service in api-key mode). @default none */
  readonly apiKey?: string;
}

/** What a load run did, for the summary line. */
export interface LoadSummary {
  readonly requests: number;
  readonly status2xx: number;
  readonly non2xx: number;
  readonly errors: number;
  readonly timeouts: number;
  readonly latencyMs: {
    readonly p50: number;
    readonly p90: number;
    readonly p99: number;
    readonly max: number;
  };
  readonly durationSeconds: number;
  readonly requestsPerSecond: number;
}

const LOOPBACK_HOSTS = new Set(["localhost", "[::1]"]);

/** Whether `url` points at this machine's loopback interface. */
export function isLoopbackUrl(url: URL): boolean {
  return LOOPBACK_HOSTS.has(url.hostname) || /^127(\.\d{1,3}){3}$/.test(url.hostname);
}

/**
 * Checks options and returns them as autocannon options; throws with a message naming the option.
 *
 * @example loadTestOptions({ url: "http://127.0.0.1:8080/predict", durationSeconds: 60, maxRequests: 50_000, connections: 16, allowRemote: false })
 */
export function loadTestOptions(options: LoadOptions): autocannon.Options {
  let url: URL;
  try {
    url = new URL(options.url);
  } catch {
    throw new Error(`--url must be an absolute http(s) URL, got "${options.url}"`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new Error(`--url must be an http or https URL, got "${options.url}"`);
  }
  if (!options.allowRemote && !isLoopbackUrl(url)) {
    throw new Error(
      `--url ${options.url} is not a loopback address. The load generator is meant for a port-forwarded ` +
        `service (npm run ops -- port-forward api); pass --allow-remote if you own that server.`,
    );
  }
  const bounded = (name: string, value: number, max: number): void => {
    if (!Number.isInteger(value) || value < 1 || value > max) {
      throw new Error(`--${name} must be an integer from 1 to ${max}, got ${value}`);
    }
  };
  bounded("duration", options.durationSeconds, LOAD_LIMITS.durationSeconds);
  bounded("requests", options.maxRequests, LOAD_LIMITS.maxRequests);
  bounded("connections", options.connections, LOAD_LIMITS.connections);
  if (options.connections > options.maxRequests) {
    throw new Error(
      `--connections (${options.connections}) must not exceed --requests (${options.maxRequests})`,
    );
  }
  return {
    url: url.href,
    method: "POST",
    headers: {
      "content-type": "application/json",
      ...(options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {}),
    },
    body: LOAD_REQUEST_BODY,
    connections: options.connections,
    // autocannon stops at whichever bound it reaches first: the duration, or the overall request count.
    duration: options.durationSeconds,
    maxOverallRequests: options.maxRequests,
    timeout: 10,
  };
}

/**
 * Runs the load and resolves with a summary. `onProgress` is called about once a second with the
 * number of responses so far.
 */
export async function generateLoad(
  options: LoadOptions,
  onProgress?: (responses: number) => void,
): Promise<LoadSummary> {
  const autocannonOptions = loadTestOptions(options);
  // Loaded here, not at the top: every other command of the CLI would pay ~0.2 s to load it.
  const { default: autocannon } = await import("autocannon");
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    let responses = 0;
    const instance = autocannon(autocannonOptions, (error: unknown, finished: autocannon.Result) =>
      error ? reject(error instanceof Error ? error : new Error(String(error))) : resolve(finished),
    );
    instance.on("response", () => {
      responses += 1;
    });
    instance.on("tick", () => onProgress?.(responses));
  });
  return {
    requests: result["2xx"] + result.non2xx,
    status2xx: result["2xx"],
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    latencyMs: {
      p50: result.latency.p50,
      p90: result.latency.p90,
      p99: result.latency.p99,
      max: result.latency.max,
    },
    durationSeconds: result.duration,
    requestsPerSecond:
      result.duration > 0 ? Math.round((result["2xx"] + result.non2xx) / result.duration) : 0,
  };
}
