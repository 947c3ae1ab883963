/**
 * Just enough of Docker's build semantics to check and replay our Dockerfile without a Docker engine:
 * the instruction parser, `ARG` substitution in `FROM`, and `.dockerignore` matching (moby/patternmatcher
 * rules: last matching pattern wins, a pattern matching a parent directory matches everything below it).
 *
 * It understands the forms the repository's Dockerfile uses and throws on anything else, so a Dockerfile
 * change these tests cannot follow fails loudly instead of being skipped.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";

/** One `COPY`: sources relative to the context, or absolute paths in `from`'s filesystem. */
export interface CopyInstruction {
  readonly from: string | undefined;
  readonly sources: readonly string[];
  readonly destination: string;
}

/** One build stage, with its instructions in order and the settings they leave behind. */
export interface Stage {
  readonly name: string;
  readonly baseImage: string;
  readonly workdir: string;
  /** `ARG` names with their defaults (undefined when declared without one). */
  readonly args: ReadonlyMap<string, string | undefined>;
  readonly env: ReadonlyMap<string, string>;
  readonly steps: readonly (
    | { readonly kind: "copy"; readonly copy: CopyInstruction }
    | { readonly kind: "run"; readonly command: string }
  )[];
  readonly user: string | undefined;
  readonly expose: readonly string[];
  /** Exec-form `CMD` argv; shell form is rejected. */
  readonly cmd: readonly string[] | undefined;
  /** Exec-form `HEALTHCHECK CMD` argv. */
  readonly healthcheck: readonly string[] | undefined;
}

export interface Dockerfile {
  /** `ARG`s declared before the first `FROM`, with their defaults. */
  readonly globalArgs: ReadonlyMap<string, string | undefined>;
  readonly stages: readonly Stage[];
}

/** Logical lines of a Dockerfile: comments dropped, backslash continuations joined. */
export function logicalLines(text: string): string[] {
  const lines: string[] = [];
  let pending = "";
  for (const raw of text.split("\n")) {
    const trimmed = raw.trim();
    // Docker drops comment lines, even inside a continuation.
    if (trimmed.startsWith("#")) continue;
    if (pending === "" && trimmed === "") continue;
    if (trimmed.endsWith("\\")) {
      pending += `${trimmed.slice(0, -1).trimEnd()} `;
      continue;
    }
    lines.push((pending + trimmed).trim());
    pending = "";
  }
  if (pending.trim() !== "") throw new Error("Dockerfile ends inside a line continuation");
  return lines;
}

/** Parses the Dockerfile text into stages. */
export function parseDockerfile(text: string): Dockerfile {
  const globalArgs = new Map<string, string | undefined>();
  const stages: MutableStage[] = [];
  for (const line of logicalLines(text)) {
    const match = /^([A-Za-z]+)\s+([\s\S]*)$/.exec(line);
    if (!match) throw new Error(`Cannot parse Dockerfile line: ${line}`);
    const keyword = match[1]!.toUpperCase();
    const rest = match[2]!.trim();
    const stage = stages.at(-1);
    if (keyword === "FROM") {
      const from = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(rest);
      if (!from) throw new Error(`Unsupported FROM: ${line}`);
      stages.push({
        name: from[2] ?? String(stages.length),
        baseImage: substitute(from[1]!, globalArgs),
        workdir: "/",
        args: new Map(),
        env: new Map(),
        steps: [],
        user: undefined,
        expose: [],
        cmd: undefined,
        healthcheck: undefined,
      });
      continue;
    }
    if (keyword === "ARG") {
      const [name, value] = splitAssignment(rest);
      (stage ? stage.args : globalArgs).set(name, value);
      continue;
    }
    if (!stage) throw new Error(`${keyword} before the first FROM`);
    switch (keyword) {
      case "WORKDIR":
        stage.workdir = rest.startsWith("/") ? rest : join(stage.workdir, rest);
        break;
      case "ENV": {
        const [name, value] = splitAssignment(rest);
        if (value === undefined) throw new Error(`Use ENV NAME=value: ${line}`);
        stage.env.set(name, value);
        break;
      }
      case "COPY":
        stage.steps.push({ kind: "copy", copy: parseCopy(rest) });
        break;
      case "RUN":
        if (rest.startsWith("[")) throw new Error(`Use shell-form RUN: ${line}`);
        stage.steps.push({ kind: "run", command: rest });
        break;
      case "USER":
        stage.user = rest;
        break;
      case "EXPOSE":
        stage.expose.push(...rest.split(/\s+/));
        break;
      case "CMD":
        stage.cmd = execForm(rest, line);
        break;
      case "HEALTHCHECK": {
        const cmdAt = rest.search(/(^|\s)CMD\s/);
        if (cmdAt < 0) throw new Error(`Unsupported HEALTHCHECK: ${line}`);
        stage.healthcheck = execForm(
          rest
            .slice(cmdAt)
            .trim()
            .replace(/^CMD\s+/, ""),
          line,
        );
        break;
      }
      default:
        throw new Error(`Instruction not understood by test/support/dockerfile.ts: ${keyword}`);
    }
  }
  return { globalArgs, stages };
}

