/**
 * The import rules of `.dependency-cruiser.mjs` (server → contract ← charts ← ops; training → model code;
 * nothing imports tests; no cycles) hold for this repository, and each rule really fires: a fixture tree
 * with one wrong import per rule must be reported with exactly those rules.
 */
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const depcruise = join(root, "node_modules/.bin/depcruise");

interface Violation {
  readonly rule: { readonly name: string };
  readonly from: string;
  readonly to: string;
}

/** Runs the repository's own dependency-cruiser config on `dirs` inside `cwd`; returns its violations. */
function cruise(cwd: string, dirs: readonly string[]): Violation[] {
  const result = spawnSync(
    depcruise,
    ["--config", join(root, ".dependency-cruiser.mjs"), "--output-type", "json", ...dirs],
    { cwd, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 },
  );
  if (result.stdout === "") throw new Error(`depcruise printed nothing: ${result.stderr}`);
  return (JSON.parse(result.stdout) as { summary: { violations: Violation[] } }).summary.violations;
}

describe("import boundaries", () => {
  it("holds for the repository's programs, tests and benchmarks", () => {
    const violations = cruise(root, ["src", "charts", "ops", "bench", "test"]);
    expect(violations.map((v) => `${v.rule.name}: ${v.from} -> ${v.to}`)).toEqual([]);
  });

  describe("on a tree with one wrong import per rule", () => {
    const fixture = mkdtempSync(join(tmpdir(), "infer8s-architecture-"));
    afterAll(() => rmSync(fixture, { recursive: true, force: true }));

    const files: Record<string, string> = {
      // Allowed imports: none of these may be reported.
      "src/contract/index.ts": "export const PORT = 8080;\n",
      "src/model/load.ts": 'import { PORT } from "../contract/index.js";\nexport const load = PORT;\n',
      "src/server/app.ts":
        'import "hono";\nimport { PORT } from "../contract/index.js";\nimport { load } from "../model/load.js";\nexport const app = PORT + load;\n',
      "src/training/train.ts": 'import { load } from "../model/load.js";\nexport const train = load;\n',
      "charts/chart.ts": 'import { PORT } from "../src/contract/index.js";\nexport const chart = PORT;\n',
      "ops/cli.ts": 'import { chart } from "../charts/chart.js";\nexport const cli = chart;\n',
      "test/support.ts": 'import { app } from "../src/server/app.js";\nexport const support = app;\n',
      "src/model/load.test.ts": 'import { train } from "../training/train.js";\nexport const t = train;\n',
      // One violation each.
      "src/contract/reaches-server.ts": 'import { app } from "../server/app.js";\nexport const a = app;\n',
      "src/contract/uses-npm.ts": 'import "hono";\n',
      "src/model/reaches-server.ts": 'import { app } from "../server/app.js";\nexport const a = app;\n',
      "src/server/reaches-training.ts":
        'import { train } from "../training/train.js";\nexport const t = train;\n',
      "src/server/uses-dev-dependency.ts": 'import "cdk8s";\n',
      "src/training/reaches-charts.ts":
        'import { chart } from "../../charts/chart.js";\nexport const c = chart;\n',
      "charts/reaches-server.ts": 'import { app } from "../src/server/app.js";\nexport const a = app;\n',
      "charts/reaches-tests.ts": 'import { support } from "../test/support.js";\nexport const s = support;\n',
      "ops/reaches-model.ts": 'import { load } from "../src/model/load.js";\nexport const l = load;\n',
      "ops/cycle-a.ts": 'import { b } from "./cycle-b.js";\nexport const a = () => b;\n',
      "ops/cycle-b.ts": 'import { a } from "./cycle-a.js";\nexport const b = () => a;\n',
      "ops/missing.ts": 'import "./nowhere.js";\n',
    };
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(dirname(join(fixture, path)), { recursive: true });
      writeFileSync(join(fixture, path), text);
    }
    // The real package.json tells dependencies from devDependencies; node_modules resolves them.
    copyFileSync(join(root, "package.json"), join(fixture, "package.json"));
    copyFileSync(join(root, "tsconfig.json"), join(fixture, "tsconfig.json"));
    symlinkSync(join(root, "node_modules"), join(fixture, "node_modules"));

    it("reports exactly the wrong imports, each under its rule", () => {
      const found = cruise(fixture, ["src", "charts", "ops", "test"])
        .map((v) => `${v.rule.name}: ${v.from}`)
        .sort();
      expect(found).toEqual(
        [
          "charts-know-the-contract-not-the-server: charts/reaches-server.ts",
          "contract-is-dependency-free: src/contract/reaches-server.ts",
          "contract-is-dependency-free: src/contract/uses-npm.ts",
          "model-code-knows-no-program: src/model/reaches-server.ts",
          "no-cycles: ops/cycle-a.ts",
          "no-unresolvable-imports: ops/missing.ts",
          "nothing-imports-tests-or-benchmarks: charts/reaches-tests.ts",
          "ops-is-a-client: ops/reaches-model.ts",
          "server-imports-contract-and-model-only: src/server/reaches-training.ts",
          "server-uses-production-dependencies-only: src/server/uses-dev-dependency.ts",
          "training-imports-model-code-only: src/training/reaches-charts.ts",
        ].sort(),
      );
    });
  });
});
