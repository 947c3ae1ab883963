/**
 * Strict structure of custom resources, unknown fields rejected, for every `@kubernetes-models/*` custom
 * resource package this project declares (prometheus-operator, argo-rollouts, keda, argo-cd, ...).
 *
 * Why: a CRD's structural schema prunes unknown fields, and `kubectl apply` (whose `--validate` defaults
 * to `strict`, done by the API server's field validation since Kubernetes 1.27) refuses them. The
 * packages' ajv validators (pass 2 in `k8s-schema.ts`) do not, so `spec.endpointz` passed them.
 *
 * Where the schema comes from: the packages ship their CRDs' OpenAPI schemas only as compiled ajv code
 * (or, in argo-rollouts, as a module-private constant), but every one of them ships `.d.ts` interfaces
 * generated from the same schemas. We walk the object alongside the kind's interface with the TypeScript
 * compiler API:
 * - object types reject keys that are not among their properties, unless they have a string index
 *   signature (`additionalProperties`), whose type then checks the value;
 * - an object type without properties or index signature (`{}`) is how the generator writes an object
 *   with `x-kubernetes-preserve-unknown-fields` (e.g. Argo CD's `helm.valuesObject`): anything goes below;
 * - arrays check each element; a union (e.g. IntOrString `number | string`) accepts what any member accepts;
 * - `any`/`unknown` accept anything; literal types (enums) must match exactly; non-optional properties must
 *   be present.
 *
 * Limits, from the generator dropping `x-kubernetes-*` keys: an object that lists properties AND preserves
 * unknown fields would reject what the API server keeps (none in the kinds this project emits or tests),
 * and a `{}` that is really an empty, pruning object accepts what the API server would drop.
 */
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import ts from "typescript";

const require = createRequire(import.meta.url);

/** The `@kubernetes-models/*` package that models one custom resource kind. */
export interface CustomResourceModel {
  /** npm package, e.g. `@kubernetes-models/prometheus-operator`. */
  readonly packageName: string;
  readonly packageVersion: string;
  /** Module that exports the kind's model class (pass 2), e.g. `.../monitoring.coreos.com/v1`. */
  readonly moduleSpecifier: string;
  /** The kind's generated `.d.ts`, e.g. `.../monitoring.coreos.com/v1/ServiceMonitor.d.ts`. */
  readonly declarationFile: string;
}

interface ModelPackage {
  readonly name: string;
  readonly version: string;
  readonly dir: string;
}

/** Packages that model Kubernetes itself or are the models' runtime, not custom resources. */
const NOT_CUSTOM_RESOURCE_PACKAGES = new Set([
  "@kubernetes-models/base",
  "@kubernetes-models/validate",
  "@kubernetes-models/apimachinery",
]);

/** The `@kubernetes-models/*` custom resource packages declared in the project's package.json. */
const MODEL_PACKAGES: readonly ModelPackage[] = (() => {
  const manifest = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
    dependencies?: Record<string, string>;
    devDependencies?: Record<string, string>;
  };
  return Object.keys({ ...manifest.dependencies, ...manifest.devDependencies })
    .filter((name) => name.startsWith("@kubernetes-models/") && !NOT_CUSTOM_RESOURCE_PACKAGES.has(name))
    .map((name) => {
      const packageJson = resolvePackageJson(name);
      const { version } = JSON.parse(readFileSync(packageJson, "utf8")) as { version: string };
      return { name, version, dir: dirname(packageJson) };
    });
})();

/** `<package>/package.json`, also for packages whose `exports` do not list it (found next to the entry). */
function resolvePackageJson(name: string): string {
  try {
    return require.resolve(`${name}/package.json`);
  } catch {
    let dir = dirname(require.resolve(name));
    while (!existsSync(join(dir, "package.json"))) dir = dirname(dir);
    return join(dir, "package.json");
  }
}

const models = new Map<string, CustomResourceModel | undefined>();

/**
 * The declared `@kubernetes-models/*` package that models `apiVersion` `kind`, found by its
 * `<group>/<version>/<Kind>.d.ts` file; undefined for kinds no such package models.
 *
 * @example customResourceModel("argoproj.io/v1alpha1", "Rollout")?.packageName // "@kubernetes-models/argo-rollouts"
 */
export function customResourceModel(apiVersion: string, kind: string): CustomResourceModel | undefined {
  const key = `${apiVersion}/${kind}`;
  if (models.has(key)) return models.get(key);
  let found: CustomResourceModel | undefined;
  const [group, version, ...rest] = apiVersion.split("/");
  if (group?.includes(".") && version && rest.length === 0 && /^[A-Za-z0-9]+$/.test(kind)) {
    for (const pkg of MODEL_PACKAGES) {
      const declarationFile = join(pkg.dir, group, version, `${kind}.d.ts`);
      if (!existsSync(declarationFile)) continue;
      found = {
        packageName: pkg.name,
        packageVersion: pkg.version,
        moduleSpecifier: `${pkg.name}/${group}/${version}`,
        declarationFile,
      };
      break;
    }
  }
  models.set(key, found);
  return found;
}

