/**
 * Proves the image's runtime stage without a Docker engine: replays the Dockerfile's COPY and RUN
 * instructions stage by stage into temporary directories (each standing for its stage's WORKDIR), then
 * starts the runtime stage's CMD with plain `node` and the stage's ENV, and talks HTTP to it.
 *
 * Two deliberate differences from `docker build`, both about the network, not the files:
 * - the build stage's `npm ci` (all dev dependencies) is replaced by a link to this checkout's
 *   node_modules, installed from the same lock file; its `npm run build` runs for real on the copied files;
 * - the build arg TFJS_NODE is `optional`: tfjs-node's install script cannot download libtensorflow here,
 *   so npm drops the optional package and the server runs on wasm, as the Dockerfile allows.
 * The production install itself (`npm ci --omit=dev`, from the lock file) runs as written, using npm's cache.
 *
 * Like Docker's layer cache, the production install's stage (one that copies only from the build context;
 * not the build stage, whose install is substituted) is kept in `$TMPDIR/infer8s-layer-cache/<key>` and
 * reused while its key is unchanged: the stage's instructions, the content of every file it copies, the
 * build args, and the node and npm versions. The replay still copies that layer into the runtime stage and
 * starts the server from it. A changed lock file or Dockerfile replays the stage again;
 * INFER8S_LAYER_CACHE=off replays every stage every time.
 */
import { execFile, execFileSync, spawn, type ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  utimesSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ENV, PATHS } from "../src/contract/index.js";
import { freePort } from "../bench/process-tools.js";
import { killAndWait, waitUntil, within } from "./support/server-process.js";
import {
  contextFiles,
  filesUnder,
  readDockerfile,
  type CopyInstruction,
  type Stage,
} from "./support/dockerfile.js";

const root = join(import.meta.dirname, "..");
const packageVersion = (JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { version: string })
  .version;
const dockerfile = readDockerfile(root);
const runtime = dockerfile.stages.at(-1)!;
const BUILD_ARGS: Readonly<Record<string, string>> = { TFJS_NODE: "optional" };
const BUILD_STAGE_INSTALL = "npm ci --ignore-scripts --no-audit --no-fund";

const workspace = mkdtempSync(join(tmpdir(), "infer8s-image-"));
const stageRoots = new Map<string, string>();
const timings: Record<string, number> = {};
const LAYER_CACHE = join(tmpdir(), "infer8s-layer-cache");
const LAYER_CACHE_DAYS = 7;
const cachedStages: string[] = [];
let substitutedInstall = false;
let server: ChildProcess | undefined;
let serverLog = "";
let baseUrl = "";

/** Environment for RUN steps: this machine's (PATH, HOME, npm cache) minus the npm/vitest variables of the parent. */
function runEnvironment(stage: Stage, stageRoot: string): NodeJS.ProcessEnv {
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !/^(npm_|VITEST|NODE_OPTIONS$|INIT_CWD$)/i.test(name)),
  );
  const args = Object.fromEntries(
    [...stage.args].flatMap(([name, value]) => {
      const resolved = BUILD_ARGS[name] ?? value;
      return resolved === undefined ? [] : [[name, resolved]];
    }),
  );
  return { ...inherited, ...args, ...stageEnvironment(stage, stageRoot), npm_config_prefer_offline: "true" };
}

/** The stage's ENV with paths inside its WORKDIR moved to where the replay put that WORKDIR. */
function stageEnvironment(stage: Stage, stageRoot: string): Record<string, string> {
  return Object.fromEntries(
    [...stage.env].map(([name, value]) => [
      name,
      value === stage.workdir || value.startsWith(`${stage.workdir}/`)
        ? inStage(stage, stageRoot, value)
        : value,
    ]),
  );
}

/** Where an absolute path of `stage`'s filesystem lives in the replay; only paths under WORKDIR exist. */
function inStage(stage: Stage, stageRoot: string, path: string): string {
  const below = relative(stage.workdir, path);
  if (below.startsWith(".."))
    throw new Error(`Replay only knows paths under WORKDIR ${stage.workdir}: ${path}`);
  return join(stageRoot, below);
}

