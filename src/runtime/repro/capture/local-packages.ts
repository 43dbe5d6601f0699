// Locked dependencies that no registry serves: `file:` tarballs and folders (`link: true`), cellflow
// itself when installed that way. At run time each is stored as a packed tarball object with its
// integrity; at reproduce time (and for Binder) the lockfile and package.json are rewritten to point
// at copies of those tarballs inside the project, so `npm ci` succeeds with an empty npm cache, in any
// directory, on a machine that never saw the original paths.
import { createHash } from 'crypto';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { ObjectStore } from '../../datastore/objects';
import type { LocalPackage } from '../../records';
import { SETTLE_MS, settled, statSignature, writeCacheFile } from './stat-signature';
import { makeDirs } from '../../make-dirs';

/** One rewritten lockfile entry, as `reproduce` records it. */
export interface PackageRewrite {
  path: string;
  from: string;
  to: string;
}

interface LockEntry {
  name?: string;
  version?: string;
  resolved?: string;
  integrity?: string;
  link?: boolean;
  dependencies?: Record<string, string>;
  [field: string]: unknown;
}
interface LockDocument {
  lockfileVersion?: number;
  packages?: Record<string, LockEntry>;
  [field: string]: unknown;
}

const isInside = (file: string, dir: string) => {
  const relative = path.relative(dir, file);
  return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative));
};

/** The package name a lockfile key installs: the part after its last `node_modules/`. */
export function nameOfKey(key: string): string {
  return key.slice(key.lastIndexOf('node_modules/') + 'node_modules/'.length);
}

export function integrityOf(bytes: Uint8Array): string {
  return `sha512-${createHash('sha512').update(bytes).digest('base64')}`;
}

/**
 * Entries a registry cannot serve: tarballs (`resolved: file:...`) anywhere, and folders
 * (`link: true`) outside `projectRoot` (a folder inside it is part of the snapshot, like a workspace).
 */
export function unpublishedEntries(
  lock: LockDocument,
  lockDir: string,
  projectRoot: string,
): { key: string; from: 'tarball' | 'folder'; resolved: string; target: string }[] {
  const found: { key: string; from: 'tarball' | 'folder'; resolved: string; target: string }[] = [];
  for (const [key, entry] of Object.entries(lock.packages ?? {})) {
    if (!key.includes('node_modules/') || typeof entry.resolved !== 'string') {
      continue;
    }
    if (entry.link) {
      const target = path.resolve(lockDir, entry.resolved);
      if (!isInside(target, projectRoot)) {
        found.push({ key, from: 'folder', resolved: entry.resolved, target });
      }
    } else if (entry.resolved.startsWith('file:')) {
      found.push({
        key,
        from: 'tarball',
        resolved: entry.resolved,
        target: path.resolve(lockDir, entry.resolved.slice('file:'.length)),
      });
    }
  }
  return found;
}

/**
 * Stores every unpublished entry as a tarball object. A folder is packed with `npm pack
 * --ignore-scripts` (its files as npm would publish them), once per change of its files' stats.
 * Returns the records and a warning for each one that could not be stored.
 */
export function storeLocalPackages(
  objects: ObjectStore,
  lock: LockDocument,
  lockDir: string,
  projectRoot: string,
  cacheDir: string | undefined,
): { packages: LocalPackage[]; warnings: string[] } {
  const packages: LocalPackage[] = [];
  const warnings: string[] = [];
  for (const { key, from, resolved, target } of unpublishedEntries(lock, lockDir, projectRoot)) {
    const entry = lock.packages![key];
    const folderEntry = from === 'folder' ? lock.packages![entry.resolved!] : undefined;
    try {
      const bytes = from === 'tarball' ? fs.readFileSync(target) : packFolder(target, cacheDir);
      const blob = objects.putSync(bytes);
      packages.push({
        path: key,
        name: folderEntry?.name ?? entry.name ?? nameOfKey(key),
        ...((folderEntry?.version ?? entry.version)
          ? { version: folderEntry?.version ?? entry.version }
          : {}),
        from,
        resolved,
        sha256: blob.sha256,
        bytes: blob.bytes,
        integrity: from === 'tarball' && entry.integrity ? entry.integrity : integrityOf(bytes),
      });
    } catch (error) {
      warnings.push(
        `${key} (${resolved}) is not on any registry and could not be stored (${(error as Error).message.split('\n')[0]}): a reproduction elsewhere cannot install it`,
      );
    }
  }
  return { packages, warnings };
}

/** The stats of every file a folder would publish (node_modules and .git aside): its cache key. */
function folderSignature(dir: string): { text: string; settledAll: boolean } {
  const hash = createHash('sha256');
  let settledAll = true;
  const walk = (at: string) => {
    for (const entry of fs
      .readdirSync(at, { withFileTypes: true })
      .sort((a, b) => (a.name < b.name ? -1 : 1))) {
      if (entry.name === 'node_modules' || entry.name === '.git') {
        continue;
      }
      const full = path.join(at, entry.name);
      if (entry.isDirectory()) {
        walk(full);
      } else {
        const signature = statSignature(full, false);
        hash.update(`${full}\0${signature.text}\n`);
        if (!settled(signature.changedNs, SETTLE_MS)) {
          settledAll = false;
        }
      }
    }
  };
  walk(dir);
  return { text: hash.digest('hex'), settledAll };
}