// ---- one TypeScript program per package, grown by the kinds asked for ----------------------------

const COMPILER_OPTIONS: ts.CompilerOptions = {
  strict: true,
  noEmit: true,
  skipLibCheck: true,
  types: [],
  lib: ["lib.es5.d.ts"],
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
};
const host = ((): ts.CompilerHost => {
  const base = ts.createCompilerHost(COMPILER_OPTIONS, true);
  // Shared by every package's program: lib.es5.d.ts and kubernetes-models are parsed once.
  const parsed = new Map<string, ts.SourceFile | undefined>();
  return {
    ...base,
    getSourceFile(fileName, languageVersion, onError, shouldCreate) {
      if (!parsed.has(fileName)) {
        parsed.set(fileName, base.getSourceFile(fileName, languageVersion, onError, shouldCreate));
      }
      return parsed.get(fileName);
    },
  };
})();

interface PackageProgram {
  readonly program: ts.Program;
  readonly checker: ts.TypeChecker;
  readonly kinds: Map<string, ts.Type>;
  readonly shapes: Map<ts.Type, ObjectShape>;
}
const programs = new Map<string, PackageProgram>();

/** The interface `I<Kind>` of a kind, from its package's program (rebuilt, reusing files, for a new kind). */
function kindType(model: CustomResourceModel, kind: string): { type: ts.Type; program: PackageProgram } {
  let entry = programs.get(model.packageName);
  const cached = entry?.kinds.get(model.declarationFile);
  if (entry && cached) return { type: cached, program: entry };
  const roots = [...(entry?.kinds.keys() ?? []), model.declarationFile];
  const program = ts.createProgram({
    rootNames: roots,
    options: COMPILER_OPTIONS,
    host,
    ...(entry && { oldProgram: entry.program }),
  });
  entry = { program, checker: program.getTypeChecker(), kinds: new Map(), shapes: new Map() };
  programs.set(model.packageName, entry);
  for (const root of roots) {
    const source = program.getSourceFile(root);
    const module = source && entry.checker.getSymbolAtLocation(source);
    const name = `I${root.slice(root.lastIndexOf("/") + 1, -".d.ts".length)}`;
    const symbol = module && entry.checker.getExportsOfModule(module).find((s) => s.name === name);
    if (!symbol) throw new Error(`custom-resource-schema: ${root} exports no interface ${name}`);
    entry.kinds.set(root, entry.checker.getDeclaredTypeOfSymbol(symbol));
  }
  const type = entry.kinds.get(model.declarationFile);
  if (!type) throw new Error(`custom-resource-schema: no type for ${kind}`);
  return { type, program: entry };
}

// ---- the walk -------------------------------------------------------------------------------------

interface ObjectShape {
  readonly properties: ReadonlyMap<string, ts.Type>;
  readonly required: readonly string[];
  readonly index: ts.Type | undefined;
  /** The nearest named type, for messages (`IEndpoint`). */
  readonly name: string | undefined;
}

class Walk {
  readonly problems: string[] = [];

  constructor(
    private readonly checker: ts.TypeChecker,
    private readonly schemaName: string,
    /** Per program: object types' property tables, built once. */
    private readonly shapes: Map<ts.Type, ObjectShape>,
  ) {}

  value(value: unknown, type: ts.Type, path: string, definition: string): void {
    const { flags } = type;
    const fail = (expected: string): void => {
      this.problems.push(`${path}: expected ${expected}, got ${JSON.stringify(value)}`);
    };
    if (flags & ts.TypeFlags.Any && (type as { intrinsicName?: string }).intrinsicName === "error") {
      // An import the compiler could not resolve: it would accept anything, so say so.
      this.problems.push(`${path}: custom-resource-schema cannot resolve the type of ${definition}`);
      return;
    }
    if (flags & (ts.TypeFlags.Any | ts.TypeFlags.Unknown)) return;
    if (value === null) {
      if (!(type.isUnion() && type.types.some((t) => t.flags & ts.TypeFlags.Null))) {
        this.problems.push(`${path}: null is not allowed here`);
      }
      return;
    }
    if (flags & ts.TypeFlags.Boolean) {
      if (typeof value !== "boolean") fail("a boolean");
      return;
    }
    if (type.isUnion()) return this.union(value, type, path, definition);
    if (flags & ts.TypeFlags.String) {
      if (typeof value !== "string") fail("a string");
      return;
    }
    if (flags & ts.TypeFlags.Number) {
      if (typeof value !== "number" || !Number.isFinite(value)) fail("a number");
      return;
    }
    if (type.isStringLiteral() || type.isNumberLiteral()) {
      if (value !== type.value) fail(JSON.stringify(type.value));
      return;
    }
    if (flags & ts.TypeFlags.BooleanLiteral) {
      const literal = this.checker.typeToString(type) === "true";
      if (value !== literal) fail(String(literal));
      return;
    }
    // `A[] & B[]`: the generator intersects whole objects (Istio's `spec` is `{...} & ({...} | {...})`), so
    // their array properties come out intersected; each element must satisfy every member's element type.
    const arrays = type.isIntersection() ? type.types : [type];
    if (arrays.every((t) => this.checker.isArrayType(t))) {
      if (!Array.isArray(value)) return fail("an array");
      for (const member of arrays) {
        const [element] = this.checker.getTypeArguments(member as ts.TypeReference);
        if (element) value.forEach((item, i) => this.value(item, element, `${path}[${i}]`, definition));
      }
      return;
    }
    if (flags & ts.TypeFlags.Object || type.isIntersection())
      return this.object(value, type, path, definition);
    this.problems.push(
      `${path}: custom-resource-schema cannot check type ${this.checker.typeToString(type)}`,
    );
  }

