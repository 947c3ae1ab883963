import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { DEFAULT_TRAINING } from "./train-model.js";
import { trainAndSave } from "./training-run.js";

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "infer8s-train-"));
  dirs.push(dir);
  return dir;
}
afterAll(async () => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

const quick = { ...DEFAULT_TRAINING, epochs: 5 };

describe("trainAndSave", () => {
  it("gives byte-identical artifacts for the same seed", async () => {
    const [a, b] = [await tempDir(), await tempDir()];
    await trainAndSave(join(a, "model"), quick);
    await trainAndSave(join(b, "model"), quick);
    for (const file of ["model.json", "weights.bin", "metadata.json"]) {
      expect(await readFile(join(b, "model", file)), file).toEqual(await readFile(join(a, "model", file)));
    }
  });

  it("gives different weights for a different seed", async () => {
    const [a, b] = [await tempDir(), await tempDir()];
    const first = await trainAndSave(join(a, "model"), quick);
    const second = await trainAndSave(join(b, "model"), { ...quick, seed: quick.seed + 1 });
    expect(second.version).not.toBe(first.version);
    expect(await readFile(join(b, "model", "weights.bin"))).not.toEqual(
      await readFile(join(a, "model", "weights.bin")),
    );
  });

  it("records training config, data hash and no wall-clock time in the metadata", async () => {
    const dir = await tempDir();
    const metadata = await trainAndSave(join(dir, "model"), quick);
    expect(metadata.training).toMatchObject({ seed: 42, epochs: 5, layers: [4, 16, 16, 3] });
    expect(metadata.dataset).toMatchObject({ file: "src/training/iris.csv", rows: 150 });
    const text = await readFile(join(dir, "model", "metadata.json"), "utf8");
    expect(text).not.toMatch(/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/);
  });
});
