// @ts-check
/**
 * The repository's architecture as rules: `npm run lint` (depcruise) fails when an import crosses a
 * boundary the wrong way or forms a cycle. test/architecture.test.ts proves each rule fires.
 *
 *   src/server ──► src/contract ◄── charts ◄── ops
 *        │              ▲
 *        └──► src/model ┘ ◄── src/training
 *
 * Tests, benchmarks and test support may import anything; nothing imports them.
 */

/** Tests are exempt from the layering rules (a model test may train a small model), not from cycles. */
const NOT_A_TEST = "\\.test\\.ts$";

/** @type {import('dependency-cruiser').IConfiguration} */
export default {
  forbidden: [
    {
      name: "no-cycles",
      comment: "A cycle makes two modules one: neither can be understood, tested or moved alone.",
      severity: "error",
      from: {},
      to: { circular: true },
    },
    {
      name: "contract-is-dependency-free",
      comment:
        "src/contract is the vocabulary the server and the charts share: it imports nothing outside itself " +
        "(no npm package, no Node built-in, no other program's code).",
      severity: "error",
      from: { path: "^src/contract/", pathNot: NOT_A_TEST },
      to: { pathNot: "^src/contract/" },
    },
    {
      name: "model-code-knows-no-program",
      comment: "src/model is TF.js model code: the server and training use it, it uses neither.",
      severity: "error",
      from: { path: "^src/model/", pathNot: NOT_A_TEST },
      to: { path: "^(src/server|src/training|charts|ops)/" },
    },
    {
      name: "server-imports-contract-and-model-only",
      comment: "The image ships src/server, src/model and src/contract: nothing else may be reachable.",
      severity: "error",
      from: { path: "^src/server/", pathNot: NOT_A_TEST },
      to: { path: "^(src/training|charts|ops)/" },
    },
    {
      name: "server-uses-production-dependencies-only",
      comment: "The image installs `npm ci --omit=dev`: a devDependency imported by the server is a crash.",
      severity: "error",
      from: { path: "^src/(server|model|contract)/", pathNot: NOT_A_TEST },
      to: { dependencyTypes: ["npm-dev"] },
    },
    {
      name: "training-imports-model-code-only",
      comment: "Training produces model/ through src/model; it has no business with the server or charts.",
      severity: "error",
      from: { path: "^src/training/", pathNot: NOT_A_TEST },
      to: { path: "^(src/server|charts|ops)/" },
    },
    {
      name: "charts-know-the-contract-not-the-server",
      comment:
        "The synthesizer describes the server through src/contract (ports, paths, env codec, metric names), " +
        "never through server internals, so the two can only meet at the contract.",
      severity: "error",
      from: { path: "^charts/", pathNot: NOT_A_TEST },
      to: { path: "^(src/server|src/model|src/training|ops)/" },
    },
    {
      name: "ops-is-a-client",
      comment:
        "The operator CLI drives the synthesized app (charts) and speaks the contract; it never imports the " +
        "server, model or training code.",
      severity: "error",
      from: { path: "^ops/", pathNot: NOT_A_TEST },
      to: { path: "^(src/server|src/model|src/training)/" },
    },
    {
      name: "nothing-imports-tests-or-benchmarks",
      comment: "Production code never depends on tests, test support or benchmarks.",
      severity: "error",
      from: { path: "^(src|charts|ops)/", pathNot: NOT_A_TEST },
      to: { path: "^(test|bench)/" },
    },
    {
      name: "no-unresolvable-imports",
      comment: "An import that resolves to nothing fails at run time.",
      severity: "error",
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    exclude: { path: "^(node_modules|build|dist)/" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: {
      exportsFields: ["exports"],
      conditionNames: ["import", "require", "node", "default", "types"],
      extensions: [".ts", ".js", ".mjs", ".cjs", ".d.ts"],
    },
  },
};
