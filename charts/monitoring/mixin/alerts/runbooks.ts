import type { AlertDefinition } from "./inference-alerts.js";

/**
 * The fragment of an alert's runbook section: the GitHub anchor of the README heading
 * `### Alert: <name>`.
 *
 * @example runbookAnchor("InferenceHighErrorRatio") // => "alert-inferencehigherrorratio"
 */
export function runbookAnchor(alert: string): string {
  return `alert-${alert.toLowerCase()}`;
}

/**
 * The runbook link of an alert.
 *
 * @example runbookUrl("https://example.com/README.md", "InferenceTargetDown")
 *   // => "https://example.com/README.md#alert-inferencetargetdown"
 */
export function runbookUrl(baseUrl: string, alert: string): string {
  return `${baseUrl}#${runbookAnchor(alert)}`;
}

/** Adds `annotations.runbook_url` to every alert: the one place runbook links are made. */
export function withRunbookUrls(alerts: readonly AlertDefinition[], baseUrl: string): AlertDefinition[] {
  return alerts.map((alert) => ({
    ...alert,
    rule: {
      ...alert.rule,
      annotations: { ...alert.rule.annotations, runbook_url: runbookUrl(baseUrl, alert.rule.alert) },
    },
  }));
}
