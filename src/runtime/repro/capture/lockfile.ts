// The project's pinned dependency list: package-lock.json stored with the run, and any drift
// between it and what node_modules actually holds (`npm ls` exits 0 on a changed integrity, so the
// comparison is done here against each package.json and npm's hidden lockfile).
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import type { ObjectStore } from '../../datastore/objects';
import type { DriftEntry, DriftRecord, LockfileRecord } from '../../records';
import { driftSummary } from '../../../core/drift-summary';
import { UserInputError } from '../../errors';
import { storeLocalPackages } from './local-packages';
import { PackageContents } from './package-contents';
import { StatCache } from './stat-cache';

interface LockEntry {
  version?: string;
  resolved?: string;
  integrity?: string;
  link?: boolean;
  optional?: boolean;
  dev?: boolean;
  dependencies?: Record<string, LockV1Dependency> | Record<string, string>;
}
interface LockV1Dependency extends LockEntry {
  dependencies?: Record<string, LockV1Dependency>;
}
interface Lockfile {
  name?: string;
  version?: string;
  lockfileVersion?: number;
  packages?: Record<string, LockEntry>;
  dependencies?: Record<string, LockV1Dependency>;
}

/** package-lock.json from `start` upward, not above `stop` (the git root) when given. */
export function findLockfile(start: string, stop?: string): string | undefined {
  for (let dir = path.resolve(start); ; dir = path.dirname(dir)) {
    const file = path.join(dir, 'package-lock.json');
    if (fs.existsSync(file)) {
      return file;
    }
    if ((stop && path.resolve(stop) === dir) || dir === path.dirname(dir)) {
      return undefined;
    }
  }
}

/**
 * Stores the lockfile (or one derived from node_modules) and checks node_modules against it.
 * `projectDir` is where node_modules is expected when there is no lockfile; `cacheFile` is where the
 * drift check remembers installed package.json files between runs.
 */
export async function captureLockfile(
  objects: ObjectStore,
  lockfilePath: string | undefined,
  projectDir: string,
  cacheFile?: string,
  options: {
    projectRoot?: string;
    packCacheDir?: string;
    contents?: boolean;
    /** Bare module names the flow imports: deep drift checks them and what they depend on. */
    imports?: string[];
  } = {},
): Promise<{ record: LockfileRecord; bytes: Buffer; warnings: string[] }> {
  if (lockfilePath) {
    const bytes = await fs.promises.readFile(lockfilePath);
    let lock: Lockfile;
    try {
      lock = JSON.parse(bytes.toString('utf8')) as Lockfile;
    } catch (error) {
      throw new UserInputError(
        `${lockfilePath}: not valid JSON (${(error as Error).message}); run npm install to rewrite it.`,
      );
    }
    const root = path.dirname(lockfilePath);
    const packages = lockedPackages(lock);
    const blob = await objects.put(bytes);
    const installed = new StatCache(cacheFile);
    const drift = await driftOf(root, packages, installed);
    installed.save();
    const contents =
      options.contents === false
        ? undefined
        : await contentDrift(
            objects,
            root,
            packages,
            drift,
            options.imports && dependencyClosure(packages, options.imports),
          );
    const local = lock.packages
      ? storeLocalPackages(
          objects,
          lock as Parameters<typeof storeLocalPackages>[1],
          root,
          options.projectRoot ?? root,
          options.packCacheDir,
        )
      : { packages: [], warnings: [] };
    return {
      bytes,
      warnings: [...(driftWarning(drift) ? [driftWarning(drift)!] : []), ...local.warnings],
      record: {
        path: 'package-lock.json',
        sha256: blob.sha256,
        bytes: blob.bytes,
        lockfileVersion: lock.lockfileVersion ?? 1,
        derived: false,
        packages: countInstallable(packages),
        drift,
        ...(local.packages.length > 0 ? { localPackages: local.packages } : {}),
        ...(contents ? { contents } : {}),
      },
    };
  }
  const derived = await deriveLockfile(projectDir);
  const bytes = Buffer.from(JSON.stringify(derived, null, 2) + '\n');
  const blob = await objects.put(bytes);
  return {
    bytes,
    warnings: [],
    record: {
      path: null,
      sha256: blob.sha256,
      bytes: blob.bytes,
      lockfileVersion: 3,
      derived: true,
      note: `no package-lock.json from the notebook's directory upward: the dependency list was derived from ${path.join(projectDir, 'node_modules')} (npm ci cannot install from it exactly; commit a package-lock.json)`,
      packages: countInstallable(derived.packages ?? {}),
      drift: { checked: false, changed: [], missing: [], extraneous: [] },
    },
  };
}

