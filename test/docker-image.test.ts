/**
 * Static checks of the Dockerfile against the contract, the committed chart output and the build context.
 * The runtime behaviour of the image is proven by test/production-install.test.ts.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { IMAGE_MODEL_DIR } from "../charts/constructs/inference-service.js";
import { DEFAULT_SETTINGS } from "../charts/settings.js";
import { ENV, PATHS, RUN_AS_GID, RUN_AS_UID, SERVER_PORT } from "../src/contract/index.js";
import {
  contextFiles,
  filesUnder,
  isInContext,
  parseDockerfile,
  readDockerfile,
  readDockerignore,
  stageNamed,
} from "./support/dockerfile.js";

const root = join(import.meta.dirname, "..");
const dockerfile = readDockerfile(root);
const runtime = dockerfile.stages.at(-1)!;
const context = contextFiles(root);
const packageVersion = (JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { version: string })
  .version;

interface Container {
  image: string;
  ports?: { containerPort: number }[];
  env?: { name: string; value?: string }[];
  securityContext?: { runAsUser?: number; runAsGroup?: number };
}
interface Deployment {
  kind: string;
  spec: { template: { spec: { containers: Container[]; securityContext?: { runAsUser?: number } } } };
}

/** The inference server's container in the committed dist/, i.e. what `kubectl apply -f dist` runs. */
function chartServerContainer(): { container: Container; podRunAsUser: number | undefined } {
  const image = `${DEFAULT_SETTINGS.image.repository}:${DEFAULT_SETTINGS.image.tag}`;
  for (const file of readdirSync(join(root, "dist")).filter((f) => f.endsWith(".yaml"))) {
    for (const doc of parseAllDocuments(readFileSync(join(root, "dist", file), "utf8"))) {
      const object = doc.toJS() as Deployment | null;
      if (object?.kind !== "Deployment") continue;
      const podSpec = object.spec.template.spec;
      const container = podSpec.containers.find((c) => c.image === image);
      if (container) return { container, podRunAsUser: podSpec.securityContext?.runAsUser };
    }
  }
  throw new Error(`No Deployment in dist/ runs ${image}`);
}

describe("Dockerfile", () => {
  it("builds every stage from one pinned slim Node 20 image", () => {
    const images = new Set(dockerfile.stages.map((s) => s.baseImage));
    expect(images.size).toBe(1);
    expect([...images][0]).toMatch(/^node:20\.\d+\.\d+-bookworm-slim$/);
  });

  it("has a build, a production-dependencies and a runtime stage, in that order", () => {
    expect(dockerfile.stages.map((s) => s.name)).toEqual(["build", "production-dependencies", "runtime"]);
  });

  it("runs the runtime stage as the numeric non-root uid:gid from src/contract/index.ts", () => {
    expect(runtime.user).toBe(`${RUN_AS_UID}:${RUN_AS_GID}`);
    expect(RUN_AS_UID).toBeGreaterThan(0);
  });

  it("exposes the server port from src/contract/index.ts and nothing else", () => {
    expect(runtime.expose).toEqual([String(SERVER_PORT)]);
  });

  it("starts the compiled server entry with plain node in exec form", () => {
    expect(runtime.cmd).toEqual(["node", "build/src/server/main.js"]);
    expect(context).toContain("src/server/main.ts");
  });

  it("sets NODE_ENV=production and only environment variables the server reads", () => {
    expect(runtime.env.get("NODE_ENV")).toBe("production");
    const known = new Set<string>([...Object.values(ENV), "NODE_ENV"]);
    expect([...runtime.env.keys()].filter((name) => !known.has(name))).toEqual([]);
  });

  it("puts the model where the chart's MODEL_DIR points", () => {
    expect(runtime.workdir).toBe("/app");
    expect(runtime.env.get(ENV.modelDir)).toBe(IMAGE_MODEL_DIR);
    const copies = runtime.steps.flatMap((s) => (s.kind === "copy" ? [s.copy] : []));
    const modelCopy = copies.find((c) => c.from === undefined && c.sources.includes("model"));
    expect(modelCopy?.destination).toBe("./model");
    expect(join(runtime.workdir, modelCopy!.destination)).toBe(IMAGE_MODEL_DIR);
  });

  it("health-checks the readiness path on the contract port", () => {
    const script = runtime.healthcheck?.at(-1) ?? "";
    expect(runtime.healthcheck?.[0]).toBe("node");
    expect(script).toContain(`http://127.0.0.1:${SERVER_PORT}${PATHS.ready}`);
  });

  it("copies only paths that exist and that .dockerignore keeps in the context", () => {
    const sources = dockerfile.stages.flatMap((stage) =>
      stage.steps.flatMap((s) => (s.kind === "copy" && s.copy.from === undefined ? s.copy.sources : [])),
    );
    expect(sources.length).toBeGreaterThan(0);
    const missing = sources.filter((source) => filesUnder(context, source).length === 0);
    expect(missing).toEqual([]);
  });

  it("copies from earlier stages only", () => {
    dockerfile.stages.forEach((stage, index) => {
      const earlier = dockerfile.stages.slice(0, index).map((s) => s.name);
      for (const step of stage.steps) {
        if (step.kind === "copy" && step.copy.from !== undefined) expect(earlier).toContain(step.copy.from);
      }
    });
  });

  it("installs production dependencies from the lock file without dev dependencies", () => {
    const commands = stageNamed(dockerfile, "production-dependencies").steps.flatMap((s) =>
      s.kind === "run" ? [s.command] : [],
    );
    expect(commands.join("\n")).toMatch(/npm ci --omit=dev/);
    expect(commands.join("\n")).not.toMatch(/npm install/);
  });
});

