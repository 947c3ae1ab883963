/**
 * A syntax check for Grafana Alloy configuration files, written from the language reference
 * (https://grafana.com/docs/alloy/latest/get-started/configuration-syntax/): no parser for Alloy exists on
 * npm. It accepts a body of attributes (`name = expression`) and blocks (`a.b "label" { body }`), where an
 * expression is a string, number, bool, null, list, object (`{ key = expr, }`), a reference or call
 * (`sys.env("X")`) or a `+` of those. It checks structure, not component schemas: `alloy validate` against
 * the pinned image is the real check (README "Logs").
 *
 * @returns the first problem, `line N: message`, or undefined when the text parses
 */
export function alloySyntaxProblem(text: string): string | undefined {
  const tokens = tokenize(text);
  if (typeof tokens === "string") return tokens;
  let i = 0;
  const peek = () => tokens[i];
  const fail = (message: string): never => {
    throw new Error(
      `line ${peek()?.line ?? "end"}: ${message}, got ${JSON.stringify(peek()?.text ?? "end of file")}`,
    );
  };
  const take = (kind: Token["kind"], text?: string) => {
    const t = peek();
    if (t === undefined || t.kind !== kind || (text !== undefined && t.text !== text))
      fail(`expected ${text ?? kind}`);
    i++;
    return t!;
  };
  const at = (kind: Token["kind"], text?: string) =>
    peek()?.kind === kind && (text === undefined || peek()?.text === text);

  function body(closing: boolean): void {
    while (i < tokens.length && !(closing && at("punct", "}"))) {
      const name = take("ident");
      if (at("punct", "=")) {
        if (name.text.includes(".")) fail("attribute names have no dots");
        take("punct", "=");
        expression();
      } else {
        if (at("string")) take("string");
        take("punct", "{");
        body(true);
        take("punct", "}");
      }
    }
  }
  function expression(): void {
    primary();
    while (at("punct", "+")) {
      take("punct", "+");
      primary();
    }
  }
  function primary(): void {
    if (at("string") || at("number")) return void i++;
    if (at("punct", "[")) return list("[", "]", expression);
    if (at("punct", "{"))
      return list("{", "}", () => {
        if (at("string")) take("string");
        else take("ident");
        take("punct", "=");
        expression();
      });
    take("ident");
    if (at("punct", "(")) list("(", ")", expression);
  }
  function list(open: string, close: string, item: () => void): void {
    take("punct", open);
    while (!at("punct", close)) {
      item();
      if (!at("punct", close)) take("punct", ",");
    }
    take("punct", close);
  }
  try {
    body(false);
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

interface Token {
  readonly kind: "ident" | "string" | "number" | "punct";
  readonly text: string;
  readonly line: number;
}

function tokenize(text: string): Token[] | string {
  const tokens: Token[] = [];
  const pattern =
    /(?<space>[ \t\r\n]+)|(?<comment>\/\/[^\n]*)|(?<ident>[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*)|(?<string>"(?:[^"\\\n]|\\["\\/bfnrt]|\\u[0-9a-fA-F]{4})*")|(?<number>-?[0-9]+(\.[0-9]+)?)|(?<punct>[{}[\]()=,+])/y;
  let line = 1;
  while (pattern.lastIndex < text.length) {
    const start = pattern.lastIndex;
    const match = pattern.exec(text);
    if (match === null) return `line ${line}: unexpected character ${JSON.stringify(text[start])}`;
    const groups = match.groups!;
    const kind = (["ident", "string", "number", "punct"] as const).find((k) => groups[k] !== undefined);
    if (kind) tokens.push({ kind, text: match[0], line });
    line += (match[0].match(/\n/g) ?? []).length;
  }
  return tokens;
}
