/**
 * Kubernetes' recommended `app.kubernetes.io/*` labels for one application component.
 *
 * `selector` is the stable subset used in label selectors (selectors are immutable, so the version never
 * goes in them); `all` adds version, part-of and managed-by for every object's metadata.
 */
export interface RecommendedLabelsProps {
  /** Name of the application, e.g. `iris-inference`. */
  readonly name: string;
  /** Unique name of this instance of the application. @default the `name` */
  readonly instance?: string;
  /** Role of the component within the architecture, e.g. `inference-server`. */
  readonly component: string;
  /** Name of the larger application this is part of. @default "infer8s" */
  readonly partOf?: string;
  /** Version of the application (the image tag). */
  readonly version: string;
}

/** The two label sets every object of one component carries. */
export interface RecommendedLabels {
  /** Labels that select the component's pods: name, instance, component. */
  readonly selector: Readonly<Record<string, string>>;
  /** `selector` plus version, part-of and managed-by: for every object's `metadata.labels`. */
  readonly all: Readonly<Record<string, string>>;
}

/** Label keys, so selectors elsewhere (NetworkPolicy, Prometheus relabelling) never retype them. */
export const LABEL = {
  name: "app.kubernetes.io/name",
  instance: "app.kubernetes.io/instance",
  component: "app.kubernetes.io/component",
  version: "app.kubernetes.io/version",
  partOf: "app.kubernetes.io/part-of",
  managedBy: "app.kubernetes.io/managed-by",
} as const;

/** Builds the recommended labels, e.g. `recommendedLabels({ name: "grafana", component: "dashboards", version: "11.2.0" })`. */
export function recommendedLabels(props: RecommendedLabelsProps): RecommendedLabels {
  const selector = {
    [LABEL.name]: props.name,
    [LABEL.instance]: props.instance ?? props.name,
    [LABEL.component]: props.component,
  };
  return {
    selector,
    all: {
      ...selector,
      [LABEL.version]: props.version,
      [LABEL.partOf]: props.partOf ?? "infer8s",
      [LABEL.managedBy]: "cdk8s",
    },
  };
}
