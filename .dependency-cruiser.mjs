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

/**
 * Production code under `fromPath` must not import from `toPath`; its tests may.
 *
 * @returns {import('dependency-cruiser').IForbiddenRuleType}
 */
function layerRule(name, fromPath, toPath, comment) {
  return {
    name,
    comment,
    severity: "error",
    from: { path: fromPath, pathNot: NOT_A_TEST },
    to: { path: toPath },
  };
}

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
    layerRule(
      "model-code-knows-no-program",
      "^src/model/",
      "^(src/server|src/training|charts|ops)/",
      "src/model is TF.js model code: the server and training use it, it uses neither.",
    ),
    layerRule(
      "server-imports-contract-and-model-only",
      "^src/server/",
      "^(src/training|charts|ops)/",
      "The image ships src/server, src/model and src/contract: nothing else may be reachable.",
    ),
    {
      name: "server-uses-production-dependencies-only",
      comment: "The image installs `npm ci --omit=dev`: a devDependency imported by the server is a crash.",
      severity: "error",
      from: { path: "^src/(server|model|contract)/", pathNot: NOT_A_TEST },
      to: { dependencyTypes: ["npm-dev"] },
    },
    layerRule(
      "training-imports-model-code-only",
      "^src/training/",
      "^(src/server|charts|ops)/",
      "Training produces model/ through src/model; it has no business with the server or charts.",
    ),
    layerRule(
      "charts-know-the-contract-not-the-server",
      "^charts/",
      "^(src/server|src/model|src/training|ops)/",
      "The synthesizer describes the server through src/contract (ports, paths, env codec, metric names), " +
        "never through server internals, so the two can only meet at the contract.",
    ),
    layerRule(
      "ops-is-a-client",
      "^ops/",
      "^(src/server|src/model|src/training)/",
      "The operator CLI drives the synthesized app (charts) and speaks the contract; it never imports the " +
        "server, model or training code.",
    ),
    layerRule(
      "nothing-imports-tests-or-benchmarks",
      "^(src|charts|ops)/",
      "^(test|bench)/",
      "Production code never depends on tests, test support or benchmarks.",
    ),
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
