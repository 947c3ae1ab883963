import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { evaluate } from "../training/evaluate.js";
import { loadIris } from "../training/iris.js";
import { stratifiedSplit } from "../training/split.js";
import { ModelArtifactError, type Classifier, loadModel } from "./load-model.js";

const MODEL_DIR = new URL("../../model", import.meta.url).pathname;
const nativeInstalled = (() => {
  try {
    createRequire(import.meta.url).resolve("@tensorflow/tfjs-node");
    return true;
  } catch {
    return false;
  }
})();

describe("the committed model", () => {
  let model: Classifier;
  beforeAll(async () => {
    model = await loadModel(MODEL_DIR, { backend: "wasm" });
  });
  afterAll(() => model.dispose());

  it("agrees with its metadata: 4 features in, 3 classes out", () => {
    expect(model.featureCount).toBe(model.metadata.featureNames.length);
    expect(model.metadata.featureNames).toEqual([
      "sepal_length",
      "sepal_width",
      "petal_length",
      "petal_width",
    ]);
    expect(model.metadata.classNames).toEqual(["setosa", "versicolor", "virginica"]);
    expect(model.predict(new Float32Array(8).fill(1), 2)).toHaveLength(2 * 3);
  });

  it("reproduces the holdout accuracy and confusion matrix recorded in metadata", () => {
    const data = loadIris();
    expect(data.sha256).toBe(model.metadata.dataset.sha256);
    const { seed, holdoutFraction } = model.metadata.training;
    const { holdout } = stratifiedSplit(data.labels, holdoutFraction, seed);
    const rows = Float32Array.from(holdout.flatMap((i) => data.features[i] as number[]));
    const scores = evaluate(
      model.predict(rows, holdout.length),
      holdout.map((i) => data.labels[i] as number),
      model.metadata.classNames,
    );
    expect(scores.accuracy).toBe(model.metadata.holdout.accuracy);
    expect(scores.confusionMatrix).toEqual(model.metadata.holdout.confusionMatrix);
    expect(scores.accuracy).toBeGreaterThanOrEqual(0.95);
  });

  it.each([
    [1, "setosa"],
    [51, "versicolor"],
    [150, "virginica"],
  ])("classifies data row %i as %s", (row, species) => {
    const features = loadIris().features[row - 1] as number[];
    const p = model.predict(Float32Array.from(features), 1);
    const best = [...p].indexOf(Math.max(...p));
    expect(model.metadata.classNames[best]).toBe(species);
    expect(p.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
  });

  it("rejects a features array that does not match the row count", () => {
    expect(() => model.predict(new Float32Array(5), 1)).toThrow("expected 1 rows × 4 features, got 5 values");
  });

  it("leaves no tensor behind after predictions", () => {
    const before = model.numTensors();
    for (let i = 0; i < 100; i++) model.predict(new Float32Array([5.1, 3.5, 1.4, 0.2]), 1);
    expect(model.numTensors()).toBe(before);
  });

  it("gives the same answers on the cpu backend", async () => {
    const cpu = await loadModel(MODEL_DIR, { backend: "cpu" });
    const rows = Float32Array.from(loadIris().features.flat());
    const viaCpu = cpu.predict(rows, 150);
    expect(cpu.backend).toBe("cpu");
    cpu.dispose();
    const wasm = await loadModel(MODEL_DIR, { backend: "wasm" });
    const viaWasm = wasm.predict(rows, 150);
    wasm.dispose();
    expect([viaCpu.length, viaWasm.length]).toEqual([150 * 3, 150 * 3]);
    viaCpu.forEach((p, i) => expect(p).toBeCloseTo(viaWasm[i] as number, 5));
  });
});

describe("loadModel with broken artifacts", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "infer8s-model-"));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  async function copyWith(edit: (metadata: Record<string, unknown>) => void): Promise<string> {
    const target = await mkdtemp(join(dir, "m-"));
    await cp(MODEL_DIR, target, { recursive: true });
    const metadata = JSON.parse(await readFile(join(target, "metadata.json"), "utf8"));
    edit(metadata);
    await writeFile(join(target, "metadata.json"), JSON.stringify(metadata));
    return target;
  }

  it("names the disagreement when metadata lists a fifth feature", async () => {
    const target = await copyWith((m) => {
      m.featureNames = ["a", "b", "c", "d", "e"];
      m.normalization = { mean: [0, 0, 0, 0, 0], std: [1, 1, 1, 1, 1] };
    });
    await expect(loadModel(target, { backend: "cpu" })).rejects.toThrow(
      "model input shape [null,4] does not take 5 features (metadata.featureNames)",
    );
  });

  it("names the disagreement when metadata lists two classes", async () => {
    const target = await copyWith((m) => {
      m.classNames = ["setosa", "other"];
    });
    await expect(loadModel(target, { backend: "cpu" })).rejects.toThrow(
      "model output shape [null,3] does not give 2 classes (metadata.classNames)",
    );
  });

  it("detects weights that are not the ones the metadata describes", async () => {
    const target = await copyWith(() => {});
    const weights = await readFile(join(target, "weights.bin"));
    weights[0] = (weights[0] ?? 0) ^ 0xff;
    await writeFile(join(target, "weights.bin"), weights);
    await expect(loadModel(target, { backend: "cpu" })).rejects.toThrow(
      /weights hash \w+ does not match metadata.version/,
    );
  });

  it("lists every invalid metadata field", async () => {
    const target = await copyWith((m) => {
      m.version = "";
      m.normalization = { mean: [0], std: [1] };
    });
    const error = await loadModel(target, { backend: "cpu" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelArtifactError);
    expect((error as Error).message).toContain("version must be a non-empty string");
    expect((error as Error).message).toContain(
      "normalization.mean and normalization.std must be 4 finite numbers each",
    );
  });

  it("tells the user to train when there is no model", async () => {
    await expect(loadModel(join(dir, "missing"), { backend: "cpu" })).rejects.toThrow("run `npm run train`");
  });
});

