import { describe, expect, it } from "vitest";
import { DatasetError, IRIS_CLASSES, loadIris, parseIrisCsv } from "./iris.js";

const HEADER = "sepal_length,sepal_width,petal_length,petal_width,species";

function csv(...rows: string[]): string {
  return [HEADER, ...rows].join("\n");
}

describe("parseIrisCsv", () => {
  it("loads the shipped data set: 150 rows, 50 per species, the first row a setosa", () => {
    const data = loadIris();
    expect(data.features).toHaveLength(150);
    expect(IRIS_CLASSES.map((_, c) => data.labels.filter((l) => l === c).length)).toEqual([50, 50, 50]);
    expect(data.features[0]).toEqual([5.1, 3.5, 1.4, 0.2]);
    expect(data.labels[0]).toBe(0);
    expect(data.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it.each([
    ["a missing column", "5.1,3.5,1.4,setosa", "line 3: expected 5 columns, got 4"],
    ["a text value", "5.1,abc,1.4,0.2,setosa", 'line 3: sepal_width is not a finite number: "abc"'],
    ["an empty cell", "5.1,3.5,,0.2,setosa", 'line 3: petal_length is not a finite number: ""'],
    ["Infinity", "5.1,3.5,1.4,Infinity,setosa", 'line 3: petal_width is not a finite number: "Infinity"'],
    ["an unknown species", "5.1,3.5,1.4,0.2,rose", 'line 3: unknown species "rose"'],
  ])("rejects %s with the line number", (_, badRow, message) => {
    const text = csv("4.9,3.0,1.4,0.2,setosa", badRow);
    expect(() => parseIrisCsv(text)).toThrow(DatasetError);
    expect(() => parseIrisCsv(text)).toThrow(message);
  });

  it("rejects a wrong header on line 1", () => {
    expect(() => parseIrisCsv("a,b,c,d,e\n5.1,3.5,1.4,0.2,setosa")).toThrow(/^line 1: expected header/);
  });

  it("reports the line of the bad row, not the first row", () => {
    const rows = Array.from({ length: 9 }, () => "5.0,3.0,1.0,0.2,setosa");
    rows.push("5.0,3.0,1.0,NaN,setosa");
    try {
      parseIrisCsv(csv(...rows));
      expect.unreachable("should have thrown");
    } catch (error) {
      expect((error as DatasetError).line).toBe(11);
    }
  });

  it("ignores blank lines and a trailing newline", () => {
    expect(
      parseIrisCsv(`${csv("5.1,3.5,1.4,0.2,setosa", "", "6.3,3.3,6.0,2.5,virginica")}\n`).labels,
    ).toEqual([0, 2]);
  });
});
