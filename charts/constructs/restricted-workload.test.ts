/* eslint-disable @typescript-eslint/no-explicit-any -- tests navigate synthesized YAML freely */
import { JsonPatch, Testing } from "cdk8s";
import { KubeConfigMap } from "cdk8s-plus-28/lib/imports/k8s.js";
import { describe, expect, it } from "vitest";
import { workloadObjects } from "../../test/support/workload-objects.js";
import { RestrictedWorkload, type RestrictedWorkloadProps } from "./restricted-workload.js";

const PROPS: RestrictedWorkloadProps = {
  namespace: "tools",
  name: "exporter",
  component: "metrics-exporter",
  image: "registry.example.com:5000/team/exporter:v1.4.2",
  uid: 1234,
  containers: [
    {
      name: "exporter",
      ports: [{ name: "metrics", containerPort: 9100 }],
      resources: { requests: { cpu: "10m", memory: "32Mi" }, limits: { cpu: "100m", memory: "64Mi" } },
    },
  ],
  service: { portName: "metrics", port: 9100 },
};

function build(props: Partial<RestrictedWorkloadProps> = {}) {
  const chart = Testing.chart();
  const workload = new RestrictedWorkload(chart, "workload", { ...PROPS, ...props });
  return { chart, workload };
}

function synth(props: Partial<RestrictedWorkloadProps> = {}) {
  const { chart, workload } = build(props);
  return { workload, ...workloadObjects(chart) };
}

