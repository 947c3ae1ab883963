/* eslint-disable @typescript-eslint/no-explicit-any -- tests navigate synthesized YAML freely; the schema checks type it */
import type { Chart } from "cdk8s";
import { synthObjects, type KubeObject } from "./k8s-checks.js";

/** A chart's synthesized objects and the parts of one workload tests look at (first of each kind). */
export function workloadObjects(chart: Chart) {
  const objects = synthObjects(chart);
  const byKind = (kind: string): Record<string, any> => {
    const found = objects.find((o: KubeObject) => o.kind === kind);
    if (!found) throw new Error(`no ${kind}`);
    return found;
  };
  const deployment = byKind("Deployment");
  return {
    objects,
    deployment,
    pod: deployment.spec.template,
    container: deployment.spec.template.spec.containers[0],
    service: byKind("Service"),
    serviceAccount: byKind("ServiceAccount"),
  };
}
