// `current.random()`: with a run seed, a task's stream depends only on the seed, the step and its
// foreach position (never on task ids, which depend on scheduling order), so a reproduction draws
// the same numbers.

/** 32-bit FNV-1a; enough to spread (seed, step, position) over the generator's state. */
function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** mulberry32: small, fast, and good enough for sampling and shuffles (not for cryptography). */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function taskRandom(seed: number | undefined, step: string, foreachIndices: number[]): () => number {
  if (seed === undefined) {
    return Math.random;
  }
  return mulberry32(fnv1a(`${seed}/${step}/${foreachIndices.join('.')}`));
}
