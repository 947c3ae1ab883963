import { pino } from "pino";
import { afterEach, describe, expect, it, vi } from "vitest";
import { type RequestLine, createLogger, createRequestLogger } from "./logger.js";

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
