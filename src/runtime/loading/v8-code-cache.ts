// V8 code caches for the big scripts cellflow loads again and again: the TypeScript compiler
// (typescript-code-cache.ts) and the bundles a task's fresh thread or process starts from
// (execution/bundled-entry.ts). V8 can save the code it compiled and take it back next time (Node 22
// does this with module.enableCompileCache; Node 20 does not), which skips parsing and compiling.
//
// The cache is one file per script build, Node version and architecture, under the user's own cache
// folder (never a shared temp folder: cached code is trusted input). V8 itself rejects data from
// another V8 version or flags; a rejected or missing cache is written afresh when the process (or
// thread) exits, after the script has run, so that the functions it actually used are in it.
import * as fs from 'fs';
import Module = require('module');
import * as os from 'os';
import * as path from 'path';
import * as vm from 'vm';
import { makeDirs } from '../make-dirs';

export function codeCacheFile(filename: string): string {
  const stat = fs.statSync(filename);
  const base = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  const key = `${path.basename(filename, '.js')}-${stat.size}-${Math.floor(stat.mtimeMs)}-${process.version}-${process.arch}`;
  return path.join(base, 'cellflow', 'v8', `${key}.bin`);
}

/** Loads the CommonJS file `filename` into `module` as require would, compiled from its code cache. */
export function compileWithCodeCache(module: Module, filename: string): void {
  const cacheFile = codeCacheFile(filename);
  let cachedData: Buffer | undefined;
  try {
    cachedData = fs.readFileSync(cacheFile);
  } catch {
    cachedData = undefined;
  }
  const source = fs.readFileSync(filename, 'utf8');
  const script = new vm.Script(Module.wrap(source), { filename, cachedData });
  if (cachedData === undefined || script.cachedDataRejected) {
    process.once('exit', () => saveCache(script, cacheFile));
  }
  const wrapper = script.runInThisContext({ displayErrors: true }) as (...args: unknown[]) => void;
  const requireFromModule = Module.createRequire(filename);
  wrapper.call(module.exports, module.exports, requireFromModule, module, filename, path.dirname(filename));
}

/** Temp file + rename, so that concurrent processes never read half a cache. */
function saveCache(script: vm.Script, cacheFile: string): void {
  try {
    makeDirs(path.dirname(cacheFile), 0o700);
    const temp = `${cacheFile}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
    fs.writeFileSync(temp, script.createCachedData(), { mode: 0o600 });
    fs.renameSync(temp, cacheFile);
    pruneOlderBuilds(cacheFile);
  } catch {
    // A cache that cannot be written only costs the next process the compile.
  }
}

/** `typescript` of `typescript-<size>-<mtime>-<node>-<arch>.bin` (codeCacheFile's names). */
const scriptOf = (name: string) => name.replace(/-\d+-\d+-v[^-]+-[^-]+\.bin$/, '');

/** How many builds of one script keep their cache (a few installs side by side each keep theirs). */
const KEPT_BUILDS = 4;

/** Every rebuild or reinstall of a script gives a new cache file: the oldest ones go. */
function pruneOlderBuilds(cacheFile: string): void {
  const dir = path.dirname(cacheFile);
  const script = scriptOf(path.basename(cacheFile));
  const builds = fs
    .readdirSync(dir)
    .filter((name) => name.endsWith('.bin') && scriptOf(name) === script)
    .map((name) => ({ file: path.join(dir, name), mtimeMs: fs.statSync(path.join(dir, name)).mtimeMs }))
    .sort((a, b) => b.mtimeMs - a.mtimeMs);
  for (const old of builds.slice(KEPT_BUILDS)) {
    fs.rmSync(old.file, { force: true });
  }
}
