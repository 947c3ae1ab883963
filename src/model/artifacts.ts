import { createHash } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type * as tf from "@tensorflow/tfjs";

/** File names inside a model directory. */
export const MODEL_FILES = {
  topology: "model.json",
  weights: "weights.bin",
  metadata: "metadata.json",
} as const;

/**
 * A TF.js IOHandler that reads `model.json` + `weights.bin` from a directory with plain `fs`, so loading
 * works on every backend (the `file://` scheme exists only with tfjs-node).
 */
export function fileLoadHandler(dir: string): tf.io.IOHandler {
  return {
    async load(): Promise<tf.io.ModelArtifacts> {
      const modelJson = JSON.parse(
        await readFile(join(dir, MODEL_FILES.topology), "utf8"),
      ) as tf.io.ModelJSON;
      const manifest = modelJson.weightsManifest ?? [];
      const weightSpecs = manifest.flatMap((group) => group.weights);
      const paths = manifest.flatMap((group) => group.paths);
      const buffers = await Promise.all(paths.map((path) => readFile(join(dir, path))));
      const weightData = toArrayBuffer(Buffer.concat(buffers));
      return {
        modelTopology: modelJson.modelTopology,
        format: modelJson.format,
        generatedBy: modelJson.generatedBy,
        convertedBy: modelJson.convertedBy,
        weightSpecs,
        weightData,
      };
    },
  };
}

/**
 * A TF.js IOHandler that writes `model.json` + one `weights.bin` with stable formatting and no
 * timestamps, so the same weights always give the same bytes.
 */
export function fileSaveHandler(dir: string): tf.io.IOHandler {
  return {
    async save(artifacts: tf.io.ModelArtifacts): Promise<tf.io.SaveResult> {
      const weightData = artifacts.weightData;
      if (!(weightData instanceof ArrayBuffer)) throw new Error("expected a single weights ArrayBuffer");
      const modelJson = {
        format: artifacts.format,
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy ?? null,
        modelTopology: artifacts.modelTopology,
        weightsManifest: [{ paths: [MODEL_FILES.weights], weights: artifacts.weightSpecs ?? [] }],
      };
      await mkdir(dir, { recursive: true });
      await writeFile(join(dir, MODEL_FILES.topology), `${JSON.stringify(modelJson, null, 2)}\n`);
      await writeFile(join(dir, MODEL_FILES.weights), Buffer.from(weightData));
      return { modelArtifactsInfo: { dateSaved: new Date(0), modelTopologyType: "JSON" } };
    },
  };
}

/** Short content hash of a saved model (topology + weights): the model's version. */
export async function modelVersion(dir: string): Promise<string> {
  const hash = createHash("sha256");
  hash.update(await readFile(join(dir, MODEL_FILES.topology)));
  hash.update(await readFile(join(dir, MODEL_FILES.weights)));
  return hash.digest("hex").slice(0, 12);
}

function toArrayBuffer(buffer: Buffer): ArrayBuffer {
  return buffer.buffer.slice(buffer.byteOffset, buffer.byteOffset + buffer.byteLength) as ArrayBuffer;
}
