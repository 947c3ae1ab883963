import type autocannon from "autocannon";

/** Called for every response: its status and its latency in milliseconds. */
export type ResponseListener = (status: number, latencyMs: number) => void;

/**
 * Runs autocannon with `options`, reporting each response and each request error as it happens (its
 * summary histogram mixes every status; scenarios that tell accepted from refused need each one).
 */
export async function runLoad(
  options: autocannon.Options,
  onResponse: ResponseListener,
  onError: () => void = () => {},
): Promise<autocannon.Result> {
  // Loaded on first use, so a benchmark's --help answers without it.
  const { default: startLoad } = await import("autocannon");
  return new Promise((resolve, reject) => {
    const instance = startLoad(options, (error: unknown, result: autocannon.Result) =>
      error ? reject(error instanceof Error ? error : new Error(String(error))) : resolve(result),
    );
    instance.on("response", (_client, status, _bytes, latencyMs) => onResponse(status, latencyMs));
    instance.on("reqError", onError);
  });
}
