import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join, relative } from "node:path";

/** How one directory of synthesized YAML differs from another, by relative file path. */
export interface DirectoryDrift {
  /** In `actual` only. */
  readonly added: string[];
  /** In `expected` only. */
  readonly removed: string[];
  /** In both, with different bytes. */
  readonly changed: string[];
  /** In both, byte-identical. */
  readonly unchanged: string[];
}

/** Compares every file under `expected` with every file under `actual`, byte for byte. */
export function compareDirectories(expected: string, actual: string): DirectoryDrift {
  const expectedFiles = listFiles(expected);
  const actualFiles = listFiles(actual);
  const drift: DirectoryDrift = { added: [], removed: [], changed: [], unchanged: [] };
  for (const file of actualFiles) if (!expectedFiles.includes(file)) drift.added.push(file);
  for (const file of expectedFiles) {
    if (!actualFiles.includes(file)) drift.removed.push(file);
    else if (readFileSync(join(expected, file)).equals(readFileSync(join(actual, file))))
      drift.unchanged.push(file);
    else drift.changed.push(file);
  }
  return drift;
}

/** Relative paths of all files under `root`, sorted; none when `root` does not exist. */
export function listFiles(root: string): string[] {
  if (!existsSync(root)) return [];
  return readdirSync(root, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(root, join(entry.parentPath, entry.name)))
    .sort();
}
