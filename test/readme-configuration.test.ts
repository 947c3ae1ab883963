/**
 * The README's table of server variables is written by hand; this holds it to `SERVER_SETTINGS`, row for
 * row, so a setting added, renamed or re-ranged in the code cannot leave the documentation behind.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ENV, type ServerSettingKey } from "../src/contract/index.js";
import {
  DEFAULT_CONFIG,
  encodeServerConfig,
  SERVER_SETTING_KEYS,
  SERVER_SETTINGS,
  type SettingSpec,
} from "../src/contract/server-config.js";
import { CHART_FIXED_SERVER_CONFIG } from "../charts/constructs/inference-service.js";

const README = readFileSync(new URL("../README.md", import.meta.url), "utf8");

/** The cells of each row of the first table after `heading`, header and separator rows left out. */
function tableAfter(text: string, heading: string): string[][] {
  const lines = text.slice(text.indexOf(heading)).split("\n");
  const start = lines.findIndex((line) => line.startsWith("|"));
  const end = lines.findIndex((line, i) => i > start && !line.startsWith("|"));
  return lines.slice(start + 2, end).map((line) =>
    line
      .slice(1, -1)
      .split("|")
      .map((cell) => cell.trim()),
  );
}

/** The "values" cell of a setting. */
function valuesText(spec: SettingSpec): string {
  switch (spec.kind) {
    case "integer":
      return `integer ${spec.min}–${spec.max}`;
    case "seconds":
      return `seconds ${spec.min}–${spec.max}`;
    case "enum":
      return spec.choices.map((choice) => `\`${choice}\``).join(" ");
    case "on-off":
      return "`on` `off`";
    case "string":
      return "text";
  }
}

/** Where a variable's value comes from in the chart's settings. */
function settingCell(key: ServerSettingKey): string {
  if (key === "auth.mode") return "(`settings.auth.mode`)";
  if (key in CHART_FIXED_SERVER_CONFIG || key === "auth.keysDir") return "(fixed by the chart)";
  return `\`${key}\``;
}

/** The README row `SERVER_SETTINGS` implies for each setting, in table order. */
function expectedRows(): string[][] {
  const defaults = encodeServerConfig(DEFAULT_CONFIG);
  return SERVER_SETTING_KEYS.map((key) => {
    const spec = SERVER_SETTINGS[key];
    return [`\`${ENV[key]}\``, settingCell(key), `\`${defaults[ENV[key]]}\``, valuesText(spec), spec.doc];
  });
}

describe("README configuration table", () => {
  it("lists every server variable with its setting, default, values and meaning, in the table's order", () => {
    expect(tableAfter(README, "### Server (environment variables)")).toEqual(expectedRows());
  });
});
