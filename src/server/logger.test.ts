import { execFileSync } from "node:child_process";
import { pbkdf2 } from "node:crypto";
import { closeSync, constants, mkdtempSync, openSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { afterAll, afterEach, describe, expect, it, vi } from "vitest";
import {
  type RequestLine,
  closeLogDestination,
  createLogDestination,
  createLogger,
  createRequestLogger,
} from "./logger.js";

function capture() {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger("info", {
    write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>),
  });
  return { logger, lines };
}

describe("createLogger", () => {
  afterEach(() => vi.useRealTimers());

  it("writes one JSON line per call with the level name and the ISO time of that millisecond", () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    const start = Date.UTC(2026, 10, 23, 12, 0, 0, 0);
    vi.setSystemTime(start);
    const { logger, lines } = capture();
    logger.info({ route: "/predict" }, "request");
    logger.warn("same millisecond");
    vi.setSystemTime(start + 1);
    logger.info("next millisecond");
    vi.setSystemTime(start + 61_000);
    logger.error("a minute later");

    expect(lines.map((l) => [l.level, l.time, l.msg])).toEqual([
      ["info", "2026-11-23T12:00:00.000Z", "request"],
      ["warn", "2026-11-23T12:00:00.000Z", "same millisecond"],
      ["info", "2026-11-23T12:00:00.001Z", "next millisecond"],
      ["error", "2026-11-23T12:01:01.000Z", "a minute later"],
    ]);
    expect(lines[0]?.route).toBe("/predict");
    expect(lines[0]?.name).toBe("infer8s");
  });

  it("drops lines below its level", () => {
    const lines: string[] = [];
    const logger = createLogger("warn", { write: (line: string) => void lines.push(line) });
    logger.info("quiet");
    logger.warn("loud");
    expect(lines).toHaveLength(1);
  });
});

describe("createRequestLogger", () => {
  afterEach(() => vi.useRealTimers());

  function both(level: "info" | "warn" | "error") {
    const lines: string[] = [];
    const logger = createLogger(level, { write: (line: string) => void lines.push(line) });
    return { logger, lines, logRequest: createRequestLogger(logger) };
  }

  const LINES: RequestLine[] = [
    {
      req_id: "0b7c7f0e-5d1c-4a57-9a0e-1f2d3c4b5a69",
      method: "POST",
      route: "/predict",
      path: "/predict",
      status: 200,
      duration_ms: 0.412,
    },
    {
      req_id: "client-id_1=",
      method: "GET",
      route: "unmatched",
      path: '/a"b\\c\n\u2028\ud800é',
      status: 404,
      duration_ms: 12,
    },
    {
      req_id: "x",
      method: "POST",
      route: "/v2/models/:model_name/infer",
      path: "/v2/models/iris/infer",
      status: 503,
      duration_ms: 1e-3,
    },
  ];

  it("writes byte for byte what logger.info (or logger.error for 5xx) writes for the same fields", () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(Date.UTC(2026, 10, 23, 12, 0, 0, 0));
    const { logger, lines, logRequest } = both("info");
    for (const line of LINES) {
      logRequest(line);
      if (line.status >= 500) logger.error(line, "request");
      else logger.info(line, "request");
    }
    expect(lines).toHaveLength(6);
    for (let i = 0; i < lines.length; i += 2) expect(lines[i]).toBe(lines[i + 1]);
    expect(JSON.parse(lines[2] as string)).toMatchObject({ level: "info", path: LINES[1]?.path });
    expect(JSON.parse(lines[4] as string)).toMatchObject({ level: "error", status: 503 });
  });

  it("follows the logger's level", () => {
    const { lines, logRequest } = both("error");
    for (const line of LINES) logRequest(line);
    expect(lines.map((l) => (JSON.parse(l) as { status: number }).status)).toEqual([503]);
    const silent = both("warn");
    silent.logger.level = "silent";
    for (const line of LINES) silent.logRequest(line);
    expect(silent.lines).toEqual([]);
  });
});

