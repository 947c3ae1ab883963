import { z } from "@hono/zod-openapi";
import { describe, expect, it } from "vitest";
import { jsonRequestBody } from "./validation.js";

describe("jsonRequestBody", () => {
  const row = () => z.strictObject({ features: z.array(z.number()).length(2) });

  it("answers safeParseAsync with the synchronous parser's result, success or failure", async () => {
    const schema = jsonRequestBody(row()).content["application/json"].schema;
    const reference = row();
    for (const input of [
      { features: [1, 2] },
      { features: [1] },
      { features: [1, "2"] },
      { other: 1 },
      null,
    ]) {
      const got = await schema.safeParseAsync(input);
      const expected = reference.safeParse(input);
      expect(got.success).toBe(expected.success);
      expect(got.success ? got.data : got.error.issues).toEqual(
        expected.success ? expected.data : expected.error.issues,
      );
    }
  });

  it("refuses a schema that gained an async step instead of skipping it", async () => {
    const schema = jsonRequestBody(row().refine(async () => true));
    await expect(
      schema.content["application/json"].schema.safeParseAsync({ features: [1, 2] }),
    ).rejects.toThrow(/async/i);
  });

  it("uses the fast path for what it accepts and zod for the rest", async () => {
    const schema = row();
    const body = jsonRequestBody(schema, (v): v is { features: number[] } => v === accepted).content[
      "application/json"
    ].schema;
    const accepted = { features: ["not", "numbers"] };
    expect(await body.safeParseAsync(accepted)).toEqual({ success: true, data: accepted });
    expect((await body.safeParseAsync({ features: ["not", "numbers"] })).success).toBe(false);
  });

  it("refuses one schema with two different fast paths, and allows the same one twice", () => {
    const schema = row();
    const accepts = (v: unknown): v is { features: number[] } => v === null;
    jsonRequestBody(schema, accepts);
    expect(() => jsonRequestBody(schema, accepts)).not.toThrow();
    expect(() => jsonRequestBody(schema, (v): v is { features: number[] } => v === 1)).toThrow(
      /different fast path/,
    );
    expect(() => jsonRequestBody(schema)).toThrow(/different fast path/);
  });

  it("keeps the schema itself, so its OpenAPI name survives", () => {
    const named = row().openapi("Row");
    expect(jsonRequestBody(named)).toEqual({
      content: { "application/json": { schema: named } },
      required: true,
    });
  });
});