function packFolder(dir: string, cacheDir: string | undefined): Buffer {
  const signature = folderSignature(dir);
  const key = createHash('sha256').update(dir).digest('hex').slice(0, 24);
  const cacheFile = cacheDir ? path.join(cacheDir, `${key}.json`) : undefined;
  if (cacheFile) {
    try {
      const cached = JSON.parse(fs.readFileSync(cacheFile, 'utf8')) as { signature: string; tarball: string };
      if (cached.signature === signature.text && statSignature(cached.tarball).text !== null) {
        return fs.readFileSync(cached.tarball);
      }
    } catch {
      // not packed before, or the cache is damaged: pack it
    }
  }
  const out = fs.mkdtempSync(path.join(cacheDir ?? os.tmpdir(), 'pack-'));
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const report = execFileSync(
    npm,
    ['pack', '--ignore-scripts', '--json', '--pack-destination', out, '--loglevel=error'],
    { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const [{ filename }] = JSON.parse(report) as { filename: string }[];
  const tarball = path.join(out, filename);
  const bytes = fs.readFileSync(tarball);
  if (cacheFile && signature.settledAll) {
    writeCacheFile(cacheFile, { signature: signature.text, tarball });
  } else if (!cacheFile) {
    fs.rmSync(out, { recursive: true, force: true });
  }
  return bytes;
}

/** Where rewritten entries' tarballs are put, relative to the lockfile's directory. */
export const LOCAL_PACKAGES_DIR = '.cellflow-deps';

/** `@scope/name` → `scope-name`, for a tarball file name. */
const fileSafe = (name: string) => name.replace(/^@/, '').replace(/\//g, '-');

/**
 * Rewrites `lockDir`'s package-lock.json and package.json so every stored local package installs
 * from a copy of its tarball under `<lockDir>/.cellflow-deps/`: the entry becomes a plain `file:`
 * tarball entry with the stored integrity, a folder's own dependencies move under the package, and
 * the dependency spec in package.json (and the lockfile's root entry) follows. Returns the rewrites.
 */
export function rewriteLocalPackages(
  objects: ObjectStore,
  lockDir: string,
  packages: LocalPackage[],
): PackageRewrite[] {
  if (packages.length === 0) {
    return [];
  }
  const lockFile = path.join(lockDir, 'package-lock.json');
  const manifestFile = path.join(lockDir, 'package.json');
  const lock = JSON.parse(fs.readFileSync(lockFile, 'utf8')) as LockDocument;
  const manifest = fs.existsSync(manifestFile)
    ? (JSON.parse(fs.readFileSync(manifestFile, 'utf8')) as Record<string, unknown>)
    : undefined;
  const entries = lock.packages ?? {};
  const rewrites: PackageRewrite[] = [];
  makeDirs(path.join(lockDir, LOCAL_PACKAGES_DIR));
  for (const pkg of packages) {
    const entry = entries[pkg.path];
    if (!entry) {
      continue;
    }
    const file = `${LOCAL_PACKAGES_DIR}/${fileSafe(pkg.name)}-${pkg.version ?? '0'}-${pkg.sha256.slice(0, 12)}.tgz`;
    fs.writeFileSync(
      path.join(lockDir, ...file.split('/')),
      objects.getSync(pkg.sha256, `${pkg.path} tarball`),
    );
    const spec = `file:${file}`;
    let rewritten: LockEntry;
    if (pkg.from === 'folder') {
      const folderKey = entry.resolved!;
      const folder = entries[folderKey] ?? {};
      const { devDependencies: _dev, ...fields } = folder;
      rewritten = { ...fields, resolved: spec, integrity: pkg.integrity };
      delete entries[folderKey];
      // The folder's own installed dependencies now live under the package it became.
      for (const key of Object.keys(entries)) {
        if (key.startsWith(`${folderKey}/node_modules/`)) {
          entries[`${pkg.path}${key.slice(folderKey.length)}`] = entries[key];
          delete entries[key];
        }
      }
    } else {
      rewritten = { ...entry, resolved: spec, integrity: pkg.integrity };
    }
    delete rewritten.link;
    entries[pkg.path] = rewritten;
    // A top-level dependency is named in package.json: its spec must match the lockfile for npm ci.
    if (pkg.path === `node_modules/${pkg.name}`) {
      for (const field of ['dependencies', 'devDependencies', 'optionalDependencies']) {
        for (const target of [manifest?.[field], entries['']?.[field]] as (
          Record<string, string> | undefined
        )[]) {
          if (target && typeof target[pkg.name] === 'string') {
            target[pkg.name] = spec;
          }
        }
      }
    }
    rewrites.push({ path: pkg.path, from: pkg.resolved, to: spec });
  }
  fs.writeFileSync(lockFile, JSON.stringify(lock, null, 2) + '\n');
  if (manifest) {
    fs.writeFileSync(manifestFile, JSON.stringify(manifest, null, 2) + '\n');
  }
  return rewrites;
}
