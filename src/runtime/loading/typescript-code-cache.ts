// A V8 code cache for the TypeScript compiler (v8-code-cache.ts). Compiling typescript.js (9 MB) is
// most of what `cellflow lint`/`export`, and `run` of a changed notebook, spend before doing any work.
import Module = require('module');
import { cacheEnabled } from '../caches';
import { compileWithCodeCache } from './v8-code-cache';
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
      compileWithCodeCache(module, filename);
    } catch {
      original.call(this, module, filename); // an unreadable cache folder must never stop a command
    }
  };
}