function replayCopy(
  stage: Stage,
  stageRoot: string,
  copy: CopyInstruction,
  context: readonly string[],
): void {
  const destination = join(stageRoot, copy.destination);
  for (const source of copy.sources) {
    if (copy.from !== undefined) {
      const fromStage = dockerfile.stages.find((s) => s.name === copy.from)!;
      const fromPath = inStage(fromStage, stageRoots.get(copy.from)!, source);
      if (!existsSync(fromPath))
        throw new Error(`COPY --from=${copy.from} ${source}: not produced by that stage`);
      cpSync(fromPath, destination, { recursive: true, verbatimSymlinks: true });
      continue;
    }
    const files = filesUnder(context, source);
    if (files.length === 0) throw new Error(`COPY ${source}: not in the build context`);
    const isDirectory = statSync(join(root, source)).isDirectory();
    for (const file of files) {
      const target = isDirectory
        ? join(destination, relative(source, file))
        : copy.destination.endsWith("/")
          ? join(destination, file.split("/").at(-1)!)
          : destination;
      mkdirSync(dirname(target), { recursive: true });
      cpSync(join(root, file), target);
    }
  }
}

async function replayRun(stage: Stage, stageRoot: string, command: string): Promise<void> {
  const started = performance.now();
  if (stage.name === "build" && command === BUILD_STAGE_INSTALL) {
    symlinkSync(join(root, "node_modules"), join(stageRoot, "node_modules"), "dir");
    substitutedInstall = true;
    return;
  }
  await new Promise<void>((resolve, reject) => {
    execFile(
      "sh",
      ["-c", command],
      {
        cwd: stageRoot,
        env: runEnvironment(stage, stageRoot),
        encoding: "utf8",
        timeout: 120_000,
        maxBuffer: 64 * 1024 * 1024,
      },
      (error, stdout, stderr) =>
        error
          ? reject(
              new Error(
                `RUN in stage ${stage.name} failed: ${command}\n${stdout}\n${stderr || error.message}`,
                {
                  cause: error,
                },
              ),
            )
          : resolve(),
    );
  });
  timings[`${stage.name}: ${command.slice(0, 40)}`] = Math.round(performance.now() - started);
}

/**
 * The layer cache key of a stage that copies only from the build context, or undefined (not cached) for one
 * that copies from another stage, the build stage (its install is this checkout's node_modules, which the
 * key cannot cover), or with INFER8S_LAYER_CACHE=off.
 */
function layerKey(stage: Stage, context: readonly string[]): string | undefined {
  if (process.env.INFER8S_LAYER_CACHE === "off") return undefined;
  if (
    stage.steps.some(
      (step) =>
        (step.kind === "copy" && step.copy.from !== undefined) ||
        (step.kind === "run" && stage.name === "build" && step.command === BUILD_STAGE_INSTALL),
    )
  )
    return undefined;
  const hash = createHash("sha256");
  const npmVersion = execFileSync("npm", ["--version"], { encoding: "utf8" }).trim();
  hash.update(JSON.stringify([process.version, process.platform, process.arch, npmVersion, BUILD_ARGS]));
  hash.update(JSON.stringify([stage.workdir, [...stage.args], [...stage.env], stage.steps]));
  for (const step of stage.steps) {
    if (step.kind !== "copy") continue;
    for (const source of step.copy.sources) {
      for (const file of filesUnder(context, source)) {
        hash.update(`\0${file}\0`);
        hash.update(readFileSync(join(root, file)));
      }
    }
  }
  return `${stage.name}-${hash.digest("hex").slice(0, 24)}`;
}

/** Deletes cached layers unused for LAYER_CACHE_DAYS (each use touches its directory). */
function pruneLayerCache(): void {
  if (!existsSync(LAYER_CACHE)) return;
  const cutoff = Date.now() - LAYER_CACHE_DAYS * 24 * 3600 * 1000;
  for (const entry of readdirSync(LAYER_CACHE)) {
    const path = join(LAYER_CACHE, entry);
    if (statSync(path).mtimeMs < cutoff) rmSync(path, { recursive: true, force: true });
  }
}

