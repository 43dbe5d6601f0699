// The `artifacts` argument of an endpoint: the run's final artifacts, decoded once, frozen (one
// request must not change what the next one sees), and read through a Proxy that records which
// artifacts each call actually read, so the prediction log can name exactly those (with their sha256).
import type { ArtifactIndex, ArtifactRef } from '../records';

export type LoadRef = (ref: ArtifactRef, name: string) => unknown;

/** Decoded artifact values of one artifact index, each decoded on first use and then kept. */
export class ArtifactValues {
  private readonly values = new Map<string, unknown>();
  /** `digests` of each set of names read so far: requests to one endpoint read the same few sets. */
  private readonly digestSets = new Map<string, Readonly<Record<string, string>>>();

  constructor(
    readonly index: ArtifactIndex,
    private readonly load: LoadRef,
  ) {}

  has(name: string): boolean {
    return Object.hasOwn(this.index, name);
  }

  get(name: string): unknown {
    if (this.values.has(name)) {
      return this.values.get(name);
    }
    const value = deepFreeze(this.load(this.index[name], name));
    this.values.set(name, value);
    return value;
  }

  /** Decodes these now (at load time), so the first request does not pay for them. */
  preload(names: Iterable<string>): void {
    for (const name of names) {
      if (this.has(name)) {
        this.get(name);
      }
    }
  }

  /** Name → sha256 of these artifacts, names sorted; one frozen object per set of names, made once. */
  digests(names: Iterable<string>): Readonly<Record<string, string>> {
    const sorted = [...names].sort();
    const key = sorted.join('\n');
    let digests = this.digestSets.get(key);
    if (!digests) {
      digests = Object.freeze(Object.fromEntries(sorted.map((name) => [name, this.index[name].sha256])));
      this.digestSets.set(key, digests);
    }
    return digests;
  }

  /** A fresh view for one call; `reads` collects the names it read. */
  view(reads: Set<string>): Readonly<Record<string, unknown>> {
    return new Proxy(Object.create(null) as Record<string, unknown>, {
      get: (_target, key) => {
        if (typeof key !== 'string' || !this.has(key)) {
          return undefined;
        }
        reads.add(key);
        return this.get(key);
      },
      has: (_target, key) => typeof key === 'string' && this.has(key),
      ownKeys: () => Object.keys(this.index),
      getOwnPropertyDescriptor: (_target, key) => {
        if (typeof key !== 'string' || !this.has(key)) {
          return undefined;
        }
        reads.add(key);
        return { value: this.get(key), enumerable: true, configurable: true, writable: false };
      },
      set: () => false,
      defineProperty: () => false,
      deleteProperty: () => false,
    });
  }
}

/** Freezes plain objects and arrays all the way down; other objects (Maps, Arrow tables) are left as they are. */
function deepFreeze<T>(value: T): T {
  if (value === null || typeof value !== 'object' || Object.isFrozen(value)) {
    return value;
  }
  const proto = Object.getPrototypeOf(value);
  if (!Array.isArray(value) && proto !== Object.prototype && proto !== null) {
    return value;
  }
  Object.freeze(value);
  for (const item of Object.values(value as object)) {
    deepFreeze(item);
  }
  return value;
}
