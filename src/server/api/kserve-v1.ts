/**
 * KServe V1 data plane (the TensorFlow Serving-style protocol): `GET /v1/models`, `GET /v1/models/<name>`,
 * `POST /v1/models/<name>:predict` with `{"instances": [...]}` answered by `{"predictions": [...]}` holding
 * class indices, as KServe's scikit-learn runtime answers for a classifier.
 */
import { z } from "@hono/zod-openapi";
import { type PlainRowChecks, type RowSchemas, soleKey } from "./rows.js";

/** Schemas of the V1 endpoints, built once per app. */
export function createV1Schemas(rows: RowSchemas) {
  return {
    listResponse: z
      .object({ models: z.array(z.string()).openapi({ example: ["iris"] }) })
      .openapi("V1ModelList"),
    readyResponse: z
      .object({ name: z.string().openapi({ example: "iris" }), ready: z.boolean() })
      .openapi("V1ModelReady"),
    // Not strict: V1 clients may send extra top-level fields (e.g. `signature_name`); only rows are checked.
    predictRequest: z.object({ instances: rows.instances }).openapi("V1PredictRequest"),
    predictResponse: z
      .object({
        predictions: z
          .array(z.number().int())
          .openapi({ description: "Predicted class index per row, in request order.", example: [0, 2] }),
      })
      .openapi("V1PredictResponse"),
  };
}

/**
 * `{"instances": [lists]}` and nothing else, recognised without zod (see `jsonRequestBody`); any other
 * body, valid or not, is left to the schema.
 */
export function plainV1PredictRequest(plain: PlainRowChecks) {
  return (body: unknown): body is { instances: number[][] } =>
    soleKey(body) === "instances" && plain.rows((body as { instances: unknown }).instances);
}

/** The V1 verb this server implements, as it appears after the model name: `/v1/models/iris:predict`. */
export const V1_PREDICT_SUFFIX = ":predict";
