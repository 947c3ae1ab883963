import { readFile } from "node:fs/promises";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs";
import { MODEL_FILES, fileLoadHandler, modelVersion } from "./artifacts.js";
import { type BackendName, type BackendPreference, type BackendAttempt, selectBackend } from "./backend.js";
import type { ModelMetadata } from "./metadata.js";

/** A loaded, validated classifier: raw feature rows in, class probabilities out. Knows nothing of HTTP. */
export interface Classifier {
  readonly metadata: ModelMetadata;
  /** The TF.js backend the model runs on. */
  readonly backend: BackendName;
  /** Backends `auto` tried first and why they failed. */
  readonly skippedBackends: readonly BackendAttempt[];
  readonly tfjsVersion: string;
  readonly featureCount: number;
  readonly classCount: number;
  /**
   * Runs the network on `rows` raw (unnormalised) feature rows packed row-major into `features`
   * (`features.length === rows * featureCount`). Returns probabilities row-major, `rows * classCount` long.
   * Synchronous: one call is one model invocation; it allocates no tensor that outlives the call.
   */
  predict(features: Float32Array, rows: number): Float32Array;
  /** Live TF.js tensors (for leak checks and metrics). */
  numTensors(): number;
  dispose(): void;
}

export interface LoadModelOptions {
  /** TF.js backend to run on. @default "auto" */
  readonly backend?: BackendPreference;
}

/** Thrown when the artifacts on disk are missing, malformed or disagree with each other. */
export class ModelArtifactError extends Error {
  override readonly name = "ModelArtifactError";
}

/**
 * Loads `model.json` + `weights.bin` + `metadata.json` from `dir`, checks that they agree (input shape,
 * feature count, class count, normalisation length, version hash), activates a backend and returns a
 * {@link Classifier}.
 *
 * @example
 * const model = await loadModel("./model", { backend: "auto" });
 * model.predict(new Float32Array([5.1, 3.5, 1.4, 0.2]), 1); // ≈ [0.99, 0.01, 0.00]
 */
export async function loadModel(dir: string, options: LoadModelOptions = {}): Promise<Classifier> {
  const metadata = await readMetadata(dir);
  const { backend, skipped } = await selectBackend(options.backend ?? "auto");
  let network: tf.LayersModel;
  try {
    network = await tf.loadLayersModel(fileLoadHandler(dir));
  } catch (error) {
    throw new ModelArtifactError(
      `cannot load the TF.js model in ${dir}: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  try {
    await checkAgreement(dir, network, metadata);
  } catch (error) {
    network.dispose();
    throw error;
  }
  return createClassifier(network, metadata, backend, skipped);
}

async function readMetadata(dir: string): Promise<ModelMetadata> {
  const path = join(dir, MODEL_FILES.metadata);
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch {
    throw new ModelArtifactError(`model metadata not found: ${path} (run \`npm run train\`)`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new ModelArtifactError(`${path} is not valid JSON: ${(error as Error).message}`);
  }
  const m = parsed as Partial<ModelMetadata>;
  const problems: string[] = [];
  if (typeof m.name !== "string" || m.name === "") problems.push("name must be a non-empty string");
  if (typeof m.version !== "string" || m.version === "") problems.push("version must be a non-empty string");
  if (!isStringArray(m.classNames) || m.classNames.length < 2) problems.push("classNames must list ≥ 2 names");
  if (!isStringArray(m.featureNames) || m.featureNames.length < 1) problems.push("featureNames must list ≥ 1 name");
  const featureCount = Array.isArray(m.featureNames) ? m.featureNames.length : 0;
  const norm = m.normalization;
  if (!norm || !isFiniteArray(norm.mean, featureCount) || !isFiniteArray(norm.std, featureCount)) {
    problems.push(`normalization.mean and normalization.std must be ${featureCount} finite numbers each`);
  } else if (norm.std.some((s) => s <= 0)) {
    problems.push("normalization.std must be positive");
  }
  if (typeof m.holdout?.accuracy !== "number") problems.push("holdout.accuracy must be a number");
  if (problems.length > 0) throw new ModelArtifactError(`${path} is invalid: ${problems.join("; ")}`);
  return m as ModelMetadata;
}

async function checkAgreement(dir: string, network: tf.LayersModel, metadata: ModelMetadata): Promise<void> {
  const problems: string[] = [];
  const input = network.inputs[0]?.shape ?? [];
  const output = network.outputs[0]?.shape ?? [];
  if (network.inputs.length !== 1 || input.length !== 2 || input[1] !== metadata.featureNames.length) {
    problems.push(
      `model input shape ${JSON.stringify(input)} does not take ${metadata.featureNames.length} features (metadata.featureNames)`,
    );
  }
  if (network.outputs.length !== 1 || output.length !== 2 || output[1] !== metadata.classNames.length) {
    problems.push(
      `model output shape ${JSON.stringify(output)} does not give ${metadata.classNames.length} classes (metadata.classNames)`,
    );
  }
  const version = await modelVersion(dir);
  if (version !== metadata.version) {
    problems.push(`weights hash ${version} does not match metadata.version ${metadata.version}`);
  }
  if (problems.length > 0) {
    throw new ModelArtifactError(`model artifacts in ${dir} disagree with metadata.json: ${problems.join("; ")}`);
  }
}

function createClassifier(
  network: tf.LayersModel,
  metadata: ModelMetadata,
  backend: BackendName,
  skippedBackends: BackendAttempt[],
): Classifier {
  const featureCount = metadata.featureNames.length;
  const classCount = metadata.classNames.length;
  const mean = Float32Array.from(metadata.normalization.mean);
  const invStd = Float32Array.from(metadata.normalization.std, (s) => 1 / s);
  return {
    metadata,
    backend,
    skippedBackends,
    tfjsVersion: tf.version.tfjs,
    featureCount,
    classCount,
    predict(features, rows) {
      if (!Number.isInteger(rows) || rows < 1 || features.length !== rows * featureCount) {
        throw new RangeError(`expected ${rows} rows × ${featureCount} features, got ${features.length} values`);
      }
      const scaled = new Float32Array(features.length);
      for (let i = 0; i < features.length; i++) {
        const f = i % featureCount;
        scaled[i] = ((features[i] as number) - (mean[f] as number)) * (invStd[f] as number);
      }
      return tf.tidy(() => {
        const output = network.predict(tf.tensor2d(scaled, [rows, featureCount])) as tf.Tensor;
        return output.dataSync() as Float32Array;
      });
    },
    numTensors: () => tf.memory().numTensors,
    dispose: () => network.dispose(),
  };
}

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((v) => typeof v === "string" && v !== "");
}

function isFiniteArray(value: unknown, length: number): value is number[] {
  return (
    Array.isArray(value) && value.length === length && value.every((v) => typeof v === "number" && Number.isFinite(v))
  );
}