describe("backend selection", () => {
  it.skipIf(nativeInstalled)("auto falls back to wasm and says why tensorflow was skipped", async () => {
    const model = await loadModel(MODEL_DIR, { backend: "auto" });
    expect(model.backend).toBe("wasm");
    expect(model.skippedBackends.map((s) => s.backend)).toEqual(["tensorflow"]);
    model.dispose();
  });

  it.skipIf(nativeInstalled)(
    "an explicit tensorflow backend fails clearly where tfjs-node is absent",
    async () => {
      await expect(loadModel(MODEL_DIR, { backend: "tensorflow" })).rejects.toThrow(
        'TF.js backend "tensorflow" is not available',
      );
    },
  );
});

describe("execution modes", () => {
  it("fused kernels give the same probabilities as LayersModel.predict on every flower", async () => {
    const rows = Float32Array.from(loadIris().features.flat());
    const fused = await loadModel(MODEL_DIR, { backend: "wasm", execution: "fused" });
    const layers = await loadModel(MODEL_DIR, { backend: "wasm", execution: "layers" });
    expect([fused.execution, layers.execution]).toEqual(["fused", "layers"]);
    const a = fused.predict(rows, 150);
    const b = layers.predict(rows, 150);
    expect([a.length, b.length]).toEqual([150 * 3, 150 * 3]);
    a.forEach((p, i) => expect(p).toBeCloseTo(b[i] as number, 6));
    fused.dispose();
    layers.dispose();
  });

  it("fused execution leaves no tensor behind", async () => {
    const model = await loadModel(MODEL_DIR, { backend: "wasm", execution: "fused" });
    const before = model.numTensors();
    for (let i = 0; i < 200; i++) model.predict(new Float32Array(4 * 7).fill(1), 7);
    expect(model.numTensors()).toBe(before);
    model.dispose();
  });
});
