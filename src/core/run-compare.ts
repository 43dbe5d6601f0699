// What comparing runs' artifacts means, shared by the run browser's Compare (src/lab/run-compare.ts)
// and `cellflow reproduce` (src/runtime/repro/replay/compare.ts): an artifact's sha256 names its stored
// bytes, so two values are equal exactly when their hashes are, and an artifact one side lacks is
// reported as such rather than as different. Each caller pairs the tasks its own way. Pure.

/** What a comparison needs of an artifact reference (a task record's `artifacts` entry). */
export interface HashedArtifact {
  sha256: string;
}

/** A task's artifacts by name. */
export type ArtifactMap = Readonly<Record<string, HashedArtifact>>;

/** How an artifact of run a relates to the artifact of the same name in run b. */
export type ArtifactVerdict = 'equal' | 'different' | 'only-a' | 'only-b';

/**
 * Compares two hashes, or two sequences of hashes each joined into one string (a foreach step's
 * artifact, task by task); undefined means that side has no such artifact.
 */
export function hashVerdict(a: string | undefined, b: string | undefined): ArtifactVerdict {
  if (a === undefined) {
    return 'only-b';
  }
  if (b === undefined) {
    return 'only-a';
  }
  return a === b ? 'equal' : 'different';
}

export function artifactVerdict(
  a: HashedArtifact | undefined,
  b: HashedArtifact | undefined,
): ArtifactVerdict {
  return hashVerdict(a?.sha256, b?.sha256);
}

/** Every artifact name in any of the maps, each once, in the order first seen. */
export function artifactNames(...maps: (ArtifactMap | undefined)[]): string[] {
  return [...new Set(maps.flatMap((m) => Object.keys(m ?? {})))];
}

/** Whether two tasks wrote the same artifact names with the same values. */
export function sameArtifacts(a: ArtifactMap, b: ArtifactMap): boolean {
  return artifactNames(a, b).every((name) => artifactVerdict(a[name], b[name]) === 'equal');
}

/** How an artifact fares across several runs: every run holds it and they agree, they differ, or some lack it. */
export type RunsVerdict = 'equal' | 'different' | 'missing';

/** The verdict over one hash (or joined sequence of hashes) per run; undefined: that run has none. */
export function runsVerdict(keys: readonly (string | undefined)[]): RunsVerdict {
  if (keys.some((k) => k === undefined)) {
    return 'missing';
  }
  return new Set(keys).size <= 1 ? 'equal' : 'different';
}
