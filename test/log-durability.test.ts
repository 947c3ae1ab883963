/**
 * Request log lines are gathered into larger writes (`createLogDestination`), yet none is lost or reordered
 * when the process is told to stop or dies of an uncaught exception (`exitOnUncaughtException`), and none
 * waits for the process to end when traffic stops (`LOG_HOLD_MS`).
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

/** Runs the fixture with stdout on a pipe (as in a container); `onLine` sees each line as it arrives. */
function run(mode: string, count: number, onLine: (line: string) => void = () => {}) {
  const child = spawn(
    process.execPath,
    ["--import", "tsx", "test/support/log-lines-then.ts", mode, String(count)],
    {
      cwd: ROOT,
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => {
    stdout += chunk.toString();
    let newline: number;
    while ((newline = stdout.indexOf("\n")) >= 0) {
      onLine(stdout.slice(0, newline));
      stdout = stdout.slice(newline + 1);
    }
  });
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once("close", (code) => resolve(code)));
  return { child, exited, stderr: () => stderr };
}

/** Every request id in order, for the lines written by the fixture. */
const ids = (count: number) => Array.from({ length: count }, (_, i) => `r${i}`);

describe("request log lines gathered into larger writes", () => {
  it.each([
    ["an uncaught exception", "crash", "crash after logging", "uncaughtException"],
    ["an unhandled promise rejection", "reject", "rejected after logging", "unhandledRejection"],
  ])(
    "all reach stdout in order, then one fatal line, when the process dies of %s",
    async (_, mode, message, origin) => {
      const lines: Record<string, unknown>[] = [];
      const { exited, stderr } = run(mode, 300, (line) => lines.push(JSON.parse(line)));
      expect(await exited).toBe(1);
      expect(lines.slice(0, -1).map((line) => line.req_id)).toEqual(ids(300));
      expect(lines.at(-1)).toMatchObject({
        level: "fatal",
        msg: "uncaught exception; exiting",
        origin,
        err: { type: "Error", message, stack: expect.stringContaining(message) },
      });
      // Stopped (the server closes its listener) before exiting; Node printed no stack of its own.
      expect(stderr()).toBe("stopped\n");
    },
    30_000,
  );

  it("all reach stdout on the shutdown path (closeLogDestination, then exit)", async () => {
    const seen: string[] = [];
    const { exited } = run("close", 300, (line) => seen.push(JSON.parse(line).req_id));
    expect(await exited).toBe(0);
    expect(seen).toEqual(ids(300));
  }, 30_000);

  it("all held ones reach stdout when the process exits without closing the log", async () => {
    const seen: number[] = [];
    const { exited } = run("exit", 300, (line) => seen.push(Number(JSON.parse(line).req_id.slice(1))));
    expect(await exited).toBe(0);
    // pino's exit hook writes every line held. The first batch (about 20 lines), already handed to the
    // thread pool, may land after them, or not at all if the process ends before a pool thread writes it.
    const numbers = [...seen].sort((a, b) => a - b);
    const first = numbers[0] ?? 300;
    expect(first).toBeLessThan(100);
    expect(numbers).toEqual(Array.from({ length: 300 - first }, (_, i) => first + i));
  }, 30_000);

  it("are written within a second when no further line comes, not when the process ends", async () => {
    const arrived: number[] = [];
    const { child, exited, stderr } = run("stay", 3, () => arrived.push(performance.now()));
    let writtenAt = Number.NaN;
    const deadline = performance.now() + 20_000;
    while (arrived.length < 3 && child.exitCode === null && performance.now() < deadline) {
      if (Number.isNaN(writtenAt) && stderr().includes("written")) writtenAt = performance.now();
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    expect(arrived).toHaveLength(3);
    // The fixture stays alive for 5 s after writing; lines held until its exit would arrive after that.
    expect(Math.max(...arrived) - writtenAt).toBeLessThan(1_000);
    child.kill("SIGKILL");
    await exited;
  }, 30_000);
});
