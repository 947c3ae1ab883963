/**
 * How many requests per second one server pod should carry before request-rate autoscaling adds another:
 * derived from the server's measured CPU cost per request, so the threshold follows the CPU request.
 */

/** The server's CPU use measured at one steady request rate. */
export interface MeasuredCpuCost {
  /** Millicores the server uses with no traffic. */
  readonly idleMillicores: number;
  /** The steady request rate of the measurement. */
  readonly requestsPerSecond: number;
  /** Millicores the server used at that rate. */
  readonly millicores: number;
}

/**
 * The costliest point measured per request (`DEFAULT_SETTINGS.resources` comments, charts/settings.ts; compiled
 * JS, wasm backend, loopback autocannon `POST /predict`): idle 5 millicores, ~550 req/s at 305 millicores,
 * i.e. ~0.55 millicores (545 µs of CPU) per req/s above idle. The same table's faster points (~1,050 req/s
 * at 414 m, ~2,300 req/s at 934 m) and the README "Benchmarks" run (63-242 µs of CPU per request, 242 at
 * one connection) cost less per request; taking the costliest leaves room for what was not measured (the
 * native TensorFlow backend in the image, real network stacks, larger batches per request).
 */
export const MEASURED_SERVER_CPU: MeasuredCpuCost = {
  idleMillicores: 5,
  requestsPerSecond: 550,
  millicores: 305,
};

/**
 * Requests per second per pod at which one pod uses `utilizationPercent` of its CPU request, by the measured
 * cost per request (linear above idle), rounded down. With the defaults (250m requested, 70 %: the HPA's CPU
 * target, so 30 % of the request is left as headroom) it is (175 - 5) × 550 / (305 - 5) = 311.
 *
 * @throws Error when the request does not exceed the idle use at that utilisation
 * @example targetRequestsPerSecondPerPod(250, 70) // => 311
 */
export function targetRequestsPerSecondPerPod(
  cpuRequestMillicores: number,
  utilizationPercent: number,
  measured: MeasuredCpuCost = MEASURED_SERVER_CPU,
): number {
  const budget = (cpuRequestMillicores * utilizationPercent) / 100 - measured.idleMillicores;
  const perRequestPerSecond = (measured.millicores - measured.idleMillicores) / measured.requestsPerSecond;
  const target = Math.floor(budget / perRequestPerSecond);
  if (!(target >= 1)) {
    throw new Error(
      `targetRequestsPerSecondPerPod: ${utilizationPercent} % of ${cpuRequestMillicores} millicores leaves no CPU above the server's idle ${measured.idleMillicores} millicores`,
    );
  }
  return target;
}
