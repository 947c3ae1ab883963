/**
 * Turns zod validation issues into messages a client can act on: which field of which row, what was
 * expected, what arrived. Only runs on the error path, so it may take its time.
 */
import type { Context } from "hono";
import type { z } from "zod";
import { ERROR_TYPES } from "../../contract/index.js";
import { ApiError, tooManyRows } from "./errors.js";

type Issue = z.core.$ZodIssue;

/** One problem in a request: where (`instances[2].petal_width`, empty for the body itself) and what. */
export interface Problem {
  readonly path: string;
  readonly message: string;
}

/** Fields whose arrays hold request rows: a `too_big` there is "too many rows" (413), not a 400. */
const ROWS_FIELDS: ReadonlySet<PropertyKey> = new Set(["instances", "inputs"]);

/** Most problems listed in one error body; a 1000-row batch of garbage should not echo 4000 lines. */
const MAX_PROBLEMS = 20;

/** The fast path each schema passed to {@link jsonRequestBody} was given (undefined: none). */
const fastPaths = new WeakMap<z.ZodType, ((body: unknown) => boolean) | undefined>();

/**
 * A required JSON request body for a zod-openapi route, validated synchronously, optionally with a fast
 * path for the request forms that carry the traffic.
 *
 * @hono/zod-validator always calls `schema.safeParseAsync`. In zod 4 the async entry point skips the
 * compiled (JIT) object parser and adds a promise per schema level; measured on `/predict` it cost
 * ~3.5 µs per request (~5 % of throughput). None of our schemas has async refinements or transforms, so
 * the async entry point may run the sync parser; should one ever gain an async step, zod's sync parser
 * throws on it (a bug surfaced as a 500 in tests, not a silent skip). The schema object stays the same
 * one, so its OpenAPI name and description are unchanged.
 *
 * `accepts`, when given, is checked first: a body it accepts is used as it is, anything else goes to
 * zod, which also writes every error message. It must accept only bodies the schema accepts unchanged
 * (a property test holds each one to that); zod's generic parse of even a one-row body cost ~4.8 µs
 * per request in the server, a hand-written shape check well under one.
 *
 * @example
 * createRoute({ method: "post", path: "/predict", request: { body: jsonRequestBody(schema) }, ... });
 */
export function jsonRequestBody<T extends z.ZodType>(
  schema: T,
  accepts?: (body: unknown) => body is z.output<T>,
): { content: { "application/json": { schema: T } }; required: true } {
  // The override lives on the schema object, so one schema cannot serve two routes with different fast
  // paths (say, two apps with different row limits sharing a module-level schema): the second would win.
  if (fastPaths.has(schema) && fastPaths.get(schema) !== accepts) {
    throw new Error(
      "jsonRequestBody: this schema already has a different fast path; build one schema per route",
    );
  }
  fastPaths.set(schema, accepts);
  schema.safeParseAsync = accepts
    ? async (data, params) => (accepts(data) ? { success: true, data } : schema.safeParse(data, params))
    : async (data, params) => schema.safeParse(data, params);
  return { content: { "application/json": { schema } }, required: true };
}

/**
 * The zod-openapi validation hook shared by every route: failed validation becomes an {@link ApiError}
 * (400 naming each problem, or 413 when a row list is longer than allowed).
 */
export function validationHook(
  result: { success: true } | { success: false; error: z.ZodError },
  _c: Context,
): void {
  // @hono/zod-validator passes the unparsed input as `data` on failure too, though its type omits it.
  if (!result.success) throw invalidRequest(result.error.issues, (result as { data?: unknown }).data);
}

/** The {@link ApiError} for a body that failed validation. */
export function invalidRequest(issues: readonly Issue[], input: unknown): ApiError {
  const resolved = resolveUnions(issues, [], input);
  const tooLong = resolved.find(
    (issue) =>
      issue.code === "too_big" && issue.origin === "array" && ROWS_FIELDS.has(issue.path.at(-1) ?? ""),
  );
  if (tooLong && tooLong.code === "too_big") {
    const rows = valueAt(input, tooLong.path);
    return tooManyRows(
      formatPath(tooLong.path),
      Array.isArray(rows) ? rows.length : 0,
      Number(tooLong.maximum),
    );
  }
  const problems = resolved.map((issue) => ({
    path: formatPath(issue.path),
    message: describe(issue, input),
  }));
  return invalidInput(problems);
}

