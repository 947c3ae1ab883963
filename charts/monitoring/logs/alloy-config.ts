/**
 * Grafana Alloy's configuration language (https://grafana.com/docs/alloy/latest/get-started/configuration-syntax/)
 * as typed data, and the one pipeline the log collector runs. Alloy's syntax is its own (blocks, attributes,
 * expressions), not YAML, and no parser for it exists on npm; so the file is only ever written by
 * `renderAlloy` from these structures, which quotes every string, and the tests hold the output to the
 * grammar with a small tokenizer of their own.
 */

/** An expression written as-is: a component export (`loki.write.loki.receiver`) or a function call. */
export interface AlloyExpression {
  readonly expression: string;
}

/** A value of an attribute: string, number, bool, list, object, or an expression. */
export type AlloyValue =
  | string
  | number
  | boolean
  | AlloyExpression
  | readonly AlloyValue[]
  | { readonly [key: string]: AlloyValue };

/** A block: `name "label" { attributes... blocks... }` (the label only on components). */
export interface AlloyBlock {
  /** Component or block name, e.g. `discovery.kubernetes`, `stage.json`, `rule`. */
  readonly name: string;
  /** Component label, e.g. `"pods"`; blocks inside components have none. */
  readonly label?: string;
  /** Attributes, in order. */
  readonly attributes?: Readonly<Record<string, AlloyValue>>;
  /** Nested blocks, in order, after the attributes. */
  readonly blocks?: readonly AlloyBlock[];
}

/** An expression value. @example expr("sys.env(\"NODE_NAME\")") */
export function expr(expression: string): AlloyExpression {
  return { expression };
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
const BLOCK_NAME = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/;

function isExpression(value: AlloyValue): value is AlloyExpression {
  return typeof value === "object" && !Array.isArray(value) && "expression" in value;
}

function renderValue(value: AlloyValue, indent: string): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new Error(`Alloy: not a finite number: ${value}`);
    return String(value);
  }
  if (typeof value === "boolean") return String(value);
  if (Array.isArray(value)) return `[${value.map((v: AlloyValue) => renderValue(v, indent)).join(", ")}]`;
  if (isExpression(value)) return value.expression;
  const inner = `${indent}  `;
  const entries = Object.entries(value as Record<string, AlloyValue>).map(
    ([key, v]) => `${inner}${IDENTIFIER.test(key) ? key : JSON.stringify(key)} = ${renderValue(v, inner)},`,
  );
  return entries.length === 0 ? "{}" : `{\n${entries.join("\n")}\n${indent}}`;
}

function renderBlock(block: AlloyBlock, indent: string): string {
  if (!BLOCK_NAME.test(block.name)) throw new Error(`Alloy: invalid block name "${block.name}"`);
  const inner = `${indent}  `;
  const header = block.label === undefined ? block.name : `${block.name} ${JSON.stringify(block.label)}`;
  const lines = [
    ...Object.entries(block.attributes ?? {}).map(([key, value]) => {
      if (!IDENTIFIER.test(key)) throw new Error(`Alloy: invalid attribute name "${key}"`);
      return `${inner}${key} = ${renderValue(value, inner)}`;
    }),
    ...(block.blocks ?? []).map((b) => renderBlock(b, inner)),
  ];
  return `${indent}${header} {\n${lines.join("\n")}\n${indent}}`;
}

/** The configuration file text: the blocks, one blank line apart. */
export function renderAlloy(blocks: readonly AlloyBlock[]): string {
  return `${blocks.map((b) => renderBlock(b, "")).join("\n\n")}\n`;
}

/**
 * Fields of the server's JSON log lines (`src/server/logger.ts`) the pipeline reads, and where each goes.
 * Only `level` (a handful of values) becomes a label; the request id is unique per request and would make
 * one stream per request, so it and the route and status (bounded, but multiplying the streams by
 * routes × statuses) go to structured metadata: filterable in LogQL without a parser, not indexed.
 */
export const LOG_FIELDS = {
  labels: ["level"],
  structuredMetadata: ["req_id", "route", "status"],
} as const;

/** Stream labels the collector sets from discovery, besides `level`. */
export const LOG_STREAM_LABELS = ["namespace", "pod", "container"] as const;

/** Options of {@link logCollectorConfig}. */
export interface LogCollectorConfigOptions {
  /** Namespace whose pods' logs are collected. */
  readonly namespace: string;
  /** Label selector of those pods, e.g. `{ "app.kubernetes.io/name": "iris-inference" }`. */
  readonly podSelector: Readonly<Record<string, string>>;
  /** Environment variable holding the node name (from the downward API). */
  readonly nodeNameEnv: string;
  /** Loki's push endpoint, e.g. `http://loki.monitoring.svc:3100/loki/api/v1/push`. */
  readonly pushUrl: string;
}

/**
 * The collector's pipeline: discover the inference pods on this node (one Alloy per node, each tailing only
 * its node's pods through the API server), label them, tail their logs with `loki.source.kubernetes`, parse
 * the JSON lines, and push to Loki.
 */
export function logCollectorConfig(options: LogCollectorConfigOptions): AlloyBlock[] {
  const labelSelector = Object.entries(options.podSelector)
    .map(([key, value]) => `${key}=${value}`)
    .join(",");
  const relabel = (source: string, target: string): AlloyBlock => ({
    name: "rule",
    attributes: { source_labels: [source], target_label: target },
  });
  return [
    {
      name: "discovery.kubernetes",
      label: "pods",
      attributes: { role: "pod" },
      blocks: [
        { name: "namespaces", attributes: { names: [options.namespace] } },
        {
          name: "selectors",
          attributes: {
            role: "pod",
            label: labelSelector,
            field: expr(`"spec.nodeName=" + sys.env(${JSON.stringify(options.nodeNameEnv)})`),
          },
        },
      ],
    },
    {
      name: "discovery.relabel",
      label: "pods",
      attributes: { targets: expr("discovery.kubernetes.pods.targets") },
      blocks: [
        relabel("__meta_kubernetes_namespace", "namespace"),
        relabel("__meta_kubernetes_pod_name", "pod"),
        relabel("__meta_kubernetes_pod_container_name", "container"),
      ],
    },
    {
      name: "loki.source.kubernetes",
      label: "pods",
      attributes: {
        targets: expr("discovery.relabel.pods.output"),
        forward_to: [expr("loki.process.requests.receiver")],
      },
    },
    {
      name: "loki.process",
      label: "requests",
      attributes: { forward_to: [expr("loki.write.loki.receiver")] },
      blocks: [
        // An empty expression extracts the field of the same name; lines that are not JSON pass unchanged.
        {
          name: "stage.json",
          attributes: {
            expressions: Object.fromEntries(
              [...LOG_FIELDS.labels, ...LOG_FIELDS.structuredMetadata].map((f) => [f, ""]),
            ),
          },
        },
        {
          name: "stage.labels",
          attributes: { values: Object.fromEntries(LOG_FIELDS.labels.map((f) => [f, ""])) },
        },
        {
          name: "stage.structured_metadata",
          attributes: { values: Object.fromEntries(LOG_FIELDS.structuredMetadata.map((f) => [f, ""])) },
        },
      ],
    },
    {
      name: "loki.write",
      label: "loki",
      blocks: [{ name: "endpoint", attributes: { url: options.pushUrl } }],
    },
  ];
}
