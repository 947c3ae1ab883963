/**
 * Feature rows as every protocol accepts them (a list of numbers, or an object keyed by feature name), and
 * what all protocols share about the served model. Schemas depend on the model's feature names and the
 * row limit, so they are built once per app by {@link createRowSchemas}, never per request.
 */
import { z } from "@hono/zod-openapi";
import { ERROR_TYPES } from "../../contract/index.js";
import type { InferenceResult } from "../inference-engine.js";
import { ApiError } from "./errors.js";

/** Largest finite float32: the model computes in float32, so larger magnitudes would become Infinity. */
export const FLOAT32_MAX = 3.4028234663852886e38;

/** The served model as the HTTP layer sees it: names and sizes, no way to run it. */
export interface ServedModel {
  readonly name: string;
  readonly version: string;
  /** Input column order. */
  readonly featureNames: readonly string[];
  /** Output index order. */
  readonly classNames: readonly string[];
}

/** A typical setosa, for examples in the OpenAPI document. */
const EXAMPLE_ROW = [5.1, 3.5, 1.4, 0.2];

/** Schemas for one row and for a list of rows, built for one model and row limit. */
export interface RowSchemas {
  /** `[5.1, 3.5, 1.4, 0.2]`: one value per feature, in `featureNames` order. */
  readonly featureVector: z.ZodType<number[]>;
  /** `{"sepal_length": 5.1, …}`: every feature by name, nothing else. */
  readonly namedFeatures: z.ZodType<Record<string, number>>;
  /** Either of the above. */
  readonly featureRow: z.ZodType<number[] | Record<string, number>>;
  /** 1 to `maxRowsPerRequest` rows. */
  readonly instances: z.ZodType<(number[] | Record<string, number>)[]>;
  /** The same limits checked without zod, for the request fast paths (see `jsonRequestBody`). */
  readonly plain: PlainRowChecks;
}

/**
 * Recognises the list forms of rows without zod, accepting only what the schemas above accept unchanged.
 * A value either check rejects may still be valid (named features, say): zod decides those.
 */
export interface PlainRowChecks {
  /** Exactly `featureCount` numbers, each finite and within float32 range: a valid {@link RowSchemas.featureVector}. */
  row(value: unknown): value is number[];
  /** 1 to `maxRowsPerRequest` such rows: a valid {@link RowSchemas.instances}. */
  rows(value: unknown): value is number[][];
}

/** The only own key of `body` if it is a plain (non-array) object with exactly one, else undefined. */
export function soleKey(body: unknown): string | undefined {
  if (typeof body !== "object" || body === null || Array.isArray(body)) return undefined;
  const keys = Object.keys(body);
  return keys.length === 1 ? keys[0] : undefined;
}

function plainRowChecks(featureCount: number, maxRowsPerRequest: number): PlainRowChecks {
  const row = (value: unknown): value is number[] => {
    if (!Array.isArray(value) || value.length !== featureCount) return false;
    for (let i = 0; i < featureCount; i++) {
      const v: unknown = value[i];
      // Also false for NaN, ±Infinity and holes.
      if (typeof v !== "number" || !(v >= -FLOAT32_MAX && v <= FLOAT32_MAX)) return false;
    }
    return true;
  };
  const rows = (value: unknown): value is number[][] => {
    if (!Array.isArray(value) || value.length < 1 || value.length > maxRowsPerRequest) return false;
    for (let r = 0; r < value.length; r++) if (!row(value[r])) return false;
    return true;
  };
  return { row, rows };
}

/**
 * Builds the row schemas for `model`, allowing at most `maxRowsPerRequest` rows in a list.
 *
 * @example
 * const { featureRow } = createRowSchemas(model, 1024);
 * featureRow.parse({ sepal_length: 5.1, sepal_width: 3.5, petal_length: 1.4, petal_width: 0.2 });
 */
export function createRowSchemas(model: ServedModel, maxRowsPerRequest: number): RowSchemas {
  const names = model.featureNames;
  const count = names.length;
  const value = z
    .number()
    .min(-FLOAT32_MAX)
    .max(FLOAT32_MAX)
    .openapi({ description: "A finite measurement, within float32 range." });
  const featureVector = z
    .array(value)
    .length(count)
    .openapi("FeatureVector", {
      description: `Exactly ${count} numbers, in this order: ${names.join(", ")}.`,
      minItems: count,
      maxItems: count,
      example: EXAMPLE_ROW,
    });
  const namedFeatures = z
    .strictObject(Object.fromEntries(names.map((name) => [name, value])) as Record<string, typeof value>)
    .openapi("NamedFeatures", {
      description: `Every feature by name (${names.join(", ")}), and no other field.`,
      example: Object.fromEntries(names.map((name, i) => [name, EXAMPLE_ROW[i] ?? 0])),
    });
  const featureRow = z
    .union([featureVector, namedFeatures], {
      error: `each row must be a list of ${count} numbers or an object with ${names.join(", ")}`,
    })
    .openapi("FeatureRow");
  const instances = z
    .array(featureRow)
    .min(1)
    .max(maxRowsPerRequest)
    .openapi({
      description: `1 to ${maxRowsPerRequest} rows.`,
      example: [EXAMPLE_ROW, [6.7, 3.0, 5.2, 2.3]],
    });
  return {
    featureVector,
    namedFeatures,
    featureRow,
    instances,
    plain: plainRowChecks(count, maxRowsPerRequest),
  };
}

/** Packs validated rows (lists or named objects) row-major into one Float32Array for the engine. */
export function packRows(
  rows: readonly (readonly number[] | Readonly<Record<string, number>>)[],
  featureNames: readonly string[],
): Float32Array {
  const width = featureNames.length;
  const packed = new Float32Array(rows.length * width);
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r];
    const offset = r * width;
    if (Array.isArray(row)) {
      packed.set(row, offset);
    } else {
      const named = row as Readonly<Record<string, number>>;
      for (let f = 0; f < width; f++) packed[offset + f] = named[featureNames[f] as string] as number;
    }
  }
  return packed;
}

/**
 * A row the model could not score (non-finite output, e.g. from absurdly large inputs) is the client's
 * input problem: answer 400 naming the row instead of sending NaN back.
 */
export function assertScored(result: InferenceResult, describeRow: (row: number) => string): void {
  const bad = result.classIndices.indexOf(-1);
  if (bad >= 0) {
    throw new ApiError(
      400,
      ERROR_TYPES.invalidInput,
      `${describeRow(bad)}: the model produced no finite probabilities for these values; are they real measurements?`,
    );
  }
}