describe("RestrictedWorkload", () => {
  it("emits a ServiceAccount, a Deployment and a Service of the same name, with the recommended labels", () => {
    const { objects, pod } = synth();
    expect(objects.map((o: any) => [o.kind, o.metadata.namespace, o.metadata.name])).toEqual([
      ["ServiceAccount", "tools", "exporter"],
      ["Deployment", "tools", "exporter"],
      ["Service", "tools", "exporter"],
    ]);
    const labels = {
      "app.kubernetes.io/name": "exporter",
      "app.kubernetes.io/instance": "exporter",
      "app.kubernetes.io/component": "metrics-exporter",
      "app.kubernetes.io/version": "v1.4.2",
      "app.kubernetes.io/part-of": "infer8s",
      "app.kubernetes.io/managed-by": "cdk8s",
    };
    for (const o of objects) expect(o.metadata.labels).toEqual(labels);
    expect(pod.metadata).toEqual({ labels });
  });

  it("resolves its defaults into public fields", () => {
    expect(build().workload).toMatchObject({
      namespace: "tools",
      name: "exporter",
      version: "v1.4.2",
      uid: 1234,
      gid: 1234,
      automountServiceAccountToken: false,
      replicas: undefined,
      portName: "metrics",
      servicePort: 9100,
      serviceType: "ClusterIP",
    });
    expect(build().workload.selectorLabels).toEqual({
      "app.kubernetes.io/name": "exporter",
      "app.kubernetes.io/instance": "exporter",
      "app.kubernetes.io/component": "metrics-exporter",
    });
  });

  it("runs the pod under the restricted Pod Security Standard with the given uid and gid", () => {
    const { pod, container } = synth({ gid: 2000 });
    expect(pod.spec.securityContext).toEqual({
      runAsNonRoot: true,
      runAsUser: 1234,
      runAsGroup: 2000,
      fsGroup: 2000,
      seccompProfile: { type: "RuntimeDefault" },
    });
    expect(container.securityContext).toEqual({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      runAsUser: 1234,
      runAsGroup: 2000,
      capabilities: { drop: ["ALL"] },
      seccompProfile: { type: "RuntimeDefault" },
    });
    expect(pod.spec.enableServiceLinks).toBe(false);
  });

  it("mounts no ServiceAccount token unless asked to", () => {
    const off = synth();
    expect(off.serviceAccount.automountServiceAccountToken).toBe(false);
    expect(off.pod.spec).toMatchObject({
      serviceAccountName: "exporter",
      automountServiceAccountToken: false,
    });
    const on = synth({ automountServiceAccountToken: true });
    expect(on.serviceAccount.automountServiceAccountToken).toBe(true);
    expect(on.pod.spec.automountServiceAccountToken).toBe(true);
  });

  it("leaves replicas, strategy, grace period, spreading, annotations and volumes to Kubernetes by default", () => {
    const { deployment, pod } = synth();
    expect(Object.keys(deployment.spec).sort()).toEqual(["revisionHistoryLimit", "selector", "template"]);
    expect(deployment.spec.revisionHistoryLimit).toBe(3);
    expect(Object.keys(pod.spec).sort()).toEqual([
      "automountServiceAccountToken",
      "containers",
      "enableServiceLinks",
      "securityContext",
      "serviceAccountName",
    ]);
  });

  it("writes replicas, strategy, grace period, spreading, annotations and volumes when given", () => {
    const { deployment, pod } = synth({
      replicas: 2,
      revisionHistoryLimit: 7,
      strategy: { type: "Recreate" },
      terminationGracePeriodSeconds: 45,
      spreadAcrossNodes: true,
      podAnnotations: { "checksum/config": "abc" },
      volumes: [{ name: "tmp", emptyDir: {} }],
    });
    expect(deployment.spec).toMatchObject({
      replicas: 2,
      revisionHistoryLimit: 7,
      strategy: { type: "Recreate" },
    });
    expect(pod.metadata.annotations).toEqual({ "checksum/config": "abc" });
    expect(pod.spec.terminationGracePeriodSeconds).toBe(45);
    expect(pod.spec.volumes).toEqual([{ name: "tmp", emptyDir: {} }]);
    expect(pod.spec.topologySpreadConstraints).toEqual([
      {
        maxSkew: 1,
        topologyKey: "kubernetes.io/hostname",
        whenUnsatisfiable: "ScheduleAnyway",
        labelSelector: { matchLabels: deployment.spec.selector.matchLabels },
        matchLabelKeys: ["pod-template-hash"],
      },
    ]);
  });

  it("runs the workload's image unless a container names its own, pulling only when absent", () => {
    const { container } = synth();
    expect(container).toMatchObject({
      name: "exporter",
      image: "registry.example.com:5000/team/exporter:v1.4.2",
      imagePullPolicy: "IfNotPresent",
      ports: [{ name: "metrics", containerPort: 9100, protocol: "TCP" }],
      resources: { requests: { cpu: "10m", memory: "32Mi" }, limits: { cpu: "100m", memory: "64Mi" } },
    });
    const own = synth({ containers: [{ ...PROPS.containers[0]!, image: "busybox:1.36" }] }).container;
    expect(own.image).toBe("busybox:1.36");
  });

  it("serves the named port from a Service selecting the pods by their stable labels", () => {
    const { service, deployment, workload } = synth({
      service: { portName: "metrics", port: 80, type: "NodePort" },
    });
    expect(service.spec).toEqual({
      type: "NodePort",
      selector: workload.selectorLabels,
      ports: [{ name: "metrics", port: 80, targetPort: "metrics", protocol: "TCP" }],
    });
    expect(deployment.spec.selector).toEqual({ matchLabels: workload.selectorLabels });
  });

  it("orders the objects its pods use before the Deployment", () => {
    const { chart, workload } = build();
    workload.addDependency(new KubeConfigMap(chart, "config", { metadata: { name: "exporter-config" } }));
    expect(Testing.synth(chart).map((o: any) => o.kind)).toEqual([
      "ServiceAccount",
      "ConfigMap",
      "Deployment",
      "Service",
    ]);
  });

  it("rejects invalid props with a message naming the prop", () => {
    expect(() => build({ name: "Exporter" })).toThrow(
      'RestrictedWorkload: props.name must be a DNS-1123 label, got "Exporter"',
    );
    expect(() => build({ image: "team/exporter:latest" })).toThrow(
      'RestrictedWorkload: props.image must pin a version tag, got "team/exporter:latest"',
    );
    expect(() => build({ image: "registry.example.com:5000/team/exporter" })).toThrow(
      'RestrictedWorkload: props.image must pin a version tag, got "registry.example.com:5000/team/exporter"',
    );
    expect(() => build({ containers: [] })).toThrow("RestrictedWorkload: props.containers must not be empty");
  });

  it("fails the synth when the Service does not select the pods", () => {
    const { chart, workload } = build();
    expect(() => Testing.synth(chart)).not.toThrow();
    workload.service.addJsonPatch(JsonPatch.replace("/spec/selector/app.kubernetes.io~1component", "web"));
    expect(() => Testing.synth(chart)).toThrow(
      "Validation failed with the following errors:\n" +
        "  [test/workload] Service exporter: spec.selector {app.kubernetes.io/component=web, " +
        "app.kubernetes.io/instance=exporter, app.kubernetes.io/name=exporter} does not select the pods of " +
        "Deployment exporter (labels {app.kubernetes.io/component=metrics-exporter, app.kubernetes.io/instance=exporter, " +
        "app.kubernetes.io/managed-by=cdk8s, app.kubernetes.io/name=exporter, app.kubernetes.io/part-of=infer8s, " +
        "app.kubernetes.io/version=v1.4.2})",
    );
  });

  it("fails the synth when the Deployment does not select its own pods", () => {
    const { chart, workload } = build();
    workload.deployment.addJsonPatch(
      JsonPatch.replace("/spec/template/metadata/labels/app.kubernetes.io~1name", "other"),
    );
    expect(() => Testing.synth(chart)).toThrow(
      "  [test/workload] Deployment exporter: spec.selector {app.kubernetes.io/component=metrics-exporter, " +
        "app.kubernetes.io/instance=exporter, app.kubernetes.io/name=exporter} does not select its own pods",
    );
  });

  it("fails the synth when the Service targets a port no container declares", () => {
    const { chart, workload } = build();
    // The generated KubeService reads an IntOrString field's `value` when it serializes.
    workload.service.addJsonPatch(JsonPatch.replace("/spec/ports/0/targetPort", { value: "web" }));
    expect(() => Testing.synth(chart)).toThrow(
      "Validation failed with the following errors:\n" +
        '  [test/workload] Service exporter: port metrics targets "web", which no container of Deployment exporter declares',
    );
  });
});
