// Remembers the result of a computation over files together with the stat of every path it looked at
// through the file system it was handed. While none of those paths changed (same device, inode, mode,
// size, mtime and ctime; or still absent) the computation would read the same bytes, so its result
// is reused: git's index applies the same rule to decide a file is unchanged without reading it.
// Used for the git status of a run's repository, which isomorphic-git computes in pure JavaScript by
// hashing every tracked file, while it rarely changes between two runs.
import * as fs from 'fs';
import { gitFs } from './git-fs';
import { SETTLE_MS, settled, statSignature, writeCacheFile } from './stat-signature';

export type GitFs = typeof gitFs;

/** `l` for paths looked at without following a symbolic link, `s` for those followed. */
type Kind = 'l' | 's';

const signature = (kind: Kind, file: string) => statSignature(file, kind === 's');

interface Stored<T> {
  key: string;
  deps: [string, string | null][];
  result: T;
}

interface Recording {
  fs: GitFs;
  deps: Map<string, string | null>;
  /** The newest mtime or ctime among the paths looked at. */
  newestNs(): bigint;
  /** True once the computation wrote something: its result then depends on more than it read. */
  wrote(): boolean;
}

function recordingFs(): Recording {
  const deps = new Map<string, string | null>();
  let newest = 0n;
  let wrote = false;
  const note = (kind: Kind, file: unknown) => {
    const key = `${kind}${String(file)}`;
    if (deps.has(key)) {
      return;
    }
    const { text, changedNs } = signature(kind, String(file));
    deps.set(key, text);
    if (changedNs > newest) {
      newest = changedNs;
    }
  };
  const base = gitFs.promises;
  const reading =
    <A extends unknown[], R>(kind: Kind, call: (file: unknown, ...rest: A) => Promise<R>) =>
    (file: unknown, ...rest: A): Promise<R> => {
      note(kind, file);
      return call(file, ...rest);
    };
  const writing =
    <A extends unknown[], R>(call: (...args: A) => Promise<R>) =>
    (...args: A): Promise<R> => {
      wrote = true;
      return call(...args);
    };
  return {
    deps,
    newestNs: () => newest,
    wrote: () => wrote,
    fs: {
      promises: {
        readFile: reading(
          's',
          base.readFile as (file: unknown, ...rest: unknown[]) => Promise<Buffer | string>,
        ),
        readdir: reading('s', base.readdir as (file: unknown, ...rest: unknown[]) => Promise<string[]>),
        stat: reading('s', base.stat as (file: unknown, ...rest: unknown[]) => Promise<fs.Stats>),
        lstat: reading('l', base.lstat as (file: unknown, ...rest: unknown[]) => Promise<fs.Stats>),
        readlink: reading('l', base.readlink as (file: unknown, ...rest: unknown[]) => Promise<string>),
        writeFile: writing(base.writeFile),
        unlink: writing(base.unlink),
        mkdir: writing(base.mkdir),
        rmdir: writing(base.rmdir),
        symlink: writing(base.symlink),
        chmod: writing(base.chmod),
      },
    },
  };
}

function unchanged(deps: [string, string | null][]): boolean {
  return deps.every(([key, text]) => signature(key[0] as Kind, key.slice(1)).text === text);
}

/**
 * `compute(fs)`'s result, reused from `cacheFile` when it was computed with the same `key` and every
 * path it looked at through `fs` is as it was. `compute` must do all its reading through `fs` and
 * depend on nothing else besides `key`. No cache file: always computed. `settleMs`: how old the
 * newest path must be for the result to be remembered (tests shorten it).
 */
export async function memoizedOverFiles<T>(
  cacheFile: string | undefined,
  key: string,
  compute: (fs: GitFs) => Promise<T>,
  settleMs = SETTLE_MS,
): Promise<T> {
  if (cacheFile) {
    try {
      const stored = JSON.parse(fs.readFileSync(cacheFile, 'utf8')) as Stored<T>;
      if (stored.key === key && Array.isArray(stored.deps) && unchanged(stored.deps)) {
        return stored.result;
      }
    } catch {
      // missing or damaged: computed afresh below
    }
  }
  const recording = recordingFs();
  const result = await compute(recording.fs);
  if (cacheFile && settled(recording.newestNs(), settleMs) && !recording.wrote()) {
    writeCacheFile(cacheFile, { key, deps: [...recording.deps], result } satisfies Stored<T>);
  }
  return result;
}
