/** Where the server is in its life: readiness and connection handling follow from it. */
export type LifecyclePhase = "starting" | "serving" | "draining";

/**
 * The server's phase, shared by `main.ts` (which moves it forward) and the routes (which read it).
 * Phases only move forward: starting → serving → draining.
 *
 * @example
 * const lifecycle = new Lifecycle();
 * lifecycle.markServing();   // after the model loaded and the warm-up passed: /ready → 200
 * lifecycle.startDraining(); // on SIGTERM: /ready → 503 at once
 */
export class Lifecycle {
  #phase: LifecyclePhase = "starting";

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
}