/**
 * Adds deep drift to `drift`: packages whose files differ from their baseline (package-contents.ts)
 * under an unchanged version. Returns every installed package's content hash, stored as one object.
 */
async function contentDrift(
  objects: ObjectStore,
  root: string,
  packages: Record<string, LockEntry>,
  drift: DriftRecord,
  only?: Set<string>,
): Promise<{ sha256: string; packages: number } | undefined> {
  if (!drift.checked) {
    return undefined;
  }
  const contents = PackageContents.forNodeModules(root);
  const hashes: Record<string, string> = {};
  const skip = new Set([...drift.missing, ...drift.changed].map((entry) => entry.path));
  for (const key of Object.keys(packages).sort()) {
    const locked = packages[key];
    if (!key.includes('node_modules/') || locked.link || skip.has(key) || (only && !only.has(key))) {
      continue;
    }
    const measured = contents.measure(root, key, locked.version, locked.integrity);
    if (!measured) {
      continue;
    }
    hashes[key] = measured.sha256;
    const baseline = contents.baseline(key, measured);
    if (baseline !== measured.sha256) {
      drift.changed.push({
        path: key,
        locked: pick(locked),
        installed: pick({ version: locked.version }),
        content: { baseline, installed: measured.sha256 },
      });
    }
  }
  contents.save();
  drift.changed.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const blob = await objects.put(Buffer.from(JSON.stringify(hashes)));
  return { sha256: blob.sha256, packages: Object.keys(hashes).length };
}

/**
 * The lockfile keys a flow can load: the packages it imports and, through each entry's
 * `dependencies`, everything they need (resolved as Node does: nested node_modules first, then up).
 * Hashing every installed file of every package on each run (tens of thousands of files in a
 * typical project) is too slow, and a package the flow cannot load cannot change what it computes.
 */
export function dependencyClosure(packages: Record<string, LockEntry>, imports: string[]): Set<string> {
  const found = new Set<string>();
  const resolve = (from: string, name: string): string | undefined => {
    for (let base = from; ;) {
      const key = `${base ? `${base}/` : ''}node_modules/${name}`;
      if (packages[key]) {
        return key;
      }
      if (!base) {
        return undefined;
      }
      const cut = base.lastIndexOf('/node_modules/');
      base = cut < 0 ? '' : base.slice(0, cut);
    }
  };
  const queue = imports.map((name) => resolve('', packageOf(name))).filter((k): k is string => !!k);
  while (queue.length > 0) {
    const key = queue.pop()!;
    if (found.has(key)) {
      continue;
    }
    found.add(key);
    const deps = packages[key].dependencies as Record<string, string> | undefined;
    for (const name of Object.keys(deps ?? {})) {
      const next = resolve(key, name);
      if (next && !found.has(next)) {
        queue.push(next);
      }
    }
  }
  return found;
}

