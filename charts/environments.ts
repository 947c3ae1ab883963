/**
 * The named environments `npm run synth` writes, each a typed partial of the settings merged into
 * `DEFAULT_SETTINGS` and validated like any settings file.
 *
 * Layout of the output directory (`dist/` when committed):
 *
 *     dist/*.k8s.yaml               the default environment: `kubectl apply -f dist`, as always
 *     dist/<environment>/*.k8s.yaml  `kubectl apply -f dist/staging`
 *     dist/argocd/*.k8s.yaml         one Argo CD Application per environment (only with gitops.repositoryUrl)
 *
 * `kubectl apply -f <dir>` reads only the files directly in `<dir>`; `-R` would read every environment and the
 * Applications at once, so it is never used on `dist/`.
 *
 * Environments share a cluster safely: each has its own namespaces (checked at synth time), and
 * cluster-scoped names (the monitoring ClusterRoles) are derived from the inference namespace.
 */
import { PACKAGE_VERSION, resolveSettings, type Settings, type SettingsOverrides } from "./settings.js";

/** One named set of overrides. */
export interface Environment {
  /** Name; also its directory under the output directory, except the default's, which is the top. */
  readonly name: string;
  /** What it is for, in a few words. */
  readonly purpose: string;
  /** Differences from `DEFAULT_SETTINGS`. */
  readonly overrides: SettingsOverrides;
}

/** The environment written at the top of the output directory: `DEFAULT_SETTINGS` unchanged. */
export const DEFAULT_ENVIRONMENT: Environment = {
  name: "default",
  purpose: "DEFAULT_SETTINGS as they are: a first install, a kind or minikube cluster",
  overrides: {},
};

// Staging and production pull from a registry; registry.example.com and the *.example.com hosts are
// placeholders to replace with your own. Every tag is pinned ("latest" is refused by the settings).
const REGISTRY_IMAGE = "registry.example.com/infer8s";

/** Small and chatty: one developer's cluster, the image built and loaded locally. */
export const DEVELOPMENT: Environment = {
  name: "development",
  purpose: "a developer's cluster: local image, small pods, debug logs",
  overrides: {
    namespace: "infer8s-development",
    // `docker build -t infer8s:0.1.0-dev . && kind load docker-image infer8s:0.1.0-dev`
    image: { repository: "infer8s", tag: `${PACKAGE_VERSION}-dev` },
    resources: {
      requests: { cpu: "100m", memory: "256Mi" },
      limits: { cpu: "500m", memory: "512Mi" },
    },
    autoscaling: { minReplicas: 2, maxReplicas: 3 },
    server: { logLevel: "debug" },
    monitoring: { namespace: "monitoring-development", prometheusRetention: "2d" },
  },
};

/** Production's image and shape at a smaller scale, behind an Ingress, with its own Prometheus. */
export const STAGING: Environment = {
  name: "staging",
  purpose: "the release candidate: registry image, Ingress, own monitoring stack",
  overrides: {
    namespace: "infer8s-staging",
    image: { repository: REGISTRY_IMAGE, tag: PACKAGE_VERSION },
    autoscaling: { minReplicas: 2, maxReplicas: 4 },
    server: { logLevel: "info" },
    ingress: { host: "iris.staging.example.com", className: "nginx" },
    monitoring: { namespace: "monitoring-staging", prometheusRetention: "7d" },
  },
};

/**
 * Larger pods and more of them, TLS, traffic only from the ingress controller, and monitoring by the
 * cluster's existing kube-prometheus-stack (operator mode).
 */
export const PRODUCTION: Environment = {
  name: "production",
  purpose: "live traffic: more and larger pods, TLS Ingress, kube-prometheus-stack",
  overrides: {
    namespace: "infer8s-production",
    image: { repository: REGISTRY_IMAGE, tag: PACKAGE_VERSION },
    // Twice the default request: the HPA's 70 % CPU target then sits near 350 millicores, roughly
    // 500 req/s per pod by the measurements in settings.ts, so bursts meet warm pods.
    resources: {
      requests: { cpu: "500m", memory: "512Mi" },
      limits: { cpu: "1", memory: "1Gi" },
      heapLimitMiB: 256,
    },
    autoscaling: { minReplicas: 3, maxReplicas: 20 },
    server: { logLevel: "warn" },
    clientNamespaces: ["ingress-nginx"],
    ingress: { host: "iris.example.com", className: "nginx", tlsSecretName: "iris-example-com-tls" },
    monitoring: {
      mode: "operator",
      // Where the stack runs (`helm install kube-prometheus-stack ... -n kube-prometheus-stack`); the
      // dashboards ConfigMaps go there for its Grafana sidecar, and its Prometheus may scrape the pods.
      namespace: "kube-prometheus-stack",
      operatorSelectorLabels: { release: "kube-prometheus-stack" },
    },
  },
};

