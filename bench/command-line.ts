/**
 * The benchmarks' command lines: `--help`/`-h` prints the usage and exits 0 before anything starts, and a
 * mistake (an unknown or malformed option) exits 2 with one line and a hint instead of a stack trace.
 */

/**
 * Runs `parse` (a strict `parseArgs` call that declares `help`) and handles `--help` and mistakes.
 *
 * @example const { values } = benchCommandLine("bench", USAGE, () => parseArgs({ options, strict: true }));
 */
export function benchCommandLine<T extends { values: { help?: boolean | undefined } }>(
  script: string,
  usage: string,
  parse: () => T,
): T {
  let parsed: T;
  try {
    parsed = parse();
  } catch (error) {
    console.error(`${script}: ${(error as Error).message}\nSee: npm run ${script} -- --help`);
    process.exit(2);
  }
  if (parsed.values.help === true) {
    console.log(usage);
    process.exit(0);
  }
  return parsed;
}
