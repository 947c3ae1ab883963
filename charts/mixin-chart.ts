import { Chart } from "cdk8s";
import type { Construct } from "constructs";
import type { InferenceChart } from "./inference-chart.js";
import type { GeneratedDashboard } from "./monitoring/mixin/dashboards/dashboards.js";
import { inferenceMixin, type InferenceMixin } from "./monitoring/mixin/mixin.js";
import type { RuleGroup } from "./monitoring/mixin/rules/rule-file.js";
import { monitoredService, type MonitoredService } from "./monitoring/monitored-service.js";
import { logsShown, type Settings } from "./settings.js";

/**
 * What both monitoring modes start from: the inference service as the inference chart's constructs describe
 * it, and the mixin's alerts, recording rules and dashboards tuned by `settings.monitoring`. The subclasses
 * decide where they go (our own Prometheus and Grafana, or an existing kube-prometheus-stack).
 */
export abstract class MixinChart extends Chart {
  /** The monitored inference service, as read from the inference chart. */
  public readonly monitored: MonitoredService;
  /** Alerts, recording rules and dashboards, as the settings tune them. */
  public readonly mixin: InferenceMixin;
  /** The mixin's rule groups. */
  public readonly ruleGroups: readonly RuleGroup[];
  /** The mixin's dashboards. */
  public readonly dashboards: readonly GeneratedDashboard[];

  protected constructor(scope: Construct, id: string, settings: Settings, inference: InferenceChart) {
    super(scope, id, { disableResourceNameHashes: true });
    this.monitored = monitoredService(inference.service, inference.autoscaler, inference.rollout);
    this.mixin = inferenceMixin(this.monitored, settings.monitoring, {
      logs: logsShown(settings.monitoring),
    });
    this.ruleGroups = this.mixin.ruleGroups;
    this.dashboards = this.mixin.dashboards;
  }
}
