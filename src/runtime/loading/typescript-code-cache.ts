// A V8 code cache for the TypeScript compiler. Compiling typescript.js (9 MB) is most of what
// `cellflow lint`/`export`, and `run` of a changed notebook, spend before doing any work. V8 can save
// the compiled code and take it back next time (Node 22 does this with module.enableCompileCache;
// Node 20 does not), which saves most of that.
//
// The cache is one file per TypeScript build, Node version and architecture, under the user's own
// cache folder (never a shared temp folder: cached code is trusted input). V8 itself rejects data
// from another V8 version or flags; a rejected or missing cache is written afresh when the process
// exits, after the compiler has run, so that the functions it actually used are in it.
import * as fs from 'fs';
import Module = require('module');
import * as os from 'os';
import * as path from 'path';
import * as vm from 'vm';
import { makeDirs } from '../make-dirs';
import { cacheEnabled } from '../caches';
import { TYPESCRIPT_PACKAGE } from '../../core/typescript';

type Loader = (module: Module, filename: string) => void;
const extensions = (Module as unknown as { _extensions: Record<string, Loader> })._extensions;

let installed = false;

/** From now on, the first load of the TypeScript compiler in this process goes through the code cache. */
export function cacheTypeScriptCode(): void {
  if (installed || !cacheEnabled('code')) {
    return;
  }
  installed = true;
  let target: string;
  try {
    target = require.resolve(TYPESCRIPT_PACKAGE);
  } catch {
    return; // not installed here: nothing to speed up
  }
  const original = extensions['.js'];
  extensions['.js'] = function loadJs(this: unknown, module: Module, filename: string) {
    if (filename !== target) {
      return original.call(this, module, filename);
    }
    extensions['.js'] = original; // typescript.js is loaded once; leave the loader as it was
    try {
      compileWithCache(module, filename);
    } catch {
      original.call(this, module, filename); // an unreadable cache folder must never stop a command
    }
  };
}

export function codeCacheFile(filename: string): string {
  const stat = fs.statSync(filename);
  const base = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  const key = `${path.basename(filename, '.js')}-${stat.size}-${Math.floor(stat.mtimeMs)}-${process.version}-${process.arch}`;
  return path.join(base, 'cellflow', 'v8', `${key}.bin`);
}

function compileWithCache(module: Module, filename: string): void {
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
    const temp = `${cacheFile}.${process.pid}.tmp`;
    fs.writeFileSync(temp, script.createCachedData(), { mode: 0o600 });
    fs.renameSync(temp, cacheFile);
  } catch {
    // A cache that cannot be written only costs the next process the compile.
  }
}
