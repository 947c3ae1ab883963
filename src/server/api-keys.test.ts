import { mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inspect } from "node:util";
import { afterEach, describe, expect, it } from "vitest";
import { ApiKeys, keyDigest, readKeyTable } from "./api-keys.js";
import { createLogger } from "./logger.js";

const dirs: string[] = [];
const stores: ApiKeys[] = [];
afterEach(() => {
  for (const store of stores.splice(0)) store.close();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "infer8s-keys-"));
  dirs.push(dir);
  return dir;
}

let version = 0;
/**
 * Publishes `keys` the way kubelet updates a mounted Secret, with files in a fresh timestamped directory, a
 * `..data_tmp` link to it renamed over `..data` in one step, and one link per key id to `..data/<id>`.
 */
function publishLikeKubelet(dir: string, keys: Record<string, string>): void {
  const versionDir = `..2026_12_01_${String(version++).padStart(4, "0")}`;
  mkdirSync(join(dir, versionDir));
  for (const [id, key] of Object.entries(keys)) writeFileSync(join(dir, versionDir, id), key);
  symlinkSync(versionDir, join(dir, "..data_tmp"));
  renameSync(join(dir, "..data_tmp"), join(dir, "..data"));
  for (const id of Object.keys(keys)) {
    try {
      symlinkSync(join("..data", id), join(dir, id));
    } catch {
      // the link exists from an earlier version and follows ..data
    }
  }
}

function collectingLogger() {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger("info", { write: (line: string) => void lines.push(JSON.parse(line)) });
  return { logger, lines, text: () => JSON.stringify(lines) };
}

async function waitFor(condition: () => boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`not within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe("readKeyTable", () => {
  it("maps each key's digest to its id, skipping kubelet's ..-entries and a trailing newline", () => {
    const dir = tempDir();
    publishLikeKubelet(dir, { "ci-2026": "s3cret-one\n", "team.b": "s3cret-two" });
    const table = readKeyTable(dir);
    expect([...table.entries()].sort()).toEqual(
      [
        [keyDigest("s3cret-one"), "ci-2026"],
        [keyDigest("s3cret-two"), "team.b"],
      ].sort(),
    );
  });

  it("refuses an empty key file, naming the file and nothing else", () => {
    const dir = tempDir();
    writeFileSync(join(dir, "empty"), "");
    expect(() => readKeyTable(dir)).toThrow(`API key file ${join(dir, "empty")} is empty`);
  });

  it("fails on a directory that does not exist", () => {
    expect(() => readKeyTable(join(tempDir(), "missing"))).toThrow(/ENOENT/);
  });
});

describe("ApiKeys.idOf (digest lookup: time independent of how much of a guess is right)", () => {
  it("finds the id of every key and nothing for near misses", () => {
    const dir = tempDir();
    publishLikeKubelet(dir, { a: "correct-horse-battery", b: "ÿ-latin1-key" });
    const { logger } = collectingLogger();
    const keys = ApiKeys.load({ dir, logger });
    stores.push(keys);
    expect(keys.idOf("correct-horse-battery")).toBe("a");
    // The file holds UTF-8; a client sending the same bytes in a header reaches Node as Latin-1 text.
    expect(keys.idOf(Buffer.from("ÿ-latin1-key", "utf8").toString("latin1"))).toBe("b");
    for (const miss of ["correct-horse-batter", "correct-horse-battery ", "Correct-horse-battery", "", "a"]) {
      expect(keys.idOf(miss)).toBeUndefined();
    }
  });

  it("holds digests only: no key appears in the store or its log lines", () => {
    const dir = tempDir();
    publishLikeKubelet(dir, { a: "visible-if-kept-in-plain-text" });
    const { logger, text } = collectingLogger();
    const keys = ApiKeys.load({ dir, logger });
    stores.push(keys);
    expect(inspect(keys, { depth: 10, showHidden: true })).not.toContain("visible-if-kept");
    expect(text()).toContain('"key_ids":["a"]');
    expect(text()).not.toContain("visible-if-kept");
  });

  it("hashes the presented key in full whatever its length (SHA-256 digests of fixed length)", () => {
    expect(keyDigest("x")).toHaveLength(44);
    expect(keyDigest("x".repeat(4096))).toHaveLength(44);
    expect(keyDigest("x".repeat(4096))).not.toBe(keyDigest("x".repeat(4095)));
  });
});

describe("ApiKeys reload", () => {
  it("accepts a new key and refuses the removed one after kubelet swaps ..data, without a restart", async () => {
    const dir = tempDir();
    publishLikeKubelet(dir, { old: "old-key-000" });
    const { logger, lines } = collectingLogger();
    const keys = ApiKeys.load({ dir, logger, pollIntervalMs: 50 });
    stores.push(keys);
    expect(keys.idOf("old-key-000")).toBe("old");

    publishLikeKubelet(dir, { old: "old-key-000", new: "new-key-111" });
    await waitFor(() => keys.idOf("new-key-111") === "new", 1000);
    expect(keys.idOf("old-key-000")).toBe("old");

    // Rotation's last step: the old key leaves the Secret; kubelet removes its link.
    rmSync(join(dir, "old"));
    publishLikeKubelet(dir, { new: "new-key-111" });
    await waitFor(() => keys.idOf("old-key-000") === undefined, 1000);
    expect(keys.idOf("new-key-111")).toBe("new");
    expect(lines.filter((l) => l.msg === "API keys reloaded").map((l) => l.key_ids)).toContainEqual(["new"]);
  });

  it("finds a change by polling alone when no watch event arrives", () => {
    const dir = tempDir();
    publishLikeKubelet(dir, { a: "first-key-aaa" });
    const { logger } = collectingLogger();
    const keys = ApiKeys.load({ dir, logger, pollIntervalMs: 60_000 });
    stores.push(keys);
    keys.close(); // no watcher, no timer: only the explicit check below
    publishLikeKubelet(dir, { a: "second-key-bbb" });
    keys.reloadIfChanged();
    expect(keys.idOf("second-key-bbb")).toBe("a");
    expect(keys.idOf("first-key-aaa")).toBeUndefined();
  });

  it("keeps the last good keys when a reload fails, and says so without key material", () => {
    const dir = tempDir();
    publishLikeKubelet(dir, { a: "good-key-aaa" });
    const { logger, lines, text } = collectingLogger();
    const keys = ApiKeys.load({ dir, logger, pollIntervalMs: 60_000 });
    stores.push(keys);
    keys.close();
    publishLikeKubelet(dir, { a: "", b: "would-be-key-bbb" });
    keys.reloadIfChanged();
    expect(keys.idOf("good-key-aaa")).toBe("a");
    expect(keys.idOf("would-be-key-bbb")).toBeUndefined();
    expect(lines.at(-1)).toMatchObject({
      level: "warn",
      msg: "API keys could not be re-read; still using the last ones read",
      key_ids: ["a"],
    });
    expect(text()).not.toContain("good-key-aaa");
    expect(text()).not.toContain("would-be-key");
  });

  it("warns that every request will be refused when the directory holds no key", () => {
    const dir = tempDir();
    const { logger, lines } = collectingLogger();
    const keys = ApiKeys.load({ dir, logger });
    stores.push(keys);
    expect(keys.ids).toEqual([]);
    expect(lines[0]).toMatchObject({ level: "warn" });
    expect(String(lines[0]?.msg)).toMatch(/every request but the probes will be refused with 401/);
  });
});
