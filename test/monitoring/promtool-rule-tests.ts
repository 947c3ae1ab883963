/**
 * `promtool test rules` scenarios as typed data: synthetic series, the moment of evaluation and the alerts
 * expected then, rendered to promtool's unit-test file with the annotations Prometheus would expand.
 */
import { stringify } from "yaml";
import type { AlertingRule } from "../../charts/monitoring/mixin/rules/rule-file.js";

export type Labels = Record<string, string>;

/** One synthetic series in promtool's expanding notation, e.g. `0+10x30`. */
export interface InputSeries {
  readonly series: string;
  readonly values: string;
}

/** One scenario: the series, the moment of evaluation, and the alerts expected at that moment. */
export interface AlertCase {
  readonly behaviour: string;
  readonly alert: string;
  readonly series: readonly InputSeries[];
  readonly evalTime: string;
  /** Expected firing alerts with their series labels and the text `$value` renders to; empty = silent. */
  readonly fires: readonly { readonly labels: Labels; readonly value?: string }[];
}

/** Expands `{{ $labels.x }}` and `{{ $value ... }}` the way Prometheus will, for the expected annotations. */
export function expectedAnnotations(rule: AlertingRule, labels: Labels, value: string | undefined): Labels {
  const expand = (template: string) =>
    template
      .replace(/\{\{ \$labels\.([a-zA-Z_]+) \}\}/g, (_, name: string) => labels[name] ?? "")
      .replace(/\{\{ \$value[^}]*\}\}/g, () => {
        if (value === undefined) throw new Error(`case for ${rule.alert} must give the rendered $value`);
        return value;
      });
  return {
    summary: expand(rule.annotations.summary),
    description: expand(rule.annotations.description),
    runbook_url: rule.annotations.runbook_url ?? "",
  };
}

/**
 * A promtool unit-test file for one case, evaluated every minute against `ruleFile`.
 *
 * @example promtoolTestFile(testCase, new Map(alerts.map((a) => [a.rule.alert, a.rule])))
 */
export function promtoolTestFile(
  testCase: AlertCase,
  rules: ReadonlyMap<string, AlertingRule>,
  ruleFile = "rules.yml",
): string {
  const rule = rules.get(testCase.alert);
  if (!rule) throw new Error(`no alert named ${testCase.alert}`);
  return stringify({
    rule_files: [ruleFile],
    evaluation_interval: "1m",
    tests: [
      {
        interval: "1m",
        input_series: testCase.series,
        alert_rule_test: [
          {
            eval_time: testCase.evalTime,
            alertname: testCase.alert,
            exp_alerts: testCase.fires.map((f) => ({
              exp_labels: { ...f.labels, severity: rule.labels.severity },
              exp_annotations: expectedAnnotations(rule, f.labels, f.value),
            })),
          },
        ],
      },
    ],
  });
}
