import { parser } from "@prometheus-io/lezer-promql";

/** What the PromQL grammar (the one Prometheus' own UI uses) says about an expression. */
export interface PromqlSyntax {
  /** Offsets at which the parser had to recover from an error; empty when the expression is valid. */
  readonly errorsAt: readonly number[];
  /** Metric names of every vector selector, in order of appearance, without duplicates. */
  readonly metricNames: readonly string[];
}

/**
 * Parses `expr` with `@prometheus-io/lezer-promql`.
 *
 * @example parsePromql("rate(up[5m])").metricNames // => ["up"]
 */
export function parsePromql(expr: string): PromqlSyntax {
  const cursor = parser.parse(expr).cursor();
  const errorsAt: number[] = [];
  const metricNames = new Set<string>();
  do {
    if (cursor.type.isError) errorsAt.push(cursor.from);
    if (cursor.name === "VectorSelector") {
      const selectorNode = cursor.node;
      const identifier = selectorNode.getChild("Identifier");
      if (identifier) metricNames.add(expr.slice(identifier.from, identifier.to));
    }
  } while (cursor.next());
  return { errorsAt, metricNames: [...metricNames] };
}
