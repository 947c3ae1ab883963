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
    predictRequest: z
      .object({
        instances: rows.instances.optional(),
        inputs: rows.instances.optional().openapi({ description: "Same as `instances`." }),
      })
      .superRefine((body, ctx) => {
        const given = V1_ROW_FIELDS.filter((field) => body[field] !== undefined);
        if (given.length === 1) return;
        ctx.addIssue(
          given.length === 0
            ? { code: "custom", path: ["instances"], message: 'is required (or send the rows as "inputs")' }
            : { code: "custom", path: [], message: 'send the rows as "instances" or as "inputs", not both' },
        );
      })
      .openapi("V1PredictRequest", {
        description:
          "The rows under `instances` or under `inputs` (KServe V1 takes both root keys), not both. Other " +
          "top-level fields are ignored.",
        oneOf: [{ required: ["instances"] }, { required: ["inputs"] }],
      }),
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
 * `{"instances": [lists]}` or `{"inputs": [lists]}` and nothing else, recognised without zod (see
 * `jsonRequestBody`); any other body, valid or not, is left to the schema.
 */
export function plainV1PredictRequest(plain: PlainRowChecks) {
  return (body: unknown): body is { instances: number[][] } | { inputs: number[][] } => {
    const key = soleKey(body);
    return (key === "instances" || key === "inputs") && plain.rows((body as Record<string, unknown>)[key]);
  };
}

/** The root keys a V1 request may carry its rows under: KServe's V1 server takes both (exactly one). */
export const V1_ROW_FIELDS = ["instances", "inputs"] as const;

/** The rows of a validated V1 request, whichever root key carried them. */
export function v1Rows<T>(body: { readonly instances?: T; readonly inputs?: T }): T {
  const rows = body.instances ?? body.inputs;
  // The schema (and the fast path) admit exactly one of the two.
  if (rows === undefined) throw new Error("V1 request without rows passed validation");
  return rows;
}

/** The V1 verb this server implements, as it appears after the model name: `/v1/models/iris:predict`. */
export const V1_PREDICT_SUFFIX = ":predict";
