import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["src/**/*.test.ts", "charts/**/*.test.ts", "test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: "forks",
    // Fails a test file that leaves a process it started running, and kills the process.
    setupFiles: ["test/support/no-leftover-processes.ts"],
  },
});