/** Reads and parses `<root>/Dockerfile`. */
export function readDockerfile(root: string): Dockerfile {
  return parseDockerfile(readFileSync(join(root, "Dockerfile"), "utf8"));
}

/** The stage called `name`; throws when there is none. */
export function stageNamed(dockerfile: Dockerfile, name: string): Stage {
  const stage = dockerfile.stages.find((s) => s.name === name);
  if (!stage) throw new Error(`Dockerfile has no stage named ${name}`);
  return stage;
}

/**
 * Whether `.dockerignore` keeps `path` (relative, `/`-separated) in the build context.
 *
 * @example isInContext(["*", "!src/"], "src/server/main.ts") // true
 */
export function isInContext(patterns: readonly string[], path: string): boolean {
  let included = true;
  const candidates = parentsAndSelf(path);
  for (const pattern of patterns) {
    const negated = pattern.startsWith("!");
    const regex = patternRegex(negated ? pattern.slice(1) : pattern);
    if (candidates.some((candidate) => regex.test(candidate))) included = negated;
  }
  return included;
}

/** Patterns of `<root>/.dockerignore`, comments and blank lines removed. */
export function readDockerignore(root: string): string[] {
  const file = join(root, ".dockerignore");
  if (!existsSync(file)) return [];
  return readFileSync(file, "utf8")
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("#"));
}

/**
 * Files a `docker build` of a checkout of `root` would send as context: tracked and untracked-but-not-
 * gitignored files that `.dockerignore` keeps.
 */
export function contextFiles(root: string): string[] {
  const listed = execFileSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], {
    cwd: root,
    encoding: "utf8",
  })
    .split("\0")
    .filter((path) => path !== "");
  const patterns = readDockerignore(root);
  return [...new Set(listed)]
    .filter((path) => existsSync(join(root, path)) && statSync(join(root, path)).isFile())
    .filter((path) => isInContext(patterns, path))
    .sort();
}

/** Context files a COPY source selects: the file itself, or every file below the directory. */
export function filesUnder(files: readonly string[], source: string): string[] {
  const normalized = source.replace(/^\.\//, "").replace(/\/$/, "");
  if (normalized === "." || normalized === "") return [...files];
  return files.filter((file) => file === normalized || file.startsWith(`${normalized}/`));
}

interface MutableStage {
  name: string;
  baseImage: string;
  workdir: string;
  args: Map<string, string | undefined>;
  env: Map<string, string>;
  steps: Stage["steps"][number][];
  user: string | undefined;
  expose: string[];
  cmd: readonly string[] | undefined;
  healthcheck: readonly string[] | undefined;
}

function splitAssignment(text: string): [string, string | undefined] {
  const at = text.indexOf("=");
  if (at < 0) return [text.trim(), undefined];
  const value = text.slice(at + 1).trim();
  return [text.slice(0, at).trim(), value.replace(/^"(.*)"$/, "$1")];
}

function substitute(text: string, args: ReadonlyMap<string, string | undefined>): string {
  return text.replace(/\$\{(\w+)\}|\$(\w+)/g, (_, braced: string | undefined, bare: string | undefined) => {
    const name = (braced ?? bare)!;
    const value = args.get(name);
    if (value === undefined) throw new Error(`FROM uses ARG ${name}, which has no default`);
    return value;
  });
}

function parseCopy(rest: string): CopyInstruction {
  const words = rest.split(/\s+/);
  let from: string | undefined;
  while (words[0]?.startsWith("--")) {
    const flag = words.shift()!;
    if (flag.startsWith("--from=")) from = flag.slice("--from=".length);
    else throw new Error(`COPY flag not understood by test/support/dockerfile.ts: ${flag}`);
  }
  if (words.length < 2) throw new Error(`COPY needs a source and a destination: COPY ${rest}`);
  const destination = words.pop()!;
  if (words.length > 1 && !destination.endsWith("/")) {
    throw new Error(`COPY with several sources needs a destination ending in "/": COPY ${rest}`);
  }
  return { from, sources: words, destination };
}

function execForm(text: string, line: string): string[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new Error(`Use exec form (a JSON array): ${line}`);
  }
  if (!Array.isArray(parsed) || !parsed.every((word) => typeof word === "string")) {
    throw new Error(`Use exec form (a JSON array of strings): ${line}`);
  }
  return parsed as string[];
}

function parentsAndSelf(path: string): string[] {
  const parts = path.split("/");
  return parts.map((_, i) => parts.slice(0, i + 1).join("/"));
}

function patternRegex(pattern: string): RegExp {
  const cleaned = pattern.replace(/^\/+/, "").replace(/\/+$/, "").replace(/^\.\//, "");
  let source = "";
  for (let i = 0; i < cleaned.length; i++) {
    const char = cleaned[i]!;
    if (char === "*" && cleaned[i + 1] === "*") {
      // `**/` matches zero or more directories; a trailing `**` matches everything.
      if (cleaned[i + 2] === "/") {
        source += "(?:.*/)?";
        i += 2;
      } else {
        source += ".*";
        i += 1;
      }
    } else if (char === "*") source += "[^/]*";
    else if (char === "?") source += "[^/]";
    else source += char.replace(/[.+^${}()|[\]\\]/g, "\\$&");
  }
  return new RegExp(`^${source}$`);
}