describe("createRequestLogger on a logger that acts on each line", () => {
  const line: RequestLine = {
    req_id: "r1",
    method: "POST",
    route: "/predict",
    path: "/predict",
    status: 200,
    duration_ms: 1,
  };

  function collect(options: pino.LoggerOptions) {
    const lines: Record<string, unknown>[] = [];
    const logger = pino(options, {
      write: (l: string) => void lines.push(JSON.parse(l) as Record<string, unknown>),
    });
    return { logger, lines };
  }

  it("serialises the line itself for createLogger's logger, without going through logger.info", () => {
    const logger = createLogger("info", { write: () => undefined });
    const info = vi.spyOn(logger, "info");
    createRequestLogger(logger)(line);
    expect(info).not.toHaveBeenCalled();
  });

  it("leaves the line to pino when a mixin, redaction, serializer or log formatter is configured", () => {
    const cases: [pino.LoggerOptions, Record<string, unknown>][] = [
      [{ mixin: () => ({ pod: "p-1" }) }, { pod: "p-1", path: "/predict" }],
      [{ redact: ["path"] }, { path: "[Redacted]" }],
      [{ redact: ["*.secret"] }, { path: "/predict" }],
      [{ serializers: { route: () => "hidden" } }, { route: "hidden" }],
      [{ formatters: { log: (o) => ({ ...o, extra: true }) } }, { extra: true }],
      [{ messageKey: "message" }, { message: "request" }],
    ];
    for (const [options, expected] of cases) {
      const { logger, lines } = collect(options);
      const info = vi.spyOn(logger, "info");
      createRequestLogger(logger)(line);
      expect(info, JSON.stringify(options)).toHaveBeenCalledOnce();
      expect(lines[0], JSON.stringify(options)).toMatchObject(expected);
    }
  });

  it("keeps pino.multistream's per-stream levels", () => {
    const errors: string[] = [];
    const all: string[] = [];
    const logger = pino(
      { level: "info" },
      pino.multistream([
        { level: "error", stream: { write: (l: string) => void errors.push(l) } },
        { level: "info", stream: { write: (l: string) => void all.push(l) } },
      ]),
    );
    const logRequest = createRequestLogger(logger);
    logRequest(line);
    logRequest({ ...line, status: 503 });
    expect(all).toHaveLength(2);
    expect(errors.map((l) => (JSON.parse(l) as { status: number }).status)).toEqual([503]);
  });
});

