import { Testing } from "cdk8s";
import { describe, expect, it } from "vitest";
import { ArgoCdApplication, type ArgoCdApplicationProps } from "./argocd-application.js";

const PROPS: ArgoCdApplicationProps = {
  name: "infer8s-staging",
  namespace: "argocd",
  project: "default",
  repositoryUrl: "https://github.com/example/infer8s.git",
  targetRevision: "main",
  path: "dist/staging",
  destinationServer: "https://kubernetes.default.svc",
  destinationNamespace: "infer8s-staging",
  automated: true,
  prune: false,
  selfHeal: true,
  version: "0.1.0",
};

function synth(props: ArgoCdApplicationProps) {
  const chart = Testing.chart();
  new ArgoCdApplication(chart, "application", props);
  return Testing.synth(chart);
}

describe("ArgoCdApplication", () => {
  it("writes the Application Argo CD reads: source, destination, sync policy", () => {
    expect(synth(PROPS)).toEqual([
      {
        apiVersion: "argoproj.io/v1alpha1",
        kind: "Application",
        metadata: {
          name: "infer8s-staging",
          namespace: "argocd",
          labels: {
            "app.kubernetes.io/component": "gitops",
            "app.kubernetes.io/instance": "infer8s-staging",
            "app.kubernetes.io/managed-by": "cdk8s",
            "app.kubernetes.io/name": "infer8s",
            "app.kubernetes.io/part-of": "infer8s",
            "app.kubernetes.io/version": "0.1.0",
          },
        },
        spec: {
          project: "default",
          source: {
            repoURL: "https://github.com/example/infer8s.git",
            targetRevision: "main",
            path: "dist/staging",
            directory: { recurse: false },
          },
          destination: { server: "https://kubernetes.default.svc", namespace: "infer8s-staging" },
          syncPolicy: {
            automated: { prune: false, selfHeal: true },
            syncOptions: ["CreateNamespace=false", "ServerSideApply=true", "PruneLast=true"],
          },
        },
      },
    ]);
  });

  it("leaves out automated sync when it is off", () => {
    const [application] = synth({ ...PROPS, automated: false }) as { spec: { syncPolicy: object } }[];
    expect(application?.spec.syncPolicy).toEqual({
      syncOptions: ["CreateNamespace=false", "ServerSideApply=true", "PruneLast=true"],
    });
  });

  it("fails the synth, naming the construct, when the CRD schema rejects a field", () => {
    expect(() => synth({ ...PROPS, selfHeal: "yes" as unknown as boolean })).toThrow(
      /Argo CD Application infer8s-staging: .*selfHeal.*boolean/,
    );
  });
});