/**
 * Replays every stage, each once the stages it copies from are done: like BuildKit, stages that do not
 * depend on each other (here the TypeScript build and the production install) run at the same time, and a
 * cached layer is used instead of replaying its stage.
 */
async function replayStages(context: readonly string[]): Promise<void> {
  pruneLayerCache();
  const done = new Map<string, Promise<void>>();
  const replay = async (stage: Stage): Promise<void> => {
    const from = stage.steps.flatMap((step) =>
      step.kind === "copy" && step.copy.from ? [step.copy.from] : [],
    );
    await Promise.all(from.map((name) => done.get(name)));
    const key = layerKey(stage, context);
    const cached = key === undefined ? undefined : join(LAYER_CACHE, key);
    if (cached !== undefined && existsSync(cached)) {
      const now = new Date();
      utimesSync(cached, now, now);
      stageRoots.set(stage.name, cached);
      cachedStages.push(stage.name);
      return;
    }
    const stageRoot = join(workspace, stage.name);
    mkdirSync(stageRoot);
    stageRoots.set(stage.name, stageRoot);
    for (const step of stage.steps) {
      if (step.kind === "copy") replayCopy(stage, stageRoot, step.copy, context);
      else await replayRun(stage, stageRoot, step.command);
    }
    if (cached === undefined) return;
    try {
      mkdirSync(LAYER_CACHE, { recursive: true });
      // A rename, so a layer is in the cache whole or not at all; another run may have stored it first.
      renameSync(stageRoot, cached);
      stageRoots.set(stage.name, cached);
    } catch {
      // Not cached this time: the replay goes on from the workspace.
    }
  };
  // A stage can only copy from one defined above it, so each one's dependencies are in the map already.
  for (const stage of dockerfile.stages) done.set(stage.name, replay(stage));
  // Every stage settled before reporting a failure, so no RUN is left running into the deleted workspace.
  const failed = (await Promise.allSettled(done.values())).find((r) => r.status === "rejected");
  if (failed) throw failed.reason;
}

async function waitForReady(child: ChildProcess, url: string, deadlineMs: number): Promise<void> {
  let onExit: ((code: number | null) => void) | undefined;
  const exited = new Promise<never>((_, reject) => {
    onExit = (code) => reject(new Error(`server exited with ${code}:\n${serverLog}`));
    child.once("exit", onExit);
  });
  const ready = waitUntil(`${url} to answer 200`, async () => (await fetch(url)).status === 200, deadlineMs);
  try {
    await Promise.race([ready, exited]);
  } catch (error) {
    throw new Error(`${(error as Error).message}\n${serverLog}`, { cause: error });
  } finally {
    child.off("exit", onExit!);
  }
}

function filesNamed(dir: string, suffix: string): string[] {
  return (readdirSync(dir, { recursive: true, encoding: "utf8" }) as string[]).filter((f) =>
    f.endsWith(suffix),
  );
}

