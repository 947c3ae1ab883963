/**
 * Setup file for every test file (vitest.config.ts `setupFiles`): after the file's own hooks have run,
 * fails it if a process it started is still running, and kills that process. A server a test forgot, or
 * sent SIGTERM to without waiting, would otherwise outlive the run (three `npm test` runs once left three
 * production-install servers running for hours). Linux only: it reads /proc; elsewhere it does nothing.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { afterAll, beforeAll } from "vitest";

interface ProcessEntry {
  readonly pid: number;
  readonly ppid: number;
  readonly state: string;
  readonly command: string;
}

const supported = existsSync("/proc/self/stat");
let before = new Set<number>();

beforeAll(() => {
  if (supported) before = new Set(descendants(process.pid).map((p) => p.pid));
});

// Registered first, so with vitest's default hook order ("stack") it runs after the file's own afterAll.
afterAll(async () => {
  if (!supported) return;
  const leftovers = descendants(process.pid).filter((p) => !before.has(p.pid));
  if (leftovers.length === 0) return;
  for (const p of leftovers) {
    try {
      process.kill(p.pid, "SIGKILL");
    } catch {
      // Gone in the meantime.
    }
  }
  const deadline = performance.now() + 5_000;
  while (performance.now() < deadline && leftovers.some((p) => isAlive(p.pid))) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(
    `this test file left ${leftovers.length} process(es) running (now killed); end every process a test ` +
      `starts, and wait for its exit, in afterEach/afterAll:\n` +
      leftovers.map((p) => `  ${p.pid}: ${p.command}`).join("\n"),
  );
});

/** Every live (not zombie) process below `root`. */
function descendants(root: number): ProcessEntry[] {
  const all = readdirSync("/proc")
    .filter((name) => /^\d+$/.test(name))
    .flatMap((name) => {
      const entry = readEntry(Number(name));
      return entry ? [entry] : [];
    });
  const found: ProcessEntry[] = [];
  const parents = [root];
  while (parents.length > 0) {
    const parent = parents.pop();
    for (const p of all) {
      if (p.ppid === parent && p.state !== "Z" && p.state !== "X") {
        found.push(p);
        parents.push(p.pid);
      }
    }
  }
  return found;
}

function readEntry(pid: number): ProcessEntry | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the command name, which is in parentheses and may itself contain spaces.
    const [state = "", ppid = ""] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const command = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ").trim();
    return { pid, ppid: Number(ppid), state, command };
  } catch {
    return undefined; // exited while we looked
  }
}

function isAlive(pid: number): boolean {
  const entry = readEntry(pid);
  return entry !== undefined && entry.state !== "Z" && entry.state !== "X";
}
