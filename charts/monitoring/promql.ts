/**
 * Small, typed builders for PromQL text, shared by the alert rules and the dashboards so that a label
 * value is quoted and escaped the same way everywhere.
 */

/** A label matcher; a bare string means equality. */
export type LabelMatcher = string | { readonly op: "=" | "!=" | "=~" | "!~"; readonly value: string };

/** Label name → matcher. Insertion order is kept, so the rendered selector is deterministic. */
export type LabelMatchers = Readonly<Record<string, LabelMatcher>>;

/**
 * Quotes a string as a PromQL string literal.
 *
 * @example quote('a"b') // => "\"a\\\"b\""
 */
export function quote(value: string): string {
  return JSON.stringify(value);
}

/**
 * Escapes every regular-expression metacharacter, for a `=~` matcher that must match a literal.
 *
 * @example escapeRegex("/v1/models/iris:predict")
 */
export function escapeRegex(literal: string): string {
  return literal.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** A regex alternation that matches exactly one of the given literals. */
export function anyOf(literals: readonly string[]): string {
  return literals.map(escapeRegex).join("|");
}

/**
 * Renders an instant-vector selector.
 *
 * @example selector("up", { job: "iris", status: { op: "=~", value: "5.." } }) // => up{job="iris",status=~"5.."}
 */
export function selector(metric: string, matchers: LabelMatchers = {}): string {
  const parts = Object.entries(matchers).map(([name, matcher]) =>
    typeof matcher === "string" ? `${name}=${quote(matcher)}` : `${name}${matcher.op}${quote(matcher.value)}`,
  );
  return parts.length === 0 ? metric : `${metric}{${parts.join(",")}}`;
}

/**
 * Prints a number for an expression or a message without floating-point noise (1 - 0.999 is
 * 0.0010000000000000009 in binary).
 *
 * @example formatNumber(1 - 0.999) // => "0.001"
 */
export function formatNumber(value: number): string {
  return String(Number(value.toPrecision(12)));
}

/** Grafana's range variable, resolved per panel to at least four scrape intervals. */
export const GRAFANA_RATE_INTERVAL = "$__rate_interval";
