// Remembers what a notebook compiled to, so that running or resuming an unchanged notebook does not
// load the TypeScript compiler (on a busy machine, most of a resume's time).
// Entries live in the datastore's cache folder (cache/compiled/<key>.json; a local folder for S3) and point at the module's sources,
// which are content-addressed objects that every run stores anyway (and that are verified on read).
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import type { FlowManifest } from '../../core/model';
import type { Datastore } from '../datastore/datastore';
import { writeJsonAtomic } from '../datastore/datastore';
import { loadFlowSource, readFlowInput, type FlowSource } from './flow-source';
import { cellflowVersion, installedVersion } from '../repro/capture/package-version';
import { cacheEnabled } from '../caches';
import { TYPESCRIPT_PACKAGE } from '../../core/typescript';

interface CacheEntry {
  manifest: FlowManifest;
  typescriptSha256: string;
  javascriptSha256: string;
}

/** loadFlowSource, through the datastore's compile cache for notebooks. */
export function loadFlowSourceCached(inputPath: string, datastore: Datastore): FlowSource {
  const absolute = path.resolve(inputPath);
  if (!absolute.endsWith('.ipynb') || !cacheEnabled('compiled')) {
    return loadFlowSource(inputPath);
  }
  const text = readFlowInput(inputPath);
  const file = path.join(datastore.cacheDir, 'compiled', `${cacheKey(absolute, text)}.json`);
  const hit = readEntry(file, datastore);
  if (hit) {
    return {
      manifest: hit.entry.manifest,
      inputPath: absolute,
      moduleFilename: absolute.replace(/\.ipynb$/, '.flow.ts'),
      typescript: hit.typescript,
      javascript: hit.javascript,
      text,
    };
  }
  const source = loadFlowSource(inputPath);
  try {
    const entry: CacheEntry = {
      manifest: source.manifest,
      typescriptSha256: datastore.objects.putSync(Buffer.from(source.typescript)).sha256,
      javascriptSha256: datastore.objects.putSync(Buffer.from(source.javascript)).sha256,
    };
    // Not fsynced: a cache entry lost or torn in a crash is only a miss.
    writeJsonAtomic(file, entry, false);
  } catch {
    // A cache that cannot be written (read-only or full datastore) only costs the next compile.
  }
  return source;
}

function readEntry(
  file: string,
  datastore: Datastore,
): { entry: CacheEntry; typescript: string; javascript: string } | undefined {
  try {
    const entry = JSON.parse(fs.readFileSync(file, 'utf8')) as CacheEntry;
    return {
      entry,
      typescript: datastore.objects.getSync(entry.typescriptSha256).toString('utf8'),
      javascript: datastore.objects.getSync(entry.javascriptSha256).toString('utf8'),
    };
  } catch {
    return undefined; // no entry, a torn one, or a missing/damaged object: compile again
  }
}

/**
 * The notebook's bytes and path (the module's file name is in its source map), and what compiled
 * it: cellflow's and TypeScript's versions and the build of cellflow's compiler (its files' sizes and
 * times), so that a rebuilt cellflow never reuses an old compilation.
 */
function cacheKey(absolute: string, text: string): string {
  const hash = createHash('sha256');
  hash.update(`${cellflowVersion()}\0${installedVersion(TYPESCRIPT_PACKAGE) ?? ''}\0${compilerBuild()}\0`);
  hash.update(`${absolute}\0`);
  hash.update(text);
  return hash.digest('hex');
}

let build: string | undefined;

function compilerBuild(): string {
  if (build !== undefined) {
    return build;
  }
  const core = path.join(__dirname, '..', '..', 'core');
  try {
    build = fs
      .readdirSync(core)
      .sort()
      .map((name) => {
        const stat = fs.statSync(path.join(core, name));
        return `${name}:${stat.size}:${stat.mtimeMs}`;
      })
      .join('/');
  } catch {
    build = 'unknown';
  }
  return build;
}
