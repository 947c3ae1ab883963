import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

/** Feature columns of the Iris CSV, in model input order (centimetres). */
export const IRIS_FEATURES = ["sepal_length", "sepal_width", "petal_length", "petal_width"] as const;
/** Species in model output index order. */
export const IRIS_CLASSES = ["setosa", "versicolor", "virginica"] as const;

/** The Iris data set shipped with the repository (see IRIS-DATA.md for its source and licence). */
export const IRIS_CSV_PATH = fileURLToPath(new URL("./iris.csv", import.meta.url));

export interface Dataset {
  /** One row of raw feature values per sample, in {@link IRIS_FEATURES} order. */
  features: number[][];
  /** Class index per sample, into {@link IRIS_CLASSES}. */
  labels: number[];
  /** sha256 of the CSV bytes, recorded in the model metadata. */
  sha256: string;
}

/** A malformed CSV row; `line` is 1-based and counts the header. */
export class DatasetError extends Error {
  override readonly name = "DatasetError";
  constructor(
    readonly line: number,
    detail: string,
  ) {
    super(`line ${line}: ${detail}`);
  }
}

/**
 * Parses the Iris CSV, validating every row: exactly five columns, four finite numbers and a known species.
 * The first bad row throws a {@link DatasetError} naming its line.
 *
 * @example
 * const { features, labels } = parseIrisCsv("sepal_length,...\n5.1,3.5,1.4,0.2,setosa\n");
 */
export function parseIrisCsv(text: string): Dataset {
  const lines = text.split(/\r?\n/);
  const header = lines[0]?.trim();
  const expectedHeader = [...IRIS_FEATURES, "species"].join(",");
  if (header !== expectedHeader) {
    throw new DatasetError(1, `expected header "${expectedHeader}", got "${header ?? ""}"`);
  }
  const features: number[][] = [];
  const labels: number[] = [];
  lines.slice(1).forEach((raw, index) => {
    const line = index + 2;
    if (raw.trim() === "") return;
    const cells = raw.split(",").map((cell) => cell.trim());
    if (cells.length !== IRIS_FEATURES.length + 1) {
      throw new DatasetError(line, `expected ${IRIS_FEATURES.length + 1} columns, got ${cells.length}`);
    }
    const row = IRIS_FEATURES.map((name, column) => {
      const cell = cells[column] ?? "";
      const value = cell === "" ? Number.NaN : Number(cell);
      if (!Number.isFinite(value)) throw new DatasetError(line, `${name} is not a finite number: "${cell}"`);
      return value;
    });
    const species = cells[IRIS_FEATURES.length] ?? "";
    const label = (IRIS_CLASSES as readonly string[]).indexOf(species);
    if (label < 0) {
      throw new DatasetError(
        line,
        `unknown species "${species}" (expected one of ${IRIS_CLASSES.join(", ")})`,
      );
    }
    features.push(row);
    labels.push(label);
  });
  if (features.length === 0) throw new DatasetError(2, "no data rows");
  return { features, labels, sha256: createHash("sha256").update(text).digest("hex") };
}

/** Reads and validates the shipped Iris CSV. */
export function loadIris(path: string = IRIS_CSV_PATH): Dataset {
  return parseIrisCsv(readFileSync(path, "utf8"));
}
