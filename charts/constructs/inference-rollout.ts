import { ApiObject } from "cdk8s";
import { Construct } from "constructs";
import { IntOrString, KubeService } from "cdk8s-plus-28/lib/imports/k8s.js";
import type { IRollout } from "@kubernetes-models/argo-rollouts/argoproj.io/v1alpha1/Rollout";
import { ANALYSIS_ARGS, POD_TEMPLATE_HASH_LABEL, ROLLOUT_ROLE_LABEL } from "./argo-rollouts-names.js";
import type { ScaleTarget } from "./inference-autoscaler.js";
import type { InferenceService } from "./inference-service.js";
import { LABEL } from "./recommended-labels.js";
import type { DeploymentJson, ServiceJson } from "./restricted-workload.js";

/** One canary step: `weight` percent of the pods on the new version, then a pause. */
export interface RolloutCanaryStep {
  /** Percent of the pods on the new version. */
  readonly weight: number;
  /** Seconds before the next step, or "promote" to wait for `kubectl argo rollouts promote`. */
  readonly pauseSeconds: number | "promote";
}

export interface InferenceRolloutProps {
  /** The service whose Deployment the Rollout replaces (same pod template, same selector). */
  readonly service: InferenceService;
  /** Argo Rollouts strategy. */
  readonly strategy: "canary" | "blueGreen";
  /** Canary steps, increasing weights. @default 10 % and 50 %, two minutes each */
  readonly canarySteps?: readonly RolloutCanaryStep[];
  /** Blue-green: promote as soon as the pre-promotion analysis passes. @default true */
  readonly autoPromotion?: boolean;
  /** Name of the AnalysisTemplate run during the canary or before the blue-green switch. @default the service's name */
  readonly analysisTemplateName?: string;
}

const DEFAULT_CANARY_STEPS: readonly RolloutCanaryStep[] = [
  { weight: 10, pauseSeconds: 120 },
  { weight: 50, pauseSeconds: 120 },
];

/** The parts of the synthesized Rollout the validations read. */
type RolloutJson = IRollout & { spec: DeploymentJson["spec"] };

/**
 * An Argo Rollouts `Rollout` in place of the service's Deployment, with the Services its strategy steers.
 *
 * The Rollout carries the Deployment's own pod template (so the restricted pod, probes and resources are
 * written once), and the Deployment is removed from the chart: two controllers must never own the same pods.
 * Pods of both versions keep the service's selector labels, so the main Service, the PodDisruptionBudget and
 * the NetworkPolicy select both; the controller adds `rollouts-pod-template-hash` to the selectors of the
 * Services it steers (canary/stable, active/preview) at run time.
 *
 * - canary: the main Service keeps selecting every pod, so requests split by replica ratio (no mesh); the
 *   `-stable` and `-canary` Services reach one version each. The analysis runs in the background from the
 *   first step; a failed measurement beyond its limit aborts and scales the canary down.
 * - blueGreen: the main Service is the active one; `-preview` reaches the new pods, and the analysis runs
 *   before the switch.
 *
 * @example
 *   const rollout = new InferenceRollout(chart, "rollout", { service, strategy: "canary" });
 *   new InferenceAutoscaler(chart, "autoscaler", { service, scaleTarget: rollout.scaleTarget });
 */
export class InferenceRollout extends Construct {
  public readonly strategy: "canary" | "blueGreen";
  /** Name of the Rollout (the Deployment's). */
  public readonly name: string;
  public readonly namespace: string;
  /** What an HPA or KEDA ScaledObject targets. */
  public readonly scaleTarget: ScaleTarget;
  /** Name of the AnalysisTemplate the Rollout refers to. */
  public readonly analysisTemplateName: string;
  /** Services the controller steers, by role (`stable`/`canary` or `preview`; the main Service is `active`). */
  public readonly steeredServices: Readonly<Record<string, string>>;
  /** Names of the Services whose endpoints must be scraped to see every pod of the Rollout. */
  public readonly scrapedServiceNames: readonly string[];
  public readonly canarySteps: readonly RolloutCanaryStep[];
  public readonly autoPromotion: boolean;
  /** The Rollout. */
  public readonly rollout: ApiObject;

