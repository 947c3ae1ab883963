/**
 * `npm run ops -- <command> [options]`: day-2 operations on the deployed service (see `ops/cli.ts`).
 * This entry point only hands the process's command line, environment and output to `runOps`.
 */
import { runOps } from "./cli.js";

process.exitCode = await runOps(process.argv.slice(2), {
  env: process.env,
  print: (line) => console.log(line),
  warn: (line) => console.error(line),
});
