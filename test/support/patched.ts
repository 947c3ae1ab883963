/**
 * A deep copy of `value` with each dotted path of `changes` set to its value, e.g.
 * `patched(DEFAULT_MONITORING_CONFIG, { "alerts.highErrorRatio.ratio": 0.01 })`. The paths are the ones
 * validation messages name, so a test can change a setting and expect the message to name that path.
 * Every path must exist: a typo fails the test instead of adding a field nobody reads.
 */
export function patched<T>(value: T, changes: Readonly<Record<string, unknown>>): T {
  const copy = structuredClone(value);
  for (const [path, change] of Object.entries(changes)) {
    const keys = path.split(".");
    const last = keys.pop() as string;
    let parent: Record<string, unknown> = copy as Record<string, unknown>;
    for (const key of keys) parent = parent[key] as Record<string, unknown>;
    if (!(last in parent)) throw new Error(`patched: no setting ${path}`);
    parent[last] = change;
  }
  return copy;
}
