/**
 * The API keys: read from a directory holding one file per key (file name = key id, content = key), which
 * is how Kubernetes mounts a Secret, and re-read when the directory changes, without a restart.
 *
 * Only SHA-256 digests of the keys are kept, in a map from digest to key id. Looking a presented key up
 * there takes the same time whatever the key's content: the presented key is hashed in full, and the map
 * compares digests, whose shared prefix with a real key's digest says nothing about the key (finding a key
 * from its digest is a preimage attack on SHA-256). A character-by-character comparison of the keys
 * themselves would return sooner the earlier a guess goes wrong, letting a client find a key one
 * character at a time from response times.
 */
import * as crypto from "node:crypto";
import { type FSWatcher, readFileSync, readdirSync, readlinkSync, statSync, watch } from "node:fs";
import { join } from "node:path";
import type { Logger } from "./logger.js";

/** How often the directory is checked for changes, besides `fs.watch` (which may miss some on some filesystems). */
export const KEYS_POLL_INTERVAL_MS = 10_000;

/** The link kubelet swaps, in one rename, to publish a new version of a mounted Secret. */
const KUBELET_DATA_LINK = "..data";

/** What a key id may be: the characters of a Secret data key, at most 253 of them. */
const KEY_ID = /^[-._a-zA-Z0-9]{1,253}$/;

/**
 * The digest under which a key is stored and looked up: SHA-256 of its UTF-8 bytes, in base64. Node's one-shot
 * `crypto.hash` (20.12+) takes ~0.5 µs where a `createHash` object takes ~1.5 µs; this runs on every request.
 */
export const keyDigest: (key: string) => string =
  // A namespace import: a named import of `hash` would fail to link on Node before 20.12.
  typeof crypto.hash === "function"
    ? (key) => crypto.hash("sha256", key, "base64")
    : (key) => crypto.createHash("sha256").update(key, "utf8").digest("base64");

/** One version of the key set: digest of each key to its id. */
export type KeyTable = ReadonlyMap<string, string>;

/**
 * Reads every key in `dir`: each regular file whose name is a valid key id (kubelet's `..`-prefixed
 * entries are skipped) holds one key; a trailing newline (as `--from-file` may leave) is not part of it.
 * The bytes are read as Latin-1, as Node decodes header values, so a non-ASCII key in the file matches
 * the same bytes in a header.
 *
 * @throws Error when the directory cannot be read, or a key file is empty or unreadable. Messages name
 *   the file (the key id), never its content.
 */
export function readKeyTable(dir: string): KeyTable {
  const table = new Map<string, string>();
  for (const name of readdirSync(dir)) {
    if (name.startsWith("..") || !KEY_ID.test(name)) continue;
    const path = join(dir, name);
    if (!statSync(path).isFile()) continue;
    const key = readFileSync(path, "latin1").replace(/\r?\n$/, "");
    if (key.length === 0) throw new Error(`API key file ${path} is empty`);
    table.set(keyDigest(key), name);
  }
  return table;
}

/** What changes when the key files do: kubelet's link target, or else each entry's name, size and time. */
function fingerprint(dir: string): string {
  try {
    return readlinkSync(join(dir, KUBELET_DATA_LINK));
  } catch {
    return readdirSync(dir)
      .map((name) => {
        const stat = statSync(join(dir, name));
        return `${name}:${stat.size}:${stat.mtimeMs}`;
      })
      .join("/");
  }
}

export interface ApiKeysOptions {
  /** Directory of key files. */
  readonly dir: string;
  /** Where reloads are reported (key ids and counts only). */
  readonly logger: Logger;
  /** Poll interval. @default KEYS_POLL_INTERVAL_MS */
  readonly pollIntervalMs?: number;
}

/**
 * The current key set, kept up to date. Created with {@link ApiKeys.load}, which fails when the keys cannot
 * be read: a server in api-key mode must not start without them. A later reload that fails keeps the last
 * good set (and logs a warning): a half-written Secret update must not lock every client out, nor open
 * the service.
 *
 * @example
 * const keys = ApiKeys.load({ dir: "/var/run/secrets/infer8s/api-keys", logger });
 * keys.idOf(presentedKey); // "ci-2026" or undefined
 * keys.close();
 */
export class ApiKeys {
  private table: KeyTable;
  private version: string;
  private readonly watcher: FSWatcher | undefined;
  private readonly timer: NodeJS.Timeout;

  private constructor(private readonly options: Required<ApiKeysOptions>) {
    this.version = fingerprint(options.dir);
    this.table = readKeyTable(options.dir);
    this.reportLoaded("API keys loaded");
    const check = () => this.reloadIfChanged();
    try {
      this.watcher = watch(options.dir, { persistent: false }, check);
      this.watcher.on("error", () => undefined); // the poll still runs
    } catch {
      this.watcher = undefined;
    }
    this.timer = setInterval(check, options.pollIntervalMs);
    this.timer.unref();
  }

  /** Reads the keys in `dir` and starts watching it. @throws Error when the keys cannot be read. */
  static load(options: ApiKeysOptions): ApiKeys {
    return new ApiKeys({ pollIntervalMs: KEYS_POLL_INTERVAL_MS, ...options });
  }

  /** The id of `key`, or undefined when it is not one of the keys. */
  idOf(key: string): string | undefined {
    return this.table.get(keyDigest(key));
  }

  /** The ids of the current keys. */
  get ids(): string[] {
    return [...new Set(this.table.values())].sort();
  }

  /** Re-reads the keys if the directory changed since the last read. */
  reloadIfChanged(): void {
    let version: string;
    try {
      version = fingerprint(this.options.dir);
      if (version === this.version) return;
      this.table = readKeyTable(this.options.dir);
    } catch (error) {
      this.options.logger.warn(
        { dir: this.options.dir, reason: (error as Error).message, key_ids: this.ids },
        "API keys could not be re-read; still using the last ones read",
      );
      return;
    }
    this.version = version;
    this.reportLoaded("API keys reloaded");
  }

  /** Stops watching. */
  close(): void {
    this.watcher?.close();
    clearInterval(this.timer);
  }

  private reportLoaded(message: string): void {
    const ids = this.ids;
    if (ids.length === 0) {
      this.options.logger.warn(
        { dir: this.options.dir },
        `${message}: none found; every request but the probes will be refused with 401`,
      );
    } else {
      this.options.logger.info({ dir: this.options.dir, key_ids: ids }, message);
    }
  }
}
