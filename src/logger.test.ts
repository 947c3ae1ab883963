import { afterEach, describe, expect, it, vi } from "vitest";
import { createLogger } from "./logger.js";

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