  constructor(scope: Construct, id: string, props: InferenceRolloutProps) {
    super(scope, id);
    const { service } = props;
    this.strategy = props.strategy;
    this.name = service.deploymentName;
    this.namespace = service.namespace;
    this.analysisTemplateName = props.analysisTemplateName ?? service.name;
    this.canarySteps = props.canarySteps ?? DEFAULT_CANARY_STEPS;
    this.autoPromotion = props.autoPromotion ?? true;
    validateSteps(this.canarySteps);

    const deployment = service.deployment.toJson() as DeploymentJson & {
      spec: { revisionHistoryLimit?: number; strategy?: { rollingUpdate?: Record<string, unknown> } };
    };
    // The Rollout replaces the Deployment: same pods, one owner.
    service.workload.node.tryRemoveChild(service.deployment.node.id);

    this.steeredServices =
      this.strategy === "canary"
        ? { stable: `${service.serviceName}-stable`, canary: `${service.serviceName}-canary` }
        : { preview: `${service.serviceName}-preview` };
    // The canary pods sit behind the main Service too; the preview pods only behind the preview Service.
    this.scrapedServiceNames =
      this.strategy === "canary"
        ? [service.serviceName]
        : [service.serviceName, this.steeredServices.preview as string];
    const steered = Object.entries(this.steeredServices).map(
      ([role, name]) =>
        new KubeService(this, `${role}-service`, {
          metadata: {
            name,
            namespace: this.namespace,
            // The preview Service keeps the selector labels, so a ServiceMonitor scrapes the preview pods;
            // stable and canary pods are already scraped through the main Service.
            labels:
              role === "preview"
                ? { ...service.labels }
                : { ...service.labels, [LABEL.component]: `${service.labels[LABEL.component]}-${role}` },
          },
          spec: {
            type: "ClusterIP",
            selector: { ...service.selectorLabels },
            ports: [
              {
                name: service.portName,
                port: service.servicePort,
                targetPort: IntOrString.fromString(service.portName),
                protocol: "TCP",
              },
            ],
          },
        }),
    );

    const analysis = {
      templates: [{ templateName: this.analysisTemplateName }],
      args: [
        { name: ANALYSIS_ARGS.newHash, valueFrom: { podTemplateHashValue: "Latest" } },
        { name: ANALYSIS_ARGS.oldHash, valueFrom: { podTemplateHashValue: "Stable" } },
      ],
    };
    const rollingUpdate = deployment.spec.strategy?.rollingUpdate ?? {};
    const strategy: IRollout["spec"]["strategy"] =
      this.strategy === "canary"
        ? {
            canary: {
              stableService: this.steeredServices.stable,
              canaryService: this.steeredServices.canary,
              stableMetadata: { labels: { [ROLLOUT_ROLE_LABEL]: "stable" } },
              canaryMetadata: { labels: { [ROLLOUT_ROLE_LABEL]: "canary" } },
              ...(rollingUpdate.maxSurge === undefined ? {} : { maxSurge: rollingUpdate.maxSurge as string }),
              ...(rollingUpdate.maxUnavailable === undefined
                ? {}
                : { maxUnavailable: rollingUpdate.maxUnavailable as number }),
              analysis,
              steps: this.canarySteps.flatMap((step) => [
                { setWeight: step.weight },
                { pause: step.pauseSeconds === "promote" ? {} : { duration: `${step.pauseSeconds}s` } },
              ]),
            },
          }
        : {
            blueGreen: {
              activeService: service.serviceName,
              previewService: this.steeredServices.preview as string,
              activeMetadata: { labels: { [ROLLOUT_ROLE_LABEL]: "active" } },
              previewMetadata: { labels: { [ROLLOUT_ROLE_LABEL]: "preview" } },
              autoPromotionEnabled: this.autoPromotion,
              prePromotionAnalysis: analysis,
            },
          };

    const { template } = deployment.spec;
    const rollout: IRollout = {
      apiVersion: "argoproj.io/v1alpha1",
      kind: "Rollout",
      metadata: { name: this.name, namespace: this.namespace, labels: { ...service.labels } },
      spec: {
        ...(deployment.spec.replicas === undefined ? {} : { replicas: deployment.spec.replicas }),
        ...(deployment.spec.revisionHistoryLimit === undefined
          ? {}
          : { revisionHistoryLimit: deployment.spec.revisionHistoryLimit }),
        selector: deployment.spec.selector,
        template: {
          ...template,
          spec: {
            ...template.spec,
            // The Deployment spreads each ReplicaSet's pods by `pod-template-hash`; a Rollout's pods carry
            // `rollouts-pod-template-hash` instead.
            ...("topologySpreadConstraints" in template.spec
              ? {
                  topologySpreadConstraints: (
                    template.spec.topologySpreadConstraints as { matchLabelKeys?: string[] }[]
                  ).map((c) => ({
                    ...c,
                    ...(c.matchLabelKeys
                      ? {
                          matchLabelKeys: c.matchLabelKeys.map((k) =>
                            k === "pod-template-hash" ? POD_TEMPLATE_HASH_LABEL : k,
                          ),
                        }
                      : {}),
                  })),
                }
              : {}),
          },
        } as IRollout["spec"]["template"],
        strategy,
      },
    };
    this.rollout = new ApiObject(this, "rollout", rollout);
    this.scaleTarget = { apiVersion: rollout.apiVersion, kind: rollout.kind, name: this.name };
    this.node.addValidation({ validate: () => this.selectionProblems([service.service, ...steered]) });
  }

  /** Every Service of the service (main and steered) must select the Rollout's pods, on a declared port. */
  private selectionProblems(services: readonly KubeService[]): string[] {
    const rollout = this.rollout.toJson() as RolloutJson;
    const podLabels = rollout.spec.template.metadata?.labels ?? {};
    const declared = rollout.spec.template.spec.containers.flatMap((c) => (c.ports ?? []).map((p) => p.name));
    const problems: string[] = [];
    for (const s of services) {
      const json = s.toJson() as ServiceJson;
      const selector = json.spec.selector ?? {};
      if (
        Object.keys(selector).length === 0 ||
        !Object.entries(selector).every(([k, v]) => podLabels[k] === v)
      ) {
        problems.push(`Service ${s.name} does not select the pods of Rollout ${this.name}`);
      }
      for (const port of json.spec.ports) {
        if (!declared.includes(port.targetPort as string)) {
          problems.push(
            `Service ${s.name} targets port ${String(port.targetPort)}, which Rollout ${this.name}'s pods do not declare`,
          );
        }
      }
    }
    return problems;
  }
}

function validateSteps(steps: readonly RolloutCanaryStep[]): void {
  if (steps.length === 0) throw new Error("InferenceRollout: props.canarySteps must not be empty");
  let previous = 0;
  for (const step of steps) {
    if (!(Number.isInteger(step.weight) && step.weight > previous && step.weight <= 100)) {
      throw new Error(
        `InferenceRollout: props.canarySteps weights must be increasing integers from 1 to 100, got ${steps.map((s) => s.weight).join(", ")}`,
      );
    }
    previous = step.weight;
  }
}
