import type { VariableOption } from "@grafana/grafana-foundation-sdk/dashboard";

/** The variable builders (query, custom, …) that can offer several values and "All". */
interface MultiValueVariable<B> {
  multi(multi: boolean): B;
  includeAll(includeAll: boolean): B;
  allValue(allValue: string): B;
  current(current: VariableOption): B;
}

/**
 * Lets the user pick several values, or All, the default: All stands for `.*`, so a `=~"$var"` matcher
 * keeps every series.
 */
export function multiValueWithAll<B extends MultiValueVariable<B>>(variable: B): B {
  return variable.multi(true).includeAll(true).allValue(".*").current({ text: "All", value: "$__all" });
}
