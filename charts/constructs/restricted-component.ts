import { Construct } from "constructs";
import {
  KubePersistentVolumeClaim,
  Quantity,
  type ObjectMeta,
  type Volume,
} from "cdk8s-plus-28/lib/imports/k8s.js";
import {
  RestrictedWorkload,
  type RestrictedComponentProps,
  type RestrictedWorkloadProps,
} from "./restricted-workload.js";

/** Persistent storage of a component's data directory. */
export interface DataStorage {
  /** Size of the PersistentVolumeClaim, e.g. "10Gi". */
  readonly size: string;
  /** StorageClass of the claim. @default undefined: the cluster's default StorageClass */
  readonly storageClassName?: string;
}

/** What a component's props leave unset: its name, image, and the named port its Service exposes. */
export interface RestrictedComponentDefaults {
  /** Name of the component's objects when `props.name` is unset. */
  readonly name: string;
  /** Container image when `props.image` is unset. */
  readonly image: string;
  /** Named container and Service port. */
  readonly portName: string;
  /** Number of that port. */
  readonly port: number;
}

const QUANTITY = /^[0-9]+(Ki|Mi|Gi|Ti)$/;

/**
 * A component built on one `RestrictedWorkload` (Prometheus, Grafana, Loki): its namespace, name, image and
 * Service port, the workload itself and the labels it puts on every object.
 */
export abstract class RestrictedComponent extends Construct {
  /** Namespace of every object. */
  public readonly namespace: string;
  /** Name of the ServiceAccount, Deployment and Service. */
  public readonly name: string;
  /** Container image. */
  public readonly image: string;
  /** Named container and Service port. */
  public readonly portName: string;
  /** Number of that port. */
  public readonly port: number;
  /** In-cluster base URL of the Service. */
  public readonly url: string;
  /** The ServiceAccount, Deployment and Service. */
  public abstract readonly workload: RestrictedWorkload;

  protected constructor(
    scope: Construct,
    id: string,
    props: RestrictedComponentProps,
    defaults: RestrictedComponentDefaults,
  ) {
    super(scope, id);
    this.namespace = props.namespace;
    this.name = props.name ?? defaults.name;
    this.image = props.image ?? defaults.image;
    this.portName = defaults.portName;
    this.port = defaults.port;
    this.url = `http://${this.name}.${this.namespace}.svc:${this.port}`;
  }

  /** Labels on every object. */
  public get labels(): Readonly<Record<string, string>> {
    return this.workload.labels;
  }

  /** The component's workload (construct id "workload"), in its namespace, with its name, image and Service port. */
  protected restrictedWorkload(
    props: Omit<RestrictedWorkloadProps, "namespace" | "name" | "image" | "service">,
  ): RestrictedWorkload {
    return new RestrictedWorkload(this, "workload", {
      namespace: this.namespace,
      name: this.name,
      image: this.image,
      ...props,
      service: { portName: this.portName, port: this.port },
    });
  }

  /** Metadata of an object named like the component, in its namespace, with its labels. */
  protected objectMeta(): ObjectMeta {
    return { name: this.name, namespace: this.namespace, labels: { ...this.labels } };
  }
}

/** Throws unless `storage.size` is a quantity in Ki, Mi, Gi or Ti (`example` shows one in the message). */
export function checkStorageSize(construct: string, storage: DataStorage | undefined, example: string): void {
  if (storage && !QUANTITY.test(storage.size)) {
    throw new Error(
      `${construct}: props.storage.size must be a quantity in Ki, Mi, Gi or Ti such as "${example}", got "${storage.size}"`,
    );
  }
}

/** The "data" volume: the claim `claimName` with storage, else an emptyDir (the data lives as long as the pod). */
export function dataVolume(claimName: string, storage: DataStorage | undefined): Volume {
  return storage ? { name: "data", persistentVolumeClaim: { claimName } } : { name: "data", emptyDir: {} };
}

/** The ReadWriteOnce claim behind `dataVolume`, construct id "storage". */
export function dataVolumeClaim(
  scope: Construct,
  metadata: ObjectMeta,
  storage: DataStorage,
): KubePersistentVolumeClaim {
  return new KubePersistentVolumeClaim(scope, "storage", {
    metadata,
    spec: {
      accessModes: ["ReadWriteOnce"],
      ...(storage.storageClassName ? { storageClassName: storage.storageClassName } : {}),
      resources: { requests: { storage: Quantity.fromString(storage.size) } },
    },
  });
}
