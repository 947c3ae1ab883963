/**
 * The zod-free fast paths for `/predict` and KServe V1 `:predict` bodies must never accept a body the schema
 * would reject or change, and must engage on the forms they are for.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createV1Schemas, plainV1PredictRequest } from "./kserve-v1.js";
import { createPredictSchemas, plainPredictRequest } from "./predict.js";
import { FLOAT32_MAX, createRowSchemas } from "./rows.js";

const MODEL = {
  name: "iris",
  version: "test",
  featureNames: ["sepal_length", "sepal_width", "petal_length", "petal_width"],
  classNames: ["setosa", "versicolor", "virginica"],
};
const MAX_ROWS = 5;
const rows = createRowSchemas(MODEL, MAX_ROWS);
const predict = {
  schema: createPredictSchemas(MODEL, rows).request,
  accepts: plainPredictRequest(rows.plain),
};
const v1 = { schema: createV1Schemas(rows).predictRequest, accepts: plainV1PredictRequest(rows.plain) };

const validRow = fc.array(fc.double({ min: -FLOAT32_MAX, max: FLOAT32_MAX, noNaN: true }), {
  minLength: 4,
  maxLength: 4,
});

/** Values a row may hold, weighted towards the edges of what is valid. */
const value = fc.oneof(
  { weight: 6, arbitrary: fc.double({ min: -1e3, max: 1e3, noNaN: true }) },
  fc.constantFrom(0, -0, FLOAT32_MAX, -FLOAT32_MAX, 3.5e38, -3.5e38, Number.MAX_VALUE, 1e-45),
  fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY),
  fc.constantFrom("5.1", null, true, undefined, [], {}),
);
const row = fc.oneof(
  { weight: 6, arbitrary: fc.array(value, { minLength: 4, maxLength: 4 }) },
  fc.array(value, { minLength: 0, maxLength: 6 }),
  fc.record({ sepal_length: value, sepal_width: value, petal_length: value, petal_width: value }),
  fc.anything(),
);
const rowList = fc.oneof(
  { weight: 4, arbitrary: fc.array(row, { minLength: 1, maxLength: MAX_ROWS }) },
  fc.array(row, { minLength: 0, maxLength: MAX_ROWS + 2 }),
  fc.anything(),
);
/** Mostly valid rows with the odd near miss: the bodies where a fast path could go wrong. */
const mostlyValidRows = fc.array(fc.oneof({ weight: 30, arbitrary: validRow }, row), {
  minLength: 0,
  maxLength: MAX_ROWS + 1,
});
const body = fc.oneof(
  { weight: 3, arbitrary: fc.record({ instances: mostlyValidRows }) },
  { weight: 2, arbitrary: fc.record({ features: fc.oneof({ weight: 5, arbitrary: validRow }, row) }) },
  fc.record({ features: row }),
  fc.record({ instances: rowList }),
  fc.record({ instances: rowList, extra: fc.anything() }),
  fc.record({ features: row, instances: rowList }),
  { weight: 2, arbitrary: fc.record({ inputs: mostlyValidRows }) },
  fc.record({ instances: mostlyValidRows, inputs: mostlyValidRows }),
  fc.dictionary(
    fc.constantFrom("features", "instances", "inputs", "__proto__", "sepal_length"),
    fc.anything(),
  ),
  fc.anything(),
);

describe.each([
  ["/predict", predict],
  ["V1 :predict", v1],
])("the %s fast path", (_name, { schema, accepts }) => {
  it("accepts only bodies the schema accepts, and returns them as the schema would", () => {
    let accepted = 0;
    fc.assert(
      fc.property(body, (candidate) => {
        if (!accepts(candidate)) return;
        accepted++;
        const parsed = schema.safeParse(candidate);
        expect(parsed.success).toBe(true);
        // toEqual, not toStrictEqual: fast-check also makes null-prototype objects, which JSON.parse never does.
        expect(parsed.data).toEqual(candidate);
      }),
      { numRuns: 3000 },
    );
    expect(accepted).toBeGreaterThan(100);
  });

  it("takes every valid body of the list-of-rows form", () => {
    fc.assert(
      fc.property(fc.array(validRow, { minLength: 1, maxLength: MAX_ROWS }), (instances) => {
        expect(accepts({ instances })).toBe(true);
      }),
    );
  });

  it("leaves one row too many, a string number and a parsed-to-Infinity value to the schema", () => {
    const ok = [5.1, 3.5, 1.4, 0.2];
    expect(accepts({ instances: Array.from({ length: MAX_ROWS + 1 }, () => ok) })).toBe(false);
    expect(accepts({ instances: [[5.1, "3.5", 1.4, 0.2]] })).toBe(false);
    expect(accepts(JSON.parse('{"instances": [[5.1, 3.5, 1.4, 1e400]]}'))).toBe(false);
    expect(accepts(JSON.parse('{"instances": [[5.1, 3.5, 1.4, 0.2]], "__proto__": {}}'))).toBe(false);
  });
});

describe("the /predict fast path", () => {
  it("takes every valid one-row body and leaves named features to the schema", () => {
    fc.assert(
      fc.property(validRow, (features) => {
        expect(predict.accepts({ features })).toBe(true);
      }),
    );
    const named = { sepal_length: 5.1, sepal_width: 3.5, petal_length: 1.4, petal_width: 0.2 };
    expect(predict.accepts(named)).toBe(false);
    expect(predict.schema.safeParse(named).success).toBe(true);
  });
});

describe("the V1 :predict fast path", () => {
  it("takes every valid body with the rows under inputs, and leaves both root keys to the schema", () => {
    fc.assert(
      fc.property(fc.array(validRow, { minLength: 1, maxLength: MAX_ROWS }), (inputs) => {
        expect(v1.accepts({ inputs })).toBe(true);
        expect(v1.accepts({ instances: inputs, inputs })).toBe(false);
        expect(v1.schema.safeParse({ instances: inputs, inputs }).success).toBe(false);
      }),
    );
  });
});