describe("createLogDestination and closeLogDestination", () => {
  const dir = mkdtempSync(join(tmpdir(), "infer8s-log-"));
  const fds: number[] = [];
  afterAll(() => {
    for (const fd of fds) {
      try {
        closeSync(fd);
      } catch {
        // closed by the test
      }
    }
    rmSync(dir, { recursive: true, force: true });
  });

  /** A FIFO opened at both ends without blocking: a stdout pipe whose reader the test controls. */
  function pipe(name: string): { readFd: number; writeFd: number } {
    const path = join(dir, name);
    execFileSync("mkfifo", [path]);
    const readFd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
    const writeFd = openSync(path, constants.O_WRONLY | constants.O_NONBLOCK);
    fds.push(readFd, writeFd);
    return { readFd, writeFd };
  }

  const KIB = "x".repeat(1024);

  /** The next error `destination` emits, observed without listening (a listener would handle it). */
  function nextError(destination: ReturnType<typeof createLogDestination>): Promise<unknown> {
    return new Promise((resolve) => {
      const emit = destination.emit.bind(destination);
      destination.emit = (event: string | symbol, ...args: unknown[]) => {
        const handled = emit(event, ...args); // throws when no listener handles an "error"
        if (event === "error") resolve(args[0]);
        return handled;
      };
    });
  }

  it("writes out every line still buffered, then resolves true", async () => {
    const file = join(dir, "all.log");
    const fd = openSync(file, "w");
    fds.push(fd);
    const logger = createLogger("info", createLogDestination(fd));
    for (let i = 0; i < 2000; i++) logger.info({ i, pad: KIB }, "line");
    expect(await closeLogDestination(logger, 10_000)).toBe(true);
    expect(() => logger.info("after the close: dropped, not thrown")).not.toThrow();
    const lines = readFileSync(file, "utf8").trim().split("\n");
    expect(lines).toHaveLength(2000);
    expect(JSON.parse(lines.at(-1) as string)).toMatchObject({ i: 1999 });
  });

  it("gives up after the timeout when the reader has stopped reading, and leaves nothing to flush at exit", async () => {
    const { writeFd } = pipe("stuck");
    const destination = createLogDestination(writeFd);
    const logger = createLogger("info", destination);
    for (let i = 0; i < 256; i++) logger.info({ pad: KIB }, "more than the pipe holds");
    const started = performance.now();
    expect(await closeLogDestination(logger, 300)).toBe(false);
    expect(performance.now() - started).toBeLessThan(3_000);
    // pino's exit hook skips a destroyed destination instead of retrying its writes synchronously.
    expect((destination as unknown as { destroyed: boolean }).destroyed).toBe(true);
  });

  it("keeps logging without throwing once the reader is gone, and resolves false without waiting", async () => {
    const { readFd, writeFd } = pipe("gone");
    const destination = createLogDestination(writeFd);
    const logger = createLogger("info", destination);
    closeSync(readFd);
    const failed = nextError(destination);
    logger.info("into the void");
    expect(await failed).toMatchObject({ code: "EPIPE" });
    expect(() => {
      for (let i = 0; i < 100; i++) logger.info("still serving");
    }).not.toThrow();
    const started = performance.now();
    expect(await closeLogDestination(logger, 10_000)).toBe(false);
    expect(performance.now() - started).toBeLessThan(1_000);
  });

  it("survives a write error other than EPIPE instead of crashing the process", async () => {
    const file = join(dir, "read-only.log");
    closeSync(openSync(file, "w"));
    const fd = openSync(file, "r");
    fds.push(fd);
    const destination = createLogDestination(fd);
    const logger = createLogger("info", destination);
    // pino handles only EPIPE; it re-emits any other write error, which without a listener of ours
    // would be an uncaught exception.
    const failed = nextError(destination);
    logger.info("cannot be written");
    expect(await failed).toMatchObject({ code: "EBADF" });
    expect(() => logger.info("and the next one")).not.toThrow();
    expect(await closeLogDestination(logger, 10_000)).toBe(false);
  });

  it("keeps a fatal line and those before it behind a batch still being written, instead of ahead of it", async () => {
    const file = join(dir, "fatal.log");
    const fd = openSync(file, "w");
    fds.push(fd);
    const logger = createLogger("info", createLogDestination(fd));
    // Every thread-pool thread busy: the first batch's write waits in the pool's queue behind them.
    const threads = Number(process.env.UV_THREADPOOL_SIZE ?? 4);
    const busy = Array.from(
      { length: threads },
      () => new Promise((resolve) => pbkdf2("p", "s", 200_000, 32, "sha256", resolve)),
    );
    for (let i = 0; i < 40; i++) logger.info({ i, pad: KIB }, "line"); // the first 4 KiB go at once
    logger.fatal({ i: 40 }, "fatal"); // pino flushes synchronously after a fatal line
    expect(readFileSync(file, "utf8")).toBe(""); // nothing overtook the batch waiting in the queue
    await Promise.all(busy);
    expect(await closeLogDestination(logger, 10_000)).toBe(true);
    const written = readFileSync(file, "utf8").trim().split("\n");
    expect(written.map((line) => (JSON.parse(line) as { i: number }).i)).toEqual(
      Array.from({ length: 41 }, (_, i) => i),
    );
  });

  it("resolves true at once for a destination with nothing buffered (a test's collector)", async () => {
    const logger = createLogger("info", { write: () => undefined });
    expect(await closeLogDestination(logger, 10_000)).toBe(true);
  });
});
