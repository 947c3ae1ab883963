import type { Dashboard } from "@grafana/grafana-foundation-sdk/dashboard";
import { inferenceDashboard, type DashboardOptions } from "./inference-dashboard.js";
import type { MonitoredService } from "../../monitored-service.js";

/** A generated dashboard and the file it is written to under `dashboards/` and in the ConfigMaps. */
export interface GeneratedDashboard {
  /** File name, e.g. `inference.json`. */
  readonly fileName: string;
  /** The dashboard model. */
  readonly dashboard: Dashboard;
}

/** Every dashboard for the inference service, in a fixed order. */
export function dashboardsFor(
  service: MonitoredService,
  options: DashboardOptions = {},
): GeneratedDashboard[] {
  return [{ fileName: "inference.json", dashboard: inferenceDashboard(service, options) }];
}

/** The JSON text of a dashboard: two-space indented, trailing newline, same bytes on every run. */
export function renderDashboard(dashboard: Dashboard): string {
  return `${JSON.stringify(dashboard, null, 2)}\n`;
}
