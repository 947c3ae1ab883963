import { Application, type IApplication } from "@kubernetes-models/argo-cd/argoproj.io/v1alpha1/Application";
import type { Construct } from "constructs";
import { recommendedLabels } from "./recommended-labels.js";
import { TypedApiObject } from "./typed-api-object.js";

export interface ArgoCdApplicationProps {
  /** Name of the Application, unique in Argo CD's namespace. */
  readonly name: string;
  /** Argo CD's namespace in the management cluster, where the Application lives. */
  readonly namespace: string;
  /** Argo CD project. */
  readonly project: string;
  /** Git URL of the repository holding the manifests. */
  readonly repositoryUrl: string;
  /** Branch, tag or commit to follow. */
  readonly targetRevision: string;
  /** Directory of the manifests inside the repository; only its own files are read, never subdirectories. */
  readonly path: string;
  /** API server of the cluster to deploy to, as registered in Argo CD. */
  readonly destinationServer: string;
  /** Namespace for manifests that name none (ours all do; Argo CD requires one). */
  readonly destinationNamespace: string;
  /** Sync automatically on new commits. */
  readonly automated: boolean;
  /** With automated sync, delete objects removed from `path`. */
  readonly prune: boolean;
  /** With automated sync, revert changes made to the cluster by hand. */
  readonly selfHeal: boolean;
  /** `app.kubernetes.io/version` of the Application (the image tag it deploys). */
  readonly version: string;
}

/**
 * Sync options of every Application. The manifests create their own namespaces (with Pod Security labels),
 * so Argo CD must not; server-side apply, so no `last-applied-configuration` annotation repeats each object
 * (the dashboards ConfigMap is 44 KB) and conflicts with other field managers are reported; prune last,
 * after the new objects are healthy.
 */
export const ARGOCD_SYNC_OPTIONS = ["CreateNamespace=false", "ServerSideApply=true", "PruneLast=true"];

/**
 * An Argo CD `Application` (argoproj.io/v1alpha1) that deploys one directory of this repository, typed and
 * checked at synth time with `@kubernetes-models/argo-cd`'s validator, generated from the upstream CRD
 * schema: a field Argo CD would reject fails the synth naming this construct.
 */
export class ArgoCdApplication extends TypedApiObject<IApplication> {
  constructor(scope: Construct, id: string, props: ArgoCdApplicationProps) {
    super(scope, id, "application", applicationManifest(props), applicationProblems);
  }
}

/** The Application that deploys `props.path` of the repository. */
export function applicationManifest(props: ArgoCdApplicationProps): IApplication {
  return {
    apiVersion: "argoproj.io/v1alpha1",
    kind: "Application",
    metadata: {
      name: props.name,
      namespace: props.namespace,
      labels: {
        ...recommendedLabels({
          name: "infer8s",
          instance: props.name,
          component: "gitops",
          version: props.version,
        }).all,
      },
    },
    spec: {
      project: props.project,
      source: {
        repoURL: props.repositoryUrl,
        targetRevision: props.targetRevision,
        path: props.path,
        // dist/ holds the other environments in subdirectories: read only this directory's own files.
        directory: { recurse: false },
      },
      destination: { server: props.destinationServer, namespace: props.destinationNamespace },
      syncPolicy: {
        ...(props.automated ? { automated: { prune: props.prune, selfHeal: props.selfHeal } } : {}),
        syncOptions: [...ARGOCD_SYNC_OPTIONS],
      },
    },
  };
}

/** What the CRD schema (through the typed model's validator) finds wrong with `manifest`. */
export function applicationProblems(manifest: IApplication): string[] {
  try {
    new Application(manifest).validate();
    return [];
  } catch (error) {
    return [`Argo CD Application ${manifest.metadata.name}: ${(error as Error).message}`];
  }
}