/** `@scope/name/sub/path` → `@scope/name`; `name/sub` → `name`. */
function packageOf(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

/** The one line `run` prints when node_modules is not what the lockfile says. */
export function driftWarning(drift: DriftRecord): string | undefined {
  const summary = driftSummary(drift);
  return summary
    ? `node_modules drifted from package-lock.json (${summary}); npm ci restores the locked packages`
    : undefined;
}

function countInstallable(packages: Record<string, LockEntry>): number {
  return Object.keys(packages).filter((key) => key.includes('node_modules/')).length;
}

/** lockfileVersion 2 and 3 list `packages` by path; version 1 nests `dependencies`: flatten it. */
export function lockedPackages(lock: Lockfile): Record<string, LockEntry> {
  if (lock.packages) {
    return lock.packages;
  }
  const out: Record<string, LockEntry> = {};
  const walk = (deps: Record<string, LockV1Dependency> | undefined, prefix: string) => {
    for (const [name, dep] of Object.entries(deps ?? {})) {
      const key = `${prefix}node_modules/${name}`;
      out[key] = {
        version: dep.version,
        resolved: dep.resolved,
        integrity: dep.integrity,
        optional: dep.optional,
      };
      walk(dep.dependencies as Record<string, LockV1Dependency> | undefined, `${key}/`);
    }
  };
  walk(lock.dependencies, '');
  return out;
}

// Synchronous on purpose: capture runs on its own thread, and a thousand small package.json reads
// cost several times more CPU as promises (open, stat, read, close each through the thread pool).
function readJson<T>(file: string): T | undefined {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

/** What the drift check needs of an installed package.json: its version (falsy JSON stays falsy). */
const manifestVersion = (json: unknown) =>
  json ? { version: (json as { version?: string }).version } : null;

/** What it needs of npm's hidden lockfile: each entry's integrity and resolved URL. */
function hiddenEntries(json: unknown): Record<string, Pick<LockEntry, 'integrity' | 'resolved'>> {
  const entries: Record<string, Pick<LockEntry, 'integrity' | 'resolved'>> = {};
  for (const [key, entry] of Object.entries((json as Lockfile | null)?.packages ?? {})) {
    entries[key] = { integrity: entry?.integrity, resolved: entry?.resolved };
  }
  return entries;
}

/**
 * Compares every locked package with node_modules/<pkg>/package.json (version) and with npm's hidden
 * lockfile node_modules/.package-lock.json (integrity and resolved, which package.json lacks).
 * `files` reads them; a StatCache kept between runs only re-reads files whose stat changed.
 */
export async function driftOf(
  root: string,
  packages: Record<string, LockEntry>,
  files: StatCache = new StatCache(undefined),
): Promise<DriftRecord> {
  const drift: DriftRecord = { checked: false, changed: [], missing: [], extraneous: [] };
  if (!fs.existsSync(path.join(root, 'node_modules'))) {
    return drift;
  }
  drift.checked = true;
  const hidden = files.readJson(path.join(root, 'node_modules', '.package-lock.json'), hiddenEntries) ?? {};
  const keys = Object.keys(packages).filter((key) => key.includes('node_modules/'));
  for (const key of keys) {
    const locked = packages[key];
    const installedJson = files.readJson(path.join(root, key, 'package.json'), manifestVersion);
    if (!installedJson) {
      // Optional packages (platform-specific binaries) are legitimately absent.
      if (!locked.optional) {
        drift.missing.push({ path: key, locked: pick(locked) });
      }
      continue;
    }
    if (locked.link) {
      continue;
    }
    const seen = hidden[key];
    const installed = {
      version: installedJson.version,
      integrity: seen?.integrity,
      resolved: seen?.resolved,
    };
    const differs =
      installed.version !== locked.version ||
      (seen !== undefined && locked.integrity !== undefined && seen.integrity !== locked.integrity) ||
      (seen !== undefined && locked.resolved !== undefined && seen.resolved !== locked.resolved);
    if (differs) {
      drift.changed.push({ path: key, locked: pick(locked), installed: pick(installed) });
    }
  }
  const lockedKeys = new Set(keys);
  const extraneous = new Set(
    Object.keys(hidden).filter((key) => key.includes('node_modules/') && !lockedKeys.has(key)),
  );
  for (const key of await topLevelPackages(path.join(root, 'node_modules'))) {
    if (!lockedKeys.has(key)) {
      extraneous.add(key);
    }
  }
  for (const key of [...extraneous].sort()) {
    const version = files.readJson(path.join(root, key, 'package.json'), manifestVersion)?.version;
    if (version !== undefined) {
      drift.extraneous.push({ path: key, installed: { version } });
    }
  }
  const byPath = (a: DriftEntry, b: DriftEntry) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0);
  drift.changed.sort(byPath);
  drift.missing.sort(byPath);
  return drift;
}

function pick(entry: { version?: string; integrity?: string; resolved?: string }): DriftEntry['locked'] {
  const out: NonNullable<DriftEntry['locked']> = {};
  if (entry.version !== undefined) {
    out.version = entry.version;
  }
  if (entry.integrity !== undefined) {
    out.integrity = entry.integrity;
  }
  if (entry.resolved !== undefined) {
    out.resolved = entry.resolved;
  }
  return out;
}

/** `node_modules/x` and `node_modules/@scope/x` keys for the packages directly in node_modules. */
async function topLevelPackages(nodeModules: string): Promise<string[]> {
  const keys: string[] = [];
  const list = async (dir: string) => {
    try {
      return await fs.promises.readdir(dir, { withFileTypes: true });
    } catch {
      return [];
    }
  };
  for (const entry of await list(nodeModules)) {
    if (entry.name.startsWith('.')) {
      continue;
    }
    if (entry.name.startsWith('@')) {
      for (const scoped of await list(path.join(nodeModules, entry.name))) {
        if (!scoped.name.startsWith('.')) {
          keys.push(`node_modules/${entry.name}/${scoped.name}`);
        }
      }
    } else if (entry.isDirectory() || entry.isSymbolicLink()) {
      keys.push(`node_modules/${entry.name}`);
    }
  }
  return keys;
}

/**
 * A lockfileVersion 3 document describing what is installed: npm's hidden lockfile when present
 * (it is exactly that), else every package.json found under node_modules.
 */
async function deriveLockfile(projectDir: string): Promise<Lockfile> {
  const manifest = readJson<{
    name?: string;
    version?: string;
    dependencies?: Record<string, string>;
    devDependencies?: Record<string, string>;
  }>(path.join(projectDir, 'package.json'));
  const root: LockEntry & Record<string, unknown> = {};
  if (manifest?.name) {
    root.name = manifest.name;
  }
  if (manifest?.version) {
    root.version = manifest.version;
  }
  if (manifest?.dependencies) {
    root.dependencies = manifest.dependencies;
  }
  if (manifest?.devDependencies) {
    root.devDependencies = manifest.devDependencies;
  }
  const packages: Record<string, LockEntry> = { '': root };
  const hidden = readJson<Lockfile>(path.join(projectDir, 'node_modules', '.package-lock.json'));
  if (hidden?.packages) {
    for (const [key, entry] of Object.entries(hidden.packages)) {
      if (key !== '') {
        packages[key] = entry;
      }
    }
  } else {
    const walk = async (nodeModules: string, prefix: string) => {
      for (const key of await topLevelPackages(nodeModules)) {
        const full = `${prefix}${key}`;
        const json = readJson<{ version?: string }>(path.join(projectDir, full, 'package.json'));
        if (!json) {
          continue;
        }
        packages[full] = { version: json.version };
        await walk(path.join(projectDir, full, 'node_modules'), `${full}/`);
      }
    };
    await walk(path.join(projectDir, 'node_modules'), '');
  }
  const sorted: Record<string, LockEntry> = {};
  for (const key of Object.keys(packages).sort()) {
    sorted[key] = packages[key];
  }
  return { name: manifest?.name, version: manifest?.version, lockfileVersion: 3, packages: sorted };
}

export function sha256Of(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}