describe("Dockerfile and chart agree", () => {
  const { container, podRunAsUser } = chartServerContainer();

  it("tags the chart's image with the package version", () => {
    expect(DEFAULT_SETTINGS.image.tag).toBe(packageVersion);
  });

  it("runs the pod as the image's USER", () => {
    expect(container.securityContext?.runAsUser ?? podRunAsUser).toBe(Number(runtime.user?.split(":")[0]));
    expect(container.securityContext?.runAsGroup).toBe(Number(runtime.user?.split(":")[1]));
  });

  it("targets the port the image exposes", () => {
    expect(container.ports?.map((p) => String(p.containerPort))).toEqual(runtime.expose);
  });

  it("points MODEL_DIR at the model the image copies", () => {
    const modelDir = container.env?.find((e) => e.name === ENV.modelDir)?.value;
    expect(modelDir).toBe(runtime.env.get(ENV.modelDir));
  });
});

describe(".dockerignore", () => {
  const patterns = readDockerignore(root);

  it.each([
    ".git/config",
    "node_modules/hono/package.json",
    "build/src/server/main.js",
    "dist/x.yaml",
    ".env",
    ".npmrc",
  ])("keeps %s out of the build context", (path) => {
    expect(isInContext(patterns, path)).toBe(false);
  });

  it.each([
    "src/model/load-model.test.ts",
    "src/training/train.ts",
    "ops/main.ts",
    "charts/app.ts",
    "bench/run.ts",
  ])("keeps %s (tests, training, the synthesizer and operations tooling) out", (path) => {
    expect(isInContext(patterns, path)).toBe(false);
  });

  it.each(["src/server/main.ts", "src/contract/index.ts", "src/model/load-model.ts", "model/model.json"])(
    "lets %s (the server, the contract, the model code and the model) in",
    (path) => {
      expect(isInContext(patterns, path)).toBe(true);
    },
  );
});

describe("test/support/dockerfile.ts", () => {
  it("rejects a shell-form CMD", () => {
    expect(() => parseDockerfile("FROM node:20\nCMD node main.js\n")).toThrow(
      "Use exec form (a JSON array): CMD node main.js",
    );
  });

  it("joins continuation lines and skips comments inside them", () => {
    const parsed = parseDockerfile("FROM node:20 AS a\nRUN echo one \\\n  # note\n  && echo two\n");
    expect(parsed.stages[0]?.steps).toEqual([{ kind: "run", command: "echo one && echo two" }]);
  });

  it("substitutes global ARG defaults in FROM", () => {
    expect(
      parseDockerfile("ARG BASE=node:20.1.0-bookworm-slim\nFROM ${BASE} AS x\n").stages[0]?.baseImage,
    ).toBe("node:20.1.0-bookworm-slim");
  });

  it("applies .dockerignore patterns in order, the last match winning", () => {
    expect(isInContext(["*", "!src/", "**/*.test.ts"], "src/a/b.ts")).toBe(true);
    expect(isInContext(["*", "!src/", "**/*.test.ts"], "src/a/b.test.ts")).toBe(false);
    expect(isInContext(["*", "!src/"], "README.md")).toBe(false);
    expect(isInContext([], "anything")).toBe(true);
  });
});
