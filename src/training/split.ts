/**
 * Deterministic pseudo-random numbers in [0, 1) from a 32-bit seed (mulberry32). Used for every random
 * choice in training so the same seed gives the same split and the same model.
 */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Fisher–Yates shuffle of a copy of `items` driven by `random`. */
export function shuffled<T>(items: readonly T[], random: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

export interface Split {
  /** Sample indices used for training, shuffled. */
  train: number[];
  /** Sample indices held out for evaluation, in ascending order. */
  holdout: number[];
}

/**
 * Stratified split: each class contributes `round(count × holdoutFraction)` of its samples to the holdout,
 * chosen by a seeded shuffle, so class proportions match in both parts and the same seed gives the same split.
 */
export function stratifiedSplit(labels: readonly number[], holdoutFraction: number, seed: number): Split {
  if (!(holdoutFraction > 0 && holdoutFraction < 1)) {
    throw new RangeError(`holdoutFraction must be between 0 and 1, got ${holdoutFraction}`);
  }
  const random = seededRandom(seed);
  const byClass = new Map<number, number[]>();
  labels.forEach((label, index) => byClass.set(label, [...(byClass.get(label) ?? []), index]));
  const train: number[] = [];
  const holdout: number[] = [];
  for (const label of [...byClass.keys()].sort((a, b) => a - b)) {
    const members = shuffled(byClass.get(label) ?? [], random);
    const holdoutCount = Math.round(members.length * holdoutFraction);
    holdout.push(...members.slice(0, holdoutCount));
    train.push(...members.slice(holdoutCount));
  }
  return { train: shuffled(train, random), holdout: holdout.sort((a, b) => a - b) };
}
