import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { parseAllDocuments } from "yaml";
import { listFiles } from "../dist-diff.js";

/** One synthesized Kubernetes object, with the identity the summary reports it by. */
export interface ManifestObject {
  /** `Kind namespace/name`, or `Kind name` for a cluster-scoped object. */
  readonly id: string;
  readonly kind: string;
  readonly body: Record<string, unknown>;
}

/**
 * A synth output directory, by environment: `""` for the YAML at the top (the default environment),
 * `"staging"` for `staging/*.yaml`, and so on for any depth.
 */
export type ManifestTree = ReadonlyMap<string, ReadonlyMap<string, ManifestObject>>;

/** Identity of a Kubernetes object: kind, namespace (when namespaced) and name. */
export function objectId(body: Record<string, unknown>): string {
  const metadata = (body.metadata ?? {}) as { name?: string; namespace?: string };
  const name = metadata.namespace ? `${metadata.namespace}/${metadata.name}` : String(metadata.name);
  return `${String(body.kind)} ${name}`;
}

/** Reads every `*.yaml`/`*.yml` file under `root` into objects, grouped by the directory that holds them. */
export function readManifestTree(root: string): ManifestTree {
  const tree = new Map<string, Map<string, ManifestObject>>();
  for (const file of listFiles(root).filter((f) => /\.ya?ml$/.test(f))) {
    const environment = dirname(file) === "." ? "" : dirname(file);
    const objects = tree.get(environment) ?? new Map<string, ManifestObject>();
    tree.set(environment, objects);
    for (const document of parseAllDocuments(readFileSync(join(root, file), "utf8"))) {
      const body = document.toJSON() as Record<string, unknown> | null;
      if (!body || typeof body !== "object" || !body.kind) continue;
      const id = objectId(body);
      if (objects.has(id)) throw new Error(`${join(root, file)}: ${id} is synthesized twice`);
      objects.set(id, { id, kind: String(body.kind), body });
    }
  }
  return tree;
}
