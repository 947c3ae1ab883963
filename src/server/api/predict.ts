/**
 * `POST /predict`: the three request forms users already send, and the answer they expect.
 */
import { z } from "@hono/zod-openapi";
import type { InferenceResult } from "../inference-engine.js";
import {
  type PlainRowChecks,
  type RowSchemas,
  type ServedModel,
  assertScored,
  packRows,
  soleKey,
} from "./rows.js";

/** Schemas of `/predict`, built once per app. */
export interface PredictSchemas {
  readonly request: z.ZodType<PredictRequest>;
  readonly response: z.ZodType<PredictResponse>;
}

/** `{"features": [...]}`, `{"sepal_length": …, …}` or `{"instances": [rows]}`. */
export type PredictRequest =
  { features: number[] } | Record<string, number> | { instances: (number[] | Record<string, number>)[] };

/** One scored row. */
export interface Prediction {
  /** Index of the predicted class. */
  prediction: number;
  /** Name of the predicted class. */
  class: string;
  /** Probability per class name. */
  probabilities: Record<string, number>;
  /** Probability of the predicted class. */
  confidence: number;
  model: { name: string; version: string };
  /** Server-side time for the whole request until the answer was ready, in milliseconds. */
  processing_time_ms: number;
}

export type PredictResponse = Prediction | { predictions: Prediction[] };

/** Builds the `/predict` request and response schemas for `model`. */
export function createPredictSchemas(model: ServedModel, rows: RowSchemas): PredictSchemas {
  const names = model.featureNames;
  const request = z
    .union(
      [
        z.strictObject({ features: rows.featureVector }).openapi("FeaturesRequest"),
        rows.namedFeatures,
        z.strictObject({ instances: rows.instances }).openapi("InstancesRequest"),
      ],
      {
        error: `expected {"features": [${names.length} numbers]}, {${names.map((n) => `"${n}": …`).join(", ")}} or {"instances": [rows]}`,
      },
    )
    .openapi("PredictRequest", {
      description: "One row as a list, one row by feature name, or a batch of rows in either form.",
    }) as z.ZodType<PredictRequest>;

  const probabilities = z
    .strictObject(Object.fromEntries(model.classNames.map((name) => [name, z.number()])))
    .openapi({ description: "Probability per class; they sum to 1." });
  const prediction = z
    .object({
      prediction: z.number().int().openapi({ description: "Index of the predicted class.", example: 0 }),
      class: z
        .string()
        .openapi({ description: "Name of the predicted class.", example: model.classNames[0] }),
      probabilities,
      confidence: z.number().openapi({ description: "Probability of the predicted class." }),
      model: z.object({ name: z.string(), version: z.string() }),
      processing_time_ms: z.number().openapi({ description: "Server-side time for the whole request." }),
    })
    .openapi("Prediction");
  const response = z
    .union([prediction, z.object({ predictions: z.array(prediction) }).openapi("BatchPrediction")])
    .openapi("PredictResponse") as z.ZodType<PredictResponse>;
  return { request, response };
}

/**
 * The two `/predict` forms that carry the traffic, `{"features": [numbers]}` and `{"instances": [lists]}`,
 * recognised without zod (see `jsonRequestBody`); any other body, valid or not, is left to the schema.
 */
export function plainPredictRequest(plain: PlainRowChecks): (body: unknown) => body is PredictRequest {
  return (body): body is PredictRequest => {
    const key = soleKey(body);
    if (key === "features") return plain.row((body as { features: unknown }).features);
    if (key === "instances") return plain.rows((body as { instances: unknown }).instances);
    return false;
  };
}

/** The rows of a validated `/predict` body, packed for the engine, and whether the answer is a batch. */
export function predictRows(
  body: PredictRequest,
  model: ServedModel,
): { features: Float32Array; rows: number; batch: boolean; describeRow: (row: number) => string } {
  if ("instances" in body && Array.isArray(body.instances)) {
    const instances = body.instances;
    return {
      features: packRows(instances, model.featureNames),
      rows: instances.length,
      batch: true,
      describeRow: (row) => `instances[${row}]`,
    };
  }
  if ("features" in body && Array.isArray(body.features)) {
    return {
      features: new Float32Array(body.features),
      rows: 1,
      batch: false,
      describeRow: () => "features",
    };
  }
  return {
    features: packRows([body as Record<string, number>], model.featureNames),
    rows: 1,
    batch: false,
    describeRow: () => "request",
  };
}

/**
 * Formats the engine's result for `/predict`: one {@link Prediction} per row, in order.
 *
 * @throws ApiError 400 when a row could not be scored.
 */
export function toPredictions(
  result: InferenceResult,
  model: ServedModel,
  processingMs: number,
  describeRow: (row: number) => string,
): Prediction[] {
  assertScored(result, describeRow);
  const { classNames } = model;
  const classCount = classNames.length;
  const modelRef = { name: model.name, version: model.version };
  const processing_time_ms = Math.round(processingMs * 1000) / 1000;
  const out: Prediction[] = new Array(result.classIndices.length);
  for (let r = 0; r < result.classIndices.length; r++) {
    const k = result.classIndices[r] as number;
    const offset = r * classCount;
    const probabilities: Record<string, number> = {};
    for (let c = 0; c < classCount; c++)
      probabilities[classNames[c] as string] = result.probabilities[offset + c] as number;
    out[r] = {
      prediction: k,
      class: classNames[k] as string,
      probabilities,
      confidence: result.probabilities[offset + k] as number,
      model: modelRef,
      processing_time_ms,
    };
  }
  return out;
}