/** A 400 listing `problems`; the `error` string carries the first few so a glance at it is enough. */
export function invalidInput(problems: readonly Problem[]): ApiError {
  const shown = problems.slice(0, MAX_PROBLEMS);
  const summary = shown
    .slice(0, 3)
    .map((p) => (p.path === "" ? p.message : `${p.path}: ${p.message}`))
    .join("; ");
  const more = problems.length > 3 ? ` (and ${problems.length - 3} more problems)` : "";
  return new ApiError(400, ERROR_TYPES.invalidInput, `invalid request: ${summary}${more}`, { issues: shown });
}

/**
 * zod reports a failed union as one issue holding every branch's issues. The client meant one branch:
 * the one whose value has the right shape at the union itself (no type error or unknown key there). When
 * exactly one branch qualifies, report its issues; otherwise the union's own message, which lists the
 * accepted forms.
 */
function resolveUnions(issues: readonly Issue[], base: readonly PropertyKey[], input: unknown): Issue[] {
  const out: Issue[] = [];
  for (const issue of issues) {
    const path = [...base, ...issue.path];
    if (issue.code !== "invalid_union") {
      out.push({ ...issue, path });
      continue;
    }
    const plausible = issue.errors.filter(
      (branch) =>
        !branch.some(
          (i) => i.path.length === 0 && (i.code === "invalid_type" || i.code === "unrecognized_keys"),
        ),
    );
    if (plausible.length === 1) out.push(...resolveUnions(plausible[0] as Issue[], path, input));
    else out.push({ ...issue, errors: [], path });
  }
  return out;
}

function describe(issue: Issue, input: unknown): string {
  const value = valueAt(input, issue.path);
  switch (issue.code) {
    case "invalid_type":
      if (value === undefined) return "is required";
      if (issue.expected === "number" && typeof value === "number")
        return `must be a finite number, got ${value}`;
      return `must be ${article(issue.expected)}, got ${kindOf(value)}`;
    case "too_small":
    case "too_big": {
      const limit = Number(issue.code === "too_small" ? issue.minimum : issue.maximum);
      if (issue.origin === "array") {
        const got = Array.isArray(value) ? value.length : 0;
        if (issue.exact) return `must have exactly ${limit} values, got ${got}`;
        if (issue.code === "too_small")
          return limit === 1 ? "must not be empty" : `must have at least ${limit} values`;
        return `must have at most ${limit} values, got ${got}`;
      }
      if (issue.origin === "number") {
        return `must be ${issue.code === "too_small" ? "at least" : "at most"} ${limit}, got ${String(value)}`;
      }
      return issue.message;
    }
    case "unrecognized_keys":
      return `unknown field${issue.keys.length > 1 ? "s" : ""} ${issue.keys.map((k) => JSON.stringify(k)).join(", ")}`;
    default:
      return issue.message;
  }
}

/** `["instances", 2, "petal_width"]` → `instances[2].petal_width`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const key of path) {
    if (typeof key === "number") out += `[${key}]`;
    else out += out === "" ? String(key) : `.${String(key)}`;
  }
  return out;
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let value = input;
  for (const key of path) {
    if (value === null || typeof value !== "object") return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

/** A short description of what arrived, without echoing large values back. */
export function kindOf(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  switch (typeof value) {
    case "string":
      return `a string (${JSON.stringify(value.length > 20 ? `${value.slice(0, 20)}…` : value)})`;
    case "boolean":
      return String(value);
    case "object":
      return "an object";
    default:
      return typeof value;
  }
}

function article(expected: string): string {
  switch (expected) {
    case "array":
      return "a list";
    case "object":
      return "an object";
    case "number":
      return "a number";
    case "string":
      return "a string";
    default:
      return `a value of type ${expected}`;
  }
}
