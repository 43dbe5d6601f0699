// What the drift check reads from node_modules, remembered between runs and trusted only while each
// file's stat is unchanged, as git's index trusts an unchanged stat instead of re-hashing the file.
// Every run compares every installed package.json with the lockfile (reading and parsing hundreds of
// files on the provenance thread), yet between two runs they almost never change.
import * as fs from 'fs';
import { SETTLE_MS, settled, statSignature, writeCacheFile } from './stat-signature';

interface Entry {
  stat: string;
  value: unknown;
}

export class StatCache {
  private entries = new Map<string, Entry>();
  /** Files looked up this time: only they are written back, so removed packages drop out. */
  private readonly used = new Set<string>();
  private changed = false;

  /** `file`: where the cache lives between runs; undefined keeps it in memory only. */
  constructor(
    private readonly file: string | undefined,
    private readonly settleMs = SETTLE_MS,
  ) {
    if (!file) {
      return;
    }
    try {
      const stored = JSON.parse(fs.readFileSync(file, 'utf8')) as { entries?: Record<string, Entry> };
      for (const [key, entry] of Object.entries(stored.entries ?? {})) {
        if (typeof entry?.stat === 'string') {
          this.entries.set(key, entry);
        }
      }
    } catch {
      // missing or damaged: every file is read afresh
    }
  }

  /**
   * `pick(JSON of file)`, from the cache when the file's stat is as it was; undefined when the file is
   * missing or not JSON. `pick` must depend on the content only (its result is what is remembered).
   */
  readJson<T>(file: string, pick: (json: unknown) => T): T | undefined {
    const { text: signature, changedNs } = statSignature(file);
    if (signature === null) {
      return undefined;
    }
    const cached = this.entries.get(file);
    if (cached?.stat === signature) {
      this.used.add(file);
      return cached.value as T;
    }
    let value: T;
    try {
      value = pick(JSON.parse(fs.readFileSync(file, 'utf8')));
    } catch {
      return undefined;
    }
    if (settled(changedNs, this.settleMs)) {
      this.entries.set(file, { stat: signature, value });
      this.used.add(file);
      this.changed = true;
    }
    return value;
  }

  /** Writes the cache back when it learned something; a failure only costs the next run a re-read. */
  save(): void {
    if (!this.file || (!this.changed && this.used.size === this.entries.size)) {
      return;
    }
    const kept = [...this.used].map((file) => [file, this.entries.get(file)!] as const);
    writeCacheFile(this.file, { entries: Object.fromEntries(kept) });
  }
}