beforeAll(async () => {
  await replayStages(contextFiles(root));

  const runtimeRoot = stageRoots.get(runtime.name)!;
  const port = await freePort();
  baseUrl = `http://127.0.0.1:${port}`;
  const [command, ...args] = runtime.cmd!;
  server = spawn(command!, args, {
    cwd: runtimeRoot,
    // A container's environment: the image's ENV plus what the chart would set, nothing from this shell.
    env: {
      PATH: process.env.PATH,
      ...stageEnvironment(runtime, runtimeRoot),
      [ENV.port]: String(port),
      [ENV.host]: "127.0.0.1",
      // The chart's 5 s would only make the last test wait.
      [ENV.drainSeconds]: "0",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  server.stdout?.on("data", (chunk: Buffer) => (serverLog += chunk.toString()));
  server.stderr?.on("data", (chunk: Buffer) => (serverLog += chunk.toString()));
  const started = performance.now();
  await waitForReady(server, `${baseUrl}${PATHS.ready}`, 60_000);
  timings["server start to ready"] = Math.round(performance.now() - started);
  const size = execFileSync("du", ["-sm", join(runtimeRoot, "node_modules")], { encoding: "utf8" }).split(
    "\t",
  )[0];
  console.log(
    `production install: node_modules ${size} MB; timings (ms): ${JSON.stringify(timings)}; ` +
      `from the layer cache: ${cachedStages.join(", ") || "nothing"}`,
  );
}, 180_000);

afterAll(async () => {
  if (server) await killAndWait(server);
  rmSync(workspace, { recursive: true, force: true });
});

describe("runtime stage replayed from the Dockerfile", () => {
  it("compiled the server in the build stage from the copied files alone", () => {
    expect(substitutedInstall).toBe(true);
    expect(existsSync(join(stageRoots.get("build")!, "build/src/server/main.js"))).toBe(true);
  });

  it("ships exactly the server, the contract and the model code", () => {
    const compiled = join(stageRoots.get(runtime.name)!, "build/src");
    expect(readdirSync(compiled).sort()).toEqual(["contract", "model", "server"]);
  });

  it("installs production dependencies only", () => {
    const modules = join(stageRoots.get(runtime.name)!, "node_modules");
    expect(existsSync(join(modules, "hono"))).toBe(true);
    expect(existsSync(join(modules, "@tensorflow/tfjs-backend-wasm"))).toBe(true);
    for (const devOnly of ["typescript", "vitest", "cdk8s", "tsx", "autocannon"]) {
      expect(existsSync(join(modules, devOnly)), devOnly).toBe(false);
    }
  });

  it("ships no TypeScript sources and no dependency source maps", () => {
    const runtimeRoot = stageRoots.get(runtime.name)!;
    expect(existsSync(join(runtimeRoot, "src"))).toBe(false);
    expect(filesNamed(join(runtimeRoot, "node_modules"), ".map")).toEqual([]);
  });

  it("reports ready once the model is loaded", async () => {
    expect((await fetch(`${baseUrl}${PATHS.ready}`)).status).toBe(200);
  });

  it("predicts setosa for a typical setosa flower", async () => {
    const response = await fetch(`${baseUrl}${PATHS.predict}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ features: [5.1, 3.5, 1.4, 0.2] }),
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { class?: string; confidence?: number };
    expect(body.class).toBe("setosa");
    expect(body.confidence).toBeGreaterThan(0.5);
  });

  it("runs the native backend exactly when tfjs-node survived the production install", async () => {
    const info = (await (await fetch(`${baseUrl}${PATHS.info}`)).json()) as {
      backend: string;
      server_version: string;
    };
    const nativeInstalled = existsSync(
      join(stageRoots.get(runtime.name)!, "node_modules/@tensorflow/tfjs-node"),
    );
    expect(info.backend).toBe(nativeInstalled ? "tensorflow" : "wasm");
    expect(info.server_version).toBe(packageVersion);
  });

  it("serves /docs and every asset it loads from its own node_modules", async () => {
    const page = await fetch(`${baseUrl}/docs`);
    expect(page.status).toBe(200);
    const assets = [...(await page.text()).matchAll(/(?:src|href)="(\/docs\/[^"]+)"/g)].map((m) => m[1]);
    expect(assets.length).toBeGreaterThanOrEqual(3);
    for (const asset of assets) {
      const response = await fetch(`${baseUrl}${asset}`);
      expect(response.status, asset).toBe(200);
      expect((await response.arrayBuffer()).byteLength, asset).toBeGreaterThan(100);
    }
  });

  it("answers a malformed prediction with a 4xx JSON error", async () => {
    const response = await fetch(`${baseUrl}${PATHS.predict}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ features: [1, 2] }),
    });
    expect(response.status).toBeGreaterThanOrEqual(400);
    expect(response.status).toBeLessThan(500);
    expect(response.headers.get("content-type")).toMatch(/application\/json/);
  });

  it("exits 0 on SIGTERM with its last log line written", async () => {
    const exited = new Promise<number | null>((resolve) => server!.once("close", resolve));
    server!.kill("SIGTERM");
    expect(await within(exited, 15_000, "exit after SIGTERM")).toBe(0);
    expect(serverLog.trim().split("\n").at(-1)).toContain('"msg":"shutdown complete"');
  });
});
