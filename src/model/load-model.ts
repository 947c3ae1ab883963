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
  /** How the network runs, see {@link LoadModelOptions.execution}. */
  readonly execution: Execution;
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
  /**
   * How the network runs. `fused`: the dense stack is compiled once into a chain of fused matMul+bias+
   * activation kernels (one kernel per layer, no per-call graph walk). `layers`: `LayersModel.predict`, kept
   * for comparison in benchmarks. Models with layers other than Dense always use `layers`.
   * @default "fused"
   */
  readonly execution?: Execution;
}

/** See {@link LoadModelOptions.execution}. */
export type Execution = "fused" | "layers";

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
  return createClassifier(network, metadata, backend, skipped, options.execution ?? "fused");
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
  if (!isStringArray(m.classNames) || m.classNames.length < 2)
    problems.push("classNames must list ≥ 2 names");
  if (!isStringArray(m.featureNames) || m.featureNames.length < 1)
    problems.push("featureNames must list ≥ 1 name");
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
    throw new ModelArtifactError(
      `model artifacts in ${dir} disagree with metadata.json: ${problems.join("; ")}`,
    );
  }
}

function createClassifier(
  network: tf.LayersModel,
  metadata: ModelMetadata,
  backend: BackendName,
  skippedBackends: BackendAttempt[],
  execution: Execution,
): Classifier {
  const forward = (execution === "fused" && compileDenseStack(network)) || layersForward(network);
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
    execution: forward.execution,
    predict(features, rows) {
      if (!Number.isInteger(rows) || rows < 1 || features.length !== rows * featureCount) {
        throw new RangeError(
          `expected ${rows} rows × ${featureCount} features, got ${features.length} values`,
        );
      }
      const scaled = new Float32Array(features.length);
      for (let i = 0; i < features.length; i++) {
        const f = i % featureCount;
        scaled[i] = ((features[i] as number) - (mean[f] as number)) * (invStd[f] as number);
      }
      // Read back outside tidy: tidy walks whatever its callback returns looking for tensors, and for a
      // typed array that is a for-in over every element (~1 µs per single-row call, more per batch).
      const output = tf.tidy(() => forward.run(tf.tensor2d(scaled, [rows, featureCount])));
      try {
        return output.dataSync() as Float32Array;
      } finally {
        output.dispose();
      }
    },
    numTensors: () => tf.memory().numTensors,
    dispose: () => network.dispose(),
  };
}

interface Forward {
  execution: Execution;
  /** Called inside `tf.tidy`. */
  run(input: tf.Tensor2D): tf.Tensor;
}

function layersForward(network: tf.LayersModel): Forward {
  // batchSize = all rows: predict() otherwise splits into batches of 32 and concatenates.
  return {
    execution: "layers",
    run: (input) => network.predict(input, { batchSize: input.shape[0] }) as tf.Tensor,
  };
}

const FUSABLE_ACTIVATIONS = new Set(["relu", "linear", "elu", "relu6", "sigmoid", "leakyrelu"]);

/**
 * Profiling showed `LayersModel.predict` spending ~90 µs per single-row call walking the symbolic graph,
 * checking inputs and slicing batches, for well under a microsecond of arithmetic. A stack of Dense layers
 * is just `softmax(act(…act(x·W1+b1)…)·Wn+bn)`, so run exactly that with one fused kernel per layer,
 * using the layers' own weight tensors. Returns undefined for anything that is not such a stack.
 */
function compileDenseStack(network: tf.LayersModel): Forward | undefined {
  const steps: { kernel: tf.Tensor2D; bias: tf.Tensor1D; activation: string }[] = [];
  for (const layer of network.layers) {
    if (layer.getClassName() !== "Dense") return undefined;
    const config = layer.getConfig() as { activation?: string; useBias?: boolean };
    const [kernel, bias] = layer.getWeights();
    if (!kernel || !bias || config.useBias === false) return undefined;
    steps.push({
      kernel: kernel as tf.Tensor2D,
      bias: bias as tf.Tensor1D,
      activation: config.activation ?? "linear",
    });
  }
  const last = steps.pop();
  const lastActivation = last?.activation;
  if (!last || steps.some((s) => !FUSABLE_ACTIVATIONS.has(s.activation))) return undefined;
  if (lastActivation !== "softmax" && !FUSABLE_ACTIVATIONS.has(lastActivation ?? "")) return undefined;
  return {
    execution: "fused",
    run(input) {
      let h = input;
      for (const step of steps) {
        const activation = step.activation as tf.fused.Activation;
        h = tf.fused.matMul({ a: h, b: step.kernel, bias: step.bias, activation }) as tf.Tensor2D;
      }
      if (lastActivation === "softmax")
        return tf.softmax(tf.fused.matMul({ a: h, b: last.kernel, bias: last.bias }));
      return tf.fused.matMul({
        a: h,
        b: last.kernel,
        bias: last.bias,
        activation: lastActivation as tf.fused.Activation,
      });
    },
  };
}

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((v) => typeof v === "string" && v !== "");
}

function isFiniteArray(value: unknown, length: number): value is number[] {
  return (
    Array.isArray(value) &&
    value.length === length &&
    value.every((v) => typeof v === "number" && Number.isFinite(v))
  );
}
