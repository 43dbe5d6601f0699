// Deep drift: what an installed package's files hash to, so that an edit under an unchanged version
// (a patched file in node_modules) is seen. npm's `integrity` is the hash of the packed tarball and
// cannot be compared with unpacked files, so the reference is the package's own content as first seen
// after it was installed: a baseline kept per installed copy (keyed by the package folder's inode,
// version and integrity, so `npm ci` or a reinstall starts a new baseline), in
// node_modules/.cache/cellflow/ where every datastore and every run on this node_modules shares it.
// A package whose content differs from its baseline has drifted. Each run records every package's
// content hash (as one object), so a reproduction compares its fresh install against the original.
//
// Cost: the content hash of a package is remembered with the stats of all its files; a warm run
// only lists and stats them (no reads), a cold one hashes everything once.
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { SETTLE_MS, settled, writeCacheFile } from './stat-signature';

export interface PackageContent {
  /** sha256 over the sorted (path, executable bit, file sha256) lines of the package's own files. */
  sha256: string;
  /** What identifies this installed copy: folder inode, version and integrity. */
  install: string;
}

interface CachedPackage {
  signature: string;
  sha256: string;
}

interface ContentCache {
  packages: Record<string, CachedPackage>;
  baselines: Record<string, { install: string; sha256: string }>;
}

/** The files of one package (its nested node_modules belong to other packages), sorted. */
function packageFiles(dir: string): { relative: string; stat: fs.Stats }[] {
  const files: { relative: string; stat: fs.Stats }[] = [];
  const walk = (at: string, prefix: string) => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(at, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      if (prefix === '' && entry.name === 'node_modules') {
        continue;
      }
      const full = path.join(at, entry.name);
      const relative = prefix + entry.name;
      if (entry.isDirectory()) {
        walk(full, `${relative}/`);
      } else if (entry.isFile() || entry.isSymbolicLink()) {
        try {
          files.push({ relative, stat: fs.lstatSync(full) });
        } catch {
          // removed while listed
        }
      }
    }
  };
  walk(dir, '');
  return files.sort((a, b) => (a.relative < b.relative ? -1 : a.relative > b.relative ? 1 : 0));
}

function contentOf(dir: string, files: { relative: string; stat: fs.Stats }[]): string {
  const hash = createHash('sha256');
  for (const { relative, stat } of files) {
    const full = path.join(dir, relative);
    const bytes = stat.isSymbolicLink() ? Buffer.from(fs.readlinkSync(full)) : fs.readFileSync(full);
    const fileHash = createHash('sha256').update(bytes).digest('hex');
    hash.update(`${relative}\0${stat.mode & 0o111 ? 'x' : '-'}\0${fileHash}\n`);
  }
  return hash.digest('hex');
}

export class PackageContents {
  private cache: ContentCache = { packages: {}, baselines: {} };
  private readonly seen = new Set<string>();
  private changed = false;

  /** `cacheFile`: undefined keeps nothing between runs (every package hashed, no baseline). */
  constructor(private readonly cacheFile: string | undefined) {
    if (!cacheFile) {
      return;
    }
    try {
      const stored = JSON.parse(fs.readFileSync(cacheFile, 'utf8')) as Partial<ContentCache>;
      this.cache = { packages: stored.packages ?? {}, baselines: stored.baselines ?? {} };
    } catch {
      // first run on this node_modules, or a damaged cache: hash afresh
    }
  }

  static forNodeModules(root: string): PackageContents {
    return new PackageContents(
      path.join(root, 'node_modules', '.cache', 'cellflow', 'package-contents.json'),
    );
  }

  /** The content hash of the package installed at `root/key`, undefined when it is not there. */
  measure(root: string, key: string, version?: string, integrity?: string): PackageContent | undefined {
    const dir = path.join(root, key);
    let folder: fs.Stats;
    try {
      folder = fs.statSync(dir);
    } catch {
      return undefined;
    }
    const install = `${folder.ino}:${version ?? ''}:${integrity ?? ''}`;
    const files = packageFiles(dir);
    const signatureHash = createHash('sha256');
    let newest = 0n;
    for (const { relative, stat } of files) {
      signatureHash.update(
        `${relative}\0${stat.ino}:${stat.mode}:${stat.size}:${stat.mtimeMs}:${stat.ctimeMs}\n`,
      );
      const changedNs = BigInt(Math.round(Math.max(stat.mtimeMs, stat.ctimeMs) * 1e6));
      if (changedNs > newest) {
        newest = changedNs;
      }
    }
    const signature = signatureHash.digest('hex');
    this.seen.add(key);
    const cached = this.cache.packages[key];
    let sha256: string;
    if (cached?.signature === signature) {
      sha256 = cached.sha256;
    } else {
      sha256 = contentOf(dir, files);
      if (settled(newest, SETTLE_MS)) {
        this.cache.packages[key] = { signature, sha256 };
        this.changed = true;
      }
    }
    return { sha256, install };
  }

  /**
   * The reference content for this installed copy: its baseline when one was taken for the same
   * install, else `content` becomes the baseline (a new install is, by definition, as locked).
   */
  baseline(key: string, content: PackageContent): string {
    const known = this.cache.baselines[key];
    if (known?.install === content.install) {
      return known.sha256;
    }
    this.cache.baselines[key] = { install: content.install, sha256: content.sha256 };
    this.changed = true;
    return content.sha256;
  }

  save(): void {
    if (!this.cacheFile) {
      return;
    }
    for (const key of Object.keys(this.cache.packages)) {
      if (!this.seen.has(key)) {
        delete this.cache.packages[key];
        this.changed = true;
      }
    }
    if (this.changed) {
      writeCacheFile(this.cacheFile, this.cache);
    }
  }
}