  private union(value: unknown, type: ts.UnionType, path: string, definition: string): void {
    const members = type.types.filter((t) => !(t.flags & (ts.TypeFlags.Undefined | ts.TypeFlags.Null)));
    const [only] = members;
    if (members.length === 1 && only) return this.value(value, only, path, definition);
    // `boolean | undefined` is the union `false | true | undefined`.
    if (members.every((member) => member.flags & ts.TypeFlags.BooleanLiteral)) {
      if (typeof value !== "boolean")
        this.problems.push(`${path}: expected a boolean, got ${JSON.stringify(value)}`);
      return;
    }
    const attempts = members.map((member) => {
      const walk = new Walk(this.checker, this.schemaName, this.shapes);
      walk.value(value, member, path, definition);
      return walk.problems;
    });
    if (attempts.some((problems) => problems.length === 0)) return;
    // Report the closest member's problems (an object member for an object), not a bare "wrong type".
    const closest = attempts.reduce((a, b) => (b.length < a.length ? b : a));
    const typeMismatch = (p: string) => p.startsWith(`${path}: expected`);
    if (attempts.every((problems) => problems.length === 1 && problems.every(typeMismatch))) {
      const expected = members.map((member) => this.checker.typeToString(member)).join(" | ");
      this.problems.push(`${path}: expected ${expected}, got ${JSON.stringify(value)}`);
    } else {
      this.problems.push(...closest);
    }
  }

  private object(value: unknown, type: ts.Type, path: string, definition: string): void {
    const shape = this.shape(type);
    // `{}`: the generator's rendering of x-kubernetes-preserve-unknown-fields.
    if (shape.properties.size === 0 && !shape.index) return;
    const name = shape.name ?? definition;
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      this.problems.push(`${path || "(root)"}: expected an object (${name}), got ${JSON.stringify(value)}`);
      return;
    }
    const at = (key: string) => (path === "" ? key : `${path}.${key}`);
    const record = value as Record<string, unknown>;
    for (const [key, item] of Object.entries(record)) {
      const field = shape.properties.get(key) ?? shape.index;
      if (field) this.value(item, field, at(key), name);
      else this.problems.push(`${at(key)}: unknown field (not in ${name} of ${this.schemaName})`);
    }
    for (const key of shape.required) {
      if (!(key in record)) this.problems.push(`${at(key)}: required by ${name} of ${this.schemaName}`);
    }
  }

  private shape(type: ts.Type): ObjectShape {
    const cached = this.shapes.get(type);
    if (cached) return cached;
    const properties = new Map<string, ts.Type>();
    const required: string[] = [];
    for (const symbol of this.checker.getPropertiesOfType(type)) {
      properties.set(symbol.name, this.checker.getTypeOfSymbol(symbol));
      if (!(symbol.flags & ts.SymbolFlags.Optional)) required.push(symbol.name);
    }
    const named = type.aliasSymbol ?? type.getSymbol();
    const shape: ObjectShape = {
      properties,
      required,
      index: type.getStringIndexType(),
      name: named && !named.name.startsWith("__") ? named.name : undefined,
    };
    this.shapes.set(type, shape);
    return shape;
  }
}

/**
 * Strict structural problems of a custom resource against its `@kubernetes-models/*` package's types,
 * as `spec.endpoints[0].intervall: unknown field (not in IEndpoint of @kubernetes-models/prometheus-operator 6.0.0)`
 * (paths without the object's name; `k8s-schema.ts` adds it). Undefined when no declared package models
 * the kind.
 *
 * @example customResourceStructuralProblems(serviceMonitor) // [] or ["spec.endpointz: unknown field (...)"]
 */
export function customResourceStructuralProblems(obj: {
  readonly apiVersion: string;
  readonly kind: string;
}): string[] | undefined {
  const model = customResourceModel(obj.apiVersion, obj.kind);
  if (!model) return undefined;
  const { type, program } = kindType(model, obj.kind);
  const walk = new Walk(program.checker, `${model.packageName} ${model.packageVersion}`, program.shapes);
  walk.value(obj, type, "", `I${obj.kind}`);
  // An intersection walks the same value once per member: report each problem once.
  return [...new Set(walk.problems)];
}
