import { Construct } from "constructs";
import { KubeIngress } from "cdk8s-plus-28/lib/imports/k8s.js";
import type { InferenceService } from "./inference-service.js";

export interface InferenceIngressProps {
  /** The service to route to. */
  readonly service: InferenceService;
  /** Host name the Ingress answers for, e.g. `iris.example.com`. */
  readonly host: string;
  /** IngressClass to use. @default undefined: the cluster's default IngressClass */
  readonly className?: string;
  /** Secret with the TLS certificate for `host`. @default undefined: plain HTTP */
  readonly tlsSecretName?: string;
}

/** An Ingress routing every path of one host to the inference Service's `http` port. */
export class InferenceIngress extends Construct {
  public readonly host: string;

  constructor(scope: Construct, id: string, props: InferenceIngressProps) {
    super(scope, id);
    if (props.host.trim() === "") throw new Error("InferenceIngress: props.host must not be empty");
    this.host = props.host;
    const { service } = props;
    new KubeIngress(this, "ingress", {
      metadata: { name: service.name, namespace: service.namespace, labels: { ...service.labels } },
      spec: {
        ...(props.className ? { ingressClassName: props.className } : {}),
        ...(props.tlsSecretName ? { tls: [{ hosts: [this.host], secretName: props.tlsSecretName }] } : {}),
        rules: [
          {
            host: this.host,
            http: {
              paths: [
                {
                  path: "/",
                  pathType: "Prefix",
                  backend: { service: { name: service.serviceName, port: { name: service.portName } } },
                },
              ],
            },
          },
        ],
      },
    });
  }
}
