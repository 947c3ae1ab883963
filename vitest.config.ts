import { configDefaults, defineConfig } from "vitest/config";

/**
 * Test files that only build objects in memory (charts, manifests, settings, rule files): they share one
 * worker's module cache instead of importing cdk8s-plus and every chart again per file, which costs more
 * than most of them take to run (some hand what they built to promtool). None starts a server, changes
 * process-wide state (environment, timers, signal handlers, the TF.js backend) or mocks a module; a file
 * that does belongs in "process", where every file gets a fresh worker.
 */
const IN_MEMORY = [
  "charts/**/*.test.ts",
  "src/contract/**/*.test.ts",
  "src/training/evaluate.test.ts",
  "src/training/iris.test.ts",
  "src/training/split.test.ts",
  "test/dist-manifests.test.ts",
  "test/support/k8s-checks.test.ts",
  "test/monitoring/alert-rules.promtool.test.ts",
  "test/monitoring/dashboards.test.ts",
  "test/monitoring/monitoring-settings.test.ts",
  "test/monitoring/prometheus-config.promtool.test.ts",
  "test/monitoring/runbooks.test.ts",
  "test/monitoring/settings-overrides.promtool.test.ts",
  "test/readme-configuration.test.ts",
  "test/docker-image.test.ts",
  "test/ci-workflow.test.ts",
  "test/ops-commands.test.ts",
];

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: "forks",
    // Vitest's default on 2 cores is one worker, which leaves the CPU idle while a file waits for a child
    // process, a server or a timeout; most of the suite's time is such waiting.
    maxWorkers: 3,
    // Fails a test file that leaves a process it started running, and kills the process.
    setupFiles: ["test/support/no-leftover-processes.ts"],
    projects: [
      {
        extends: true,
        test: { name: "in-memory", include: IN_MEMORY, isolate: false },
      },
      {
        extends: true,
        test: {
          name: "process",
          include: ["src/**/*.test.ts", "charts/**/*.test.ts", "test/**/*.test.ts"],
          exclude: [...configDefaults.exclude, ...IN_MEMORY],
        },
      },
    ],
  },
});
