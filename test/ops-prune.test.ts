/**
 * `npm run ops -- deploy` prunes, end to end with the real kubectl (skipped where it is not installed)
 * against test/support/fake-apiserver.ts: an object removed from the YAML is deleted on the next deploy,
 * `diff` names it first, and objects infer8s did not create (or another ApplySet owns) stay.
 */
import { spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { applySetFor } from "../ops/applyset.js";
import { startFakeApiServer, type FakeApiServer } from "./support/fake-apiserver.js";
import { runScript, type ScriptRun } from "./support/run-script.js";

const root = join(import.meta.dirname, "..");
const kubectlInstalled = spawnSync("kubectl", ["version", "--client"], { encoding: "utf8" }).status === 0;
const scratch = mkdtempSync(join(tmpdir(), "infer8s-ops-prune-"));
const distDir = join(scratch, "dist");
const set = applySetFor(undefined);
let server: FakeApiServer;

function ops(...args: string[]): Promise<ScriptRun> {
  return runScript("ops/main.ts", ["--dist", distDir, ...args], {
    cwd: root,
    // HOME: kubectl's discovery cache goes to the scratch directory, not the user's.
    env: { PATH: process.env.PATH, HOME: scratch, KUBECONFIG: join(scratch, "kubeconfig") },
  });
}

/** Removes the documents of `kind` named `name` from a YAML file of the copied dist/. */
function removeFromYaml(file: string, kind: string, name: string): void {
  const path = join(distDir, file);
  const kept = parseAllDocuments(readFileSync(path, "utf8")).filter((doc) => {
    const object = doc.toJS() as { kind: string; metadata: { name: string } } | null;
    return object !== null && !(object.kind === kind && object.metadata.name === name);
  });
  writeFileSync(path, kept.map((doc) => doc.toString()).join("---\n"));
}

const stored = (key: string) => server.objects.get(key);

beforeAll(async () => {
  server = await startFakeApiServer();
  cpSync(join(root, "dist"), distDir, { recursive: true });
  writeFileSync(
    join(scratch, "kubeconfig"),
    [
      "apiVersion: v1",
      "kind: Config",
      `clusters: [{ name: fake, cluster: { server: "${server.url}" } }]`,
      "contexts: [{ name: fake, context: { cluster: fake, user: fake } }]",
      "users: [{ name: fake, user: {} }]",
      "current-context: fake",
      "",
    ].join("\n"),
  );
});
afterAll(async () => {
  await server?.close();
  rmSync(scratch, { recursive: true, force: true });
});

describe.skipIf(!kubectlInstalled)(
  "ops deploy prunes with kubectl's ApplySet (real kubectl, fake API server)",
  () => {
    it("the first deploy labels every object as a member and records the set on its parent", async () => {
      const run = await ops("deploy");
      expect(run.stderr).toBe("");
      expect(run.status).toBe(0);
      const deployment = stored("deployments.apps/infer8s/iris-inference");
      expect(deployment?.metadata.labels?.["applyset.kubernetes.io/part-of"]).toBe(set.id);
      expect(
        stored("clusterroles.rbac.authorization.k8s.io//infer8s-prometheus-nodes")?.metadata.labels,
      ).toMatchObject({
        "applyset.kubernetes.io/part-of": set.id,
      });
      const parent = stored(`applysets.infer8s.io//${set.name}`);
      expect(parent?.metadata.labels?.["applyset.kubernetes.io/id"]).toBe(set.id);
      expect(parent?.metadata.annotations?.["applyset.kubernetes.io/additional-namespaces"]).toBe(
        "infer8s,monitoring",
      );
      expect(parent?.metadata.annotations?.["applyset.kubernetes.io/contains-group-kinds"]).toContain(
        "ClusterRole.rbac.authorization.k8s.io",
      );
      expect(server.writes.filter((write) => write.startsWith("DELETE"))).toEqual([]);
    });

    it("diff names what the next deploy deletes, and deploy deletes exactly that", async () => {
      // Objects in the same namespaces that infer8s did not create, one of them another ApplySet's member.
      server.objects.set("configmaps/monitoring/not-ours", {
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: { name: "not-ours", namespace: "monitoring", uid: "u-1" },
      });
      server.objects.set("configmaps/infer8s/another-set", {
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: {
          name: "another-set",
          namespace: "infer8s",
          uid: "u-2",
          labels: { "applyset.kubernetes.io/part-of": applySetFor("staging").id },
        },
      });
      server.objects.set("clusterroles.rbac.authorization.k8s.io//not-ours", {
        apiVersion: "rbac.authorization.k8s.io/v1",
        kind: "ClusterRole",
        metadata: { name: "not-ours", uid: "u-3" },
      });
      removeFromYaml("0002-monitoring.k8s.yaml", "ConfigMap", "grafana-dashboards");
      removeFromYaml("0002-monitoring.k8s.yaml", "ClusterRole", "infer8s-prometheus-nodes");
      const writesBefore = server.writes.length;

      const diff = await ops("diff");
      expect(diff.status).toBe(1);
      expect(diff.stdout).toContain("deploy would delete 2 object(s)");
      expect(diff.stdout).toMatch(/configmap\/grafana-dashboards pruned \(server dry run\)/);
      expect(diff.stdout).toMatch(
        /clusterrole\.rbac\.authorization\.k8s\.io\/infer8s-prometheus-nodes pruned/,
      );
      expect(server.writes.slice(writesBefore), diff.stdout + diff.stderr).toEqual([]);

      const deploy = await ops("deploy");
      expect(deploy.status).toBe(0);
      expect(server.writes.filter((write) => write.startsWith("DELETE")).sort()).toEqual([
        "DELETE clusterroles//infer8s-prometheus-nodes",
        "DELETE configmaps/monitoring/grafana-dashboards",
      ]);
      for (const key of [
        "configmaps/monitoring/not-ours",
        "configmaps/infer8s/another-set",
        "clusterroles.rbac.authorization.k8s.io//not-ours",
        "configmaps/monitoring/grafana-config",
      ]) {
        expect(stored(key), key).toBeDefined();
      }
      expect(stored("configmaps/monitoring/grafana-dashboards")).toBeUndefined();
    });

    it("delete removes the objects and then the ApplySet parent", async () => {
      const run = await ops("delete", "--yes");
      expect(run.status).toBe(0);
      expect(stored(`applysets.infer8s.io//${set.name}`)).toBeUndefined();
      expect(stored("deployments.apps/infer8s/iris-inference")).toBeUndefined();
      expect(stored("configmaps/monitoring/not-ours")).toBeDefined();
    });
  },
);
