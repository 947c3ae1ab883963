import { stringify } from "yaml";
import type { PrometheusDuration } from "../../prometheus-config.js";

/**
 * The Prometheus rules file, typed with its own field names. The standalone Prometheus reads it from a
 * ConfigMap; operator mode ships the same groups in a PrometheusRule.
 */

/** How urgently a human must react: `critical` pages, `warning` opens a ticket. */
export type Severity = "critical" | "warning";

/** A recording rule. */
export interface RecordingRule {
  readonly record: string;
  readonly expr: string;
}

/** An alerting rule. */
export interface AlertingRule {
  readonly alert: string;
  readonly expr: string;
  readonly for: PrometheusDuration;
  readonly labels: { readonly severity: Severity };
  readonly annotations: {
    readonly summary: string;
    readonly description: string;
    /** Set for every shipped alert by `withRunbookUrls`. */
    readonly runbook_url?: string;
  };
}

/** A rule group. */
export interface RuleGroup {
  readonly name: string;
  readonly rules: readonly (RecordingRule | AlertingRule)[];
}

/** A whole rules file. */
export interface RuleFile {
  readonly groups: readonly RuleGroup[];
}

/** Renders rule groups as a Prometheus rules file; the same input always gives the same bytes. */
export function renderRuleFile(groups: readonly RuleGroup[]): string {
  const file: RuleFile = { groups };
  return stringify(file, { lineWidth: 0 });
}
