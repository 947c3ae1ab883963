import * as tf from "@tensorflow/tfjs";
import { TFJS_BACKENDS, type TfjsBackend, type TfjsBackendPreference } from "../contract/index.js";

/** TF.js backends the server can run on, fastest first. */
export const BACKENDS = TFJS_BACKENDS;
export type BackendName = TfjsBackend;
/** `auto` picks the first backend in {@link BACKENDS} that loads on this machine. */
export type BackendPreference = TfjsBackendPreference;

/** Why a backend could not be used, kept so the start-up log can say it. */
export interface BackendAttempt {
  backend: BackendName;
  error: string;
}

export interface SelectedBackend {
  backend: BackendName;
  /** Backends tried before the chosen one and why each failed (empty when the first choice worked). */
  skipped: BackendAttempt[];
}

const NATIVE_PACKAGE = "@tensorflow/tfjs-node";

async function registerBackend(name: BackendName): Promise<void> {
  switch (name) {
    case "tensorflow":
      // Native libtensorflow bindings: an optional dependency that only installs where its
      // install script can download libtensorflow (e.g. an image build with internet).
      // A variable specifier: the package may be absent, and the type checker must not require it.
      await import(NATIVE_PACKAGE);
      return;
    case "wasm":
      // The .wasm binaries ship inside the package, so this works offline.
      await import("@tensorflow/tfjs-backend-wasm");
      return;
    case "cpu":
      return; // built into @tensorflow/tfjs
  }
}

async function activate(name: BackendName): Promise<void> {
  await registerBackend(name);
  const ok = await tf.setBackend(name);
  if (!ok) throw new Error(`tf.setBackend("${name}") returned false`);
  await tf.ready();
}

/**
 * Activates a TF.js backend. `auto` tries tensorflow (tfjs-node), then wasm, then cpu; a named backend
 * is used as asked or fails with the reason.
 *
 * @example
 * const { backend } = await selectBackend("auto"); // "wasm" where tfjs-node is not installed
 */
export async function selectBackend(preference: BackendPreference): Promise<SelectedBackend> {
  if (preference !== "auto") {
    try {
      await activate(preference);
    } catch (error) {
      throw new Error(`TF.js backend "${preference}" is not available: ${describe(error)}`, { cause: error });
    }
    return { backend: preference, skipped: [] };
  }
  const skipped: BackendAttempt[] = [];
  for (const backend of BACKENDS) {
    try {
      await activate(backend);
      return { backend, skipped };
    } catch (error) {
      skipped.push({ backend, error: describe(error) });
    }
  }
  throw new Error(`no TF.js backend could be activated: ${JSON.stringify(skipped)}`);
}

function describe(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split("\n")[0] ?? message;
}
