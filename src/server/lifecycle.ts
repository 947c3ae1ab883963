/** Where the server is in its life: readiness and connection handling follow from it. */
export type LifecyclePhase = "starting" | "serving" | "draining";

/**
 * The server's phase, shared by `main.ts` (which moves it forward) and the routes (which read it).
 * Phases only move forward: starting → serving → draining. It also counts the requests being handled,
 * so that shutdown can wait for the last one to be answered and logged.
 *
 * @example
 * const lifecycle = new Lifecycle();
 * lifecycle.markServing();   // after the model loaded and the warm-up passed: /ready → 200
 * lifecycle.startDraining(); // on SIGTERM: /ready → 503 at once
 * await lifecycle.idle();    // every request that came in has been answered and logged
 */
export class Lifecycle {
  #phase: LifecyclePhase = "starting";
  #requests = 0;
  #onIdle: (() => void)[] = [];

  get phase(): LifecyclePhase {
    return this.#phase;
  }

  /** True only while serving: the model is warm and shutdown has not begun. */
  get ready(): boolean {
    return this.#phase === "serving";
  }

  get draining(): boolean {
    return this.#phase === "draining";
  }

  /** The model is loaded and warmed up. Ignored once draining. */
  markServing(): void {
    if (this.#phase === "starting") this.#phase = "serving";
  }

  /** Shutdown began: readiness fails from now on. */
  startDraining(): void {
    this.#phase = "draining";
  }

  /** Requests being handled: begun, and not yet answered and logged. */
  get requestsInFlight(): number {
    return this.#requests;
  }

  /** A request entered the app. Pair with {@link requestDone}, called once its log line is written. */
  requestBegun(): void {
    this.#requests += 1;
  }

  /** A request was answered and its log line written. */
  requestDone(): void {
    this.#requests -= 1;
    if (this.#requests === 0) for (const resolve of this.#onIdle.splice(0)) resolve();
  }

  /**
   * Resolves once no request is in flight (at once if none is). A closed HTTP listener is not enough:
   * a request whose client hung up is still being handled, and its line not yet logged, after its
   * connection has closed.
   */
  idle(): Promise<void> {
    if (this.#requests === 0) return Promise.resolve();
    return new Promise((resolve) => this.#onIdle.push(resolve));
  }
}