/** Every environment `npm run synth` writes, the default first. */
export const ENVIRONMENTS: readonly Environment[] = [DEFAULT_ENVIRONMENT, DEVELOPMENT, STAGING, PRODUCTION];

/** Directory under the output directory holding the Argo CD Applications. */
export const ARGOCD_DIRECTORY = "argocd";

/** Where the committed output lives in the repository; Applications point below it. */
export const COMMITTED_OUTDIR = "dist";

/**
 * The environment called `name`, for command lines that take one (`--environment staging`).
 *
 * @throws Error naming the known environments when there is none by that name
 */
export function findEnvironment(name: string): Environment {
  const environment = ENVIRONMENTS.find((e) => e.name === name);
  if (environment === undefined) {
    throw new Error(`unknown environment "${name}"; known: ${ENVIRONMENTS.map((e) => e.name).join(", ")}`);
  }
  return environment;
}

/** The environment's directory relative to the output directory: "" for the default, else its name. */
export function environmentDirectory(environment: Environment): string {
  return environment.name === DEFAULT_ENVIRONMENT.name ? "" : environment.name;
}

/** The environment's directory in the repository (`dist`, `dist/staging`), as Argo CD reads it. */
export function repositoryPath(environment: Environment): string {
  const directory = environmentDirectory(environment);
  return directory === "" ? COMMITTED_OUTDIR : `${COMMITTED_OUTDIR}/${directory}`;
}

/** An environment with its validated settings. */
export interface ResolvedEnvironment {
  readonly environment: Environment;
  readonly settings: Settings;
}

/**
 * Resolves every environment's settings, then checks what must hold between them: distinct names and
 * directories, and no namespace used by two environments.
 *
 * @throws Error listing every problem of every environment, e.g.
 *   `Invalid settings for environment "staging":\n  - autoscaling.maxReplicas: must be >= ...`
 */
export function resolveEnvironments(
  environments: readonly Environment[] = ENVIRONMENTS,
): ResolvedEnvironment[] {
  const messages: string[] = [];
  const resolved: ResolvedEnvironment[] = [];
  for (const environment of environments) {
    try {
      resolved.push({
        environment,
        settings: resolveSettings(environment.overrides, `environment "${environment.name}"`),
      });
    } catch (error) {
      messages.push((error as Error).message);
    }
  }
  if (messages.length === 0) messages.push(...sharingProblems(resolved));
  if (messages.length > 0) throw new Error(messages.join("\n"));
  return resolved;
}

const RESERVED_DIRECTORIES = new Set([ARGOCD_DIRECTORY]);
const ENVIRONMENT_NAME = /^[a-z][a-z0-9-]{0,30}$/;

/** What would make two environments collide in one output directory or one cluster. */
function sharingProblems(resolved: readonly ResolvedEnvironment[]): string[] {
  const problems: string[] = [];
  const names = new Set<string>();
  const namespaceOwners = new Map<string, string>();
  for (const { environment, settings } of resolved) {
    const name = environment.name;
    if (!ENVIRONMENT_NAME.test(name) || RESERVED_DIRECTORIES.has(name)) {
      problems.push(
        `environment "${name}": name must be a lowercase word (a-z, 0-9, '-'), not "${ARGOCD_DIRECTORY}"`,
      );
    }
    if (names.has(name)) problems.push(`environment "${name}": defined twice`);
    names.add(name);
    for (const [setting, namespace] of ownedNamespaces(settings)) {
      const owner = namespaceOwners.get(namespace);
      if (owner !== undefined && owner !== name) {
        problems.push(
          `environment "${name}": ${setting} "${namespace}" is already used by environment "${owner}"; environments sharing a cluster need their own namespaces`,
        );
      }
      namespaceOwners.set(namespace, name);
    }
  }
  return problems;
}

/** Namespaces an environment writes objects into, by the setting that names them. */
function ownedNamespaces(settings: Settings): [string, string][] {
  const namespaces: [string, string][] = [["namespace", settings.namespace]];
  if (settings.monitoring.enabled) namespaces.push(["monitoring.namespace", settings.monitoring.namespace]);
  return namespaces;
}
