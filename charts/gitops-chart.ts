import { Chart } from "cdk8s";
import type { Construct } from "constructs";
import { ArgoCdApplication } from "./constructs/argocd-application.js";
import type { Settings } from "./settings.js";

export interface GitOpsChartProps {
  /** The environment's settings; `gitops.repositoryUrl` must be set. */
  readonly settings: Settings;
  /** The environment's directory in the repository, e.g. `dist/staging`. */
  readonly path: string;
}

/**
 * The Argo CD Application of one environment, applied to the management cluster's Argo CD namespace. It
 * is named after the environment's inference namespace, which no two environments share.
 */
export class GitOpsChart extends Chart {
  public readonly application: ArgoCdApplication;

  constructor(scope: Construct, id: string, props: GitOpsChartProps) {
    super(scope, id, { disableResourceNameHashes: true });
    const { settings } = props;
    const { gitops } = settings;
    if (gitops.repositoryUrl === undefined) {
      throw new Error(`GitOpsChart ${id}: settings.gitops.repositoryUrl must be set`);
    }
    this.application = new ArgoCdApplication(this, "application", {
      name: settings.namespace,
      namespace: gitops.namespace,
      project: gitops.project,
      repositoryUrl: gitops.repositoryUrl,
      targetRevision: gitops.targetRevision,
      path: props.path,
      destinationServer: gitops.destinationServer,
      destinationNamespace: settings.namespace,
      automated: gitops.automated,
      prune: gitops.prune,
      selfHeal: gitops.selfHeal,
      version: settings.image.tag,
    });
  }
}
