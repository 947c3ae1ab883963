/* eslint-disable @typescript-eslint/no-explicit-any -- tests navigate synthesized YAML freely; the schema checks type it */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadManifestDir, manifestProblems } from "../test/support/k8s-checks.js";
import { applicationProblems, type ArgoCdApplication } from "./constructs/argocd-application.js";
import { buildEnvironmentApps } from "./environment-apps.js";
import {
  ARGOCD_DIRECTORY,
  DEFAULT_ENVIRONMENT,
  ENVIRONMENTS,
  PRODUCTION,
  STAGING,
  environmentDirectory,
  findEnvironment,
  repositoryPath,
  resolveEnvironments,
  type Environment,
} from "./environments.js";
import type { GitOpsChart } from "./gitops-chart.js";
import { DEFAULT_SETTINGS, PACKAGE_VERSION, type SettingsOverrides } from "./settings.js";

const scratch = mkdtempSync(join(tmpdir(), "infer8s-environments-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const REPOSITORY = "https://github.com/example/infer8s.git";

/** The environments with extra overrides merged into each one's own (shallowly per top-level key). */
function withOverrides(extra: SettingsOverrides, environments = ENVIRONMENTS): Environment[] {
  return environments.map((e) => ({ ...e, overrides: { ...e.overrides, ...extra } }));
}

function errorOf(environments: readonly Environment[]): string {
  try {
    resolveEnvironments(environments);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error("resolveEnvironments accepted invalid environments");
}

describe("ENVIRONMENTS", () => {
  it("are the default (DEFAULT_SETTINGS unchanged, at the top of dist/), development, staging and production", () => {
    expect(ENVIRONMENTS.map((e) => [e.name, environmentDirectory(e), repositoryPath(e)])).toEqual([
      ["default", "", "dist"],
      ["development", "development", "dist/development"],
      ["staging", "staging", "dist/staging"],
      ["production", "production", "dist/production"],
    ]);
    const [first] = resolveEnvironments();
    expect(first?.environment).toBe(DEFAULT_ENVIRONMENT);
    expect(first?.settings).toEqual(DEFAULT_SETTINGS);
  });

  it("pin image tags (production the package version) and never use latest", () => {
    const resolved = resolveEnvironments();
    expect(resolved.every((r) => r.settings.image.tag !== "latest")).toBe(true);
    expect(resolved.find((r) => r.environment === PRODUCTION)?.settings.image.tag).toBe(PACKAGE_VERSION);
  });

  it("fail naming the environment and the setting when a value is invalid", () => {
    const broken = { ...STAGING, overrides: { ...STAGING.overrides, autoscaling: { maxReplicas: 1 } } };
    expect(errorOf([DEFAULT_ENVIRONMENT, broken])).toBe(
      'Invalid settings for environment "staging":\n' +
        "  - autoscaling.maxReplicas: must be an integer from 2 to 1000, got 1\n" +
        "  - autoscaling.maxReplicas: must be >= autoscaling.minReplicas (2), got 1",
    );
  });

  it("report every invalid environment at once", () => {
    const message = errorOf(withOverrides({ image: { tag: "latest" } }));
    for (const e of ENVIRONMENTS) expect(message).toContain(`Invalid settings for environment "${e.name}":`);
  });

  it("refuse two environments in one namespace, which would collide in a shared cluster", () => {
    const clash = { ...STAGING, overrides: { ...STAGING.overrides, namespace: "infer8s" } };
    expect(errorOf([DEFAULT_ENVIRONMENT, clash])).toBe(
      'environment "staging": namespace "infer8s" is already used by environment "default"; environments sharing a cluster need their own namespaces',
    );
    const monitoringClash = {
      ...STAGING,
      overrides: { ...STAGING.overrides, monitoring: { namespace: "monitoring" } },
    };
    expect(errorOf([DEFAULT_ENVIRONMENT, monitoringClash])).toContain(
      'monitoring.namespace "monitoring" is already used by environment "default"',
    );
  });

  it("are found by name, and an unknown name lists the known ones", () => {
    expect(findEnvironment("staging")).toBe(STAGING);
    expect(() => findEnvironment("prod")).toThrow(
      'unknown environment "prod"; known: default, development, staging, production',
    );
  });

  it("refuse a name that cannot be a directory beside the others", () => {
    expect(errorOf([{ ...STAGING, name: ARGOCD_DIRECTORY }])).toContain(
      `environment "argocd": name must be a lowercase word`,
    );
    expect(errorOf([STAGING, STAGING])).toContain('environment "staging": defined twice');
  });
});

describe("buildEnvironmentApps", () => {
  it("writes no Argo CD Applications while gitops.repositoryUrl is unset (the committed default)", () => {
    const outdir = join(scratch, "no-gitops");
    const built = buildEnvironmentApps(outdir);
    expect(built.argocd).toBeUndefined();
    for (const app of built.apps) app.synth();
    expect(existsSync(join(outdir, ARGOCD_DIRECTORY))).toBe(false);
    expect(readdirSync(outdir).sort()).toEqual([
      "0000-namespaces.k8s.yaml",
      "0001-inference.k8s.yaml",
      "0002-monitoring.k8s.yaml",
      "development",
      "production",
      "staging",
    ]);
  });

  describe("with gitops.repositoryUrl set", () => {
    const outdir = join(scratch, "gitops");
    const built = buildEnvironmentApps(outdir, withOverrides({ gitops: { repositoryUrl: REPOSITORY } }));
    for (const app of built.apps) app.synth();
    // In environment order (the files are named after the environments, and so sort differently).
    const loaded = loadManifestDir(join(outdir, ARGOCD_DIRECTORY)).sort(
      (a, b) =>
        ENVIRONMENTS.findIndex((e) => a.file === `${e.name}.k8s.yaml`) -
        ENVIRONMENTS.findIndex((e) => b.file === `${e.name}.k8s.yaml`),
    );
    const applications = loaded.map((l) => l.object) as any[];

    it("writes one Application per environment into <outdir>/argocd, one file each", () => {
      expect(loaded.map((l) => l.file)).toEqual([
        "default.k8s.yaml",
        "development.k8s.yaml",
        "staging.k8s.yaml",
        "production.k8s.yaml",
      ]);
      expect(applications.map((a) => `${a.metadata.namespace}/${a.metadata.name}`)).toEqual([
        "argocd/infer8s",
        "argocd/infer8s-development",
        "argocd/infer8s-staging",
        "argocd/infer8s-production",
      ]);
    });

    it("points each at its own directory of dist/, never recursing into the others", () => {
      expect(applications.map((a) => a.spec.source)).toEqual(
        ENVIRONMENTS.map((e) => ({
          repoURL: REPOSITORY,
          targetRevision: "main",
          path: repositoryPath(e),
          directory: { recurse: false },
        })),
      );
      expect(applications.map((a) => a.spec.destination.namespace)).toEqual(
        built.environments.map((e) => e.settings.namespace),
      );
    });

    it("syncs automatically with prune and self-heal, leaving namespaces to the manifests", () => {
      for (const application of applications) {
        expect(application.spec.project).toBe("default");
        expect(application.spec.destination.server).toBe("https://kubernetes.default.svc");
        expect(application.spec.syncPolicy).toEqual({
          automated: { prune: true, selfHeal: true },
          syncOptions: ["CreateNamespace=false", "ServerSideApply=true", "PruneLast=true"],
        });
      }
    });

    it("validates against the Argo CD CRD schema and every manifest check", async () => {
      expect(applications).toHaveLength(ENVIRONMENTS.length);
      expect(await manifestProblems(applications, { externalNamespaces: ["argocd"] })).toEqual([]);
    });

    it("takes sync policy, revision and namespace from settings", () => {
      const manual = buildEnvironmentApps(
        join(scratch, "manual"),
        withOverrides(
          {
            gitops: {
              repositoryUrl: "git@github.com:example/infer8s.git",
              targetRevision: "v0.1.0",
              automated: false,
              namespace: "gitops",
            },
          },
          [STAGING],
        ),
      );
      const chart = manual.argocd?.node.findChild("staging") as GitOpsChart;
      const { manifest } = chart.application as ArgoCdApplication;
      expect(manifest.metadata.namespace).toBe("gitops");
      expect(manifest.spec.source?.targetRevision).toBe("v0.1.0");
      expect(manifest.spec.syncPolicy).toEqual({
        syncOptions: ["CreateNamespace=false", "ServerSideApply=true", "PruneLast=true"],
      });
    });
  });

  it("fails at synth when the Application breaks the CRD schema", () => {
    const valid = (
      buildEnvironmentApps(
        join(scratch, "schema"),
        withOverrides({ gitops: { repositoryUrl: REPOSITORY } }, [STAGING]),
      ).argocd?.node.findChild("staging") as GitOpsChart
    ).application.manifest;
    expect(applicationProblems(valid)).toEqual([]);
    const broken = { ...valid, spec: { ...valid.spec, destination: { server: 42 } } } as any;
    expect(applicationProblems(broken)).toEqual([
      expect.stringMatching(/^Argo CD Application infer8s-staging: .*destination\/server.*string/),
    ]);
  });

  it("rejects an invalid repository URL by its setting and environment", () => {
    expect(errorOf(withOverrides({ gitops: { repositoryUrl: "github.com/example" } }, [PRODUCTION]))).toBe(
      'Invalid settings for environment "production":\n  - gitops.repositoryUrl: must be a Git URL such as https://github.com/OWNER/infer8s.git or git@github.com:OWNER/infer8s.git, got "github.com/example"',
    );
  });
});

// kubectl resolves kinds through API discovery even for --dry-run=client, so without a cluster it reports
// "unable to recognize <file>" once per object it read: exactly the objects a real apply would send.
const kubectl = spawnSync("kubectl", ["version", "--client"], { encoding: "utf8" });
describe.skipIf(kubectl.status !== 0)("kubectl on dist/ (client only, no cluster)", () => {
  /** The file of every object kubectl reads for these arguments, in its order. */
  const objectsRead = (...args: string[]) => {
    const result = spawnSync(
      "kubectl",
      [
        "create",
        "--dry-run=client",
        "--validate=false",
        "-o",
        "name",
        "--server=http://127.0.0.1:9",
        ...args,
      ],
      { encoding: "utf8", env: { ...process.env, KUBECONFIG: "/dev/null" } },
    );
    return [...result.stderr.matchAll(/unable to recognize "([^"]+)"/g)].map((m) => m[1]);
  };
  /** The file of every object in `dir` (and its subdirectories when `recursive`), as the tests load them. */
  const objectsIn = (dir: string, recursive = false) =>
    (recursive ? ENVIRONMENTS.map((e) => join(dir, environmentDirectory(e))) : [dir]).flatMap((d) =>
      loadManifestDir(d).map((l) => join(d, l.file)),
    );

  it("reads exactly the default environment's objects for -f dist", () => {
    const read = objectsRead("-f", "dist");
    expect(read.length).toBeGreaterThan(0);
    expect(read).toEqual(objectsIn("dist"));
    expect(read.some((file) => file?.startsWith("dist/staging/"))).toBe(false);
  });

  it("reads exactly one environment for -f dist/<environment>", () => {
    expect(objectsRead("-f", "dist/staging")).toEqual(objectsIn("dist/staging"));
  });

  it("reads every environment with -R, which is why the README forbids it on dist/", () => {
    expect(objectsRead("-R", "-f", "dist").sort()).toEqual(objectsIn("dist", true).sort());
  });
});
