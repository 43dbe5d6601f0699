// How a task's fresh thread or process loads the runtime. Every task starts in a new isolate that
// must load the runtime's code anew: as ~40 modules, resolving, reading and compiling each one costs
// more than the task itself. The build bundles each entry into one file beside it
// (scripts/bundle-task-code.js), which loads here compiled from V8's code cache. Without a bundle (a
// build that stopped after tsc) or with CELLFLOW_NO_CACHE=code, the same code loads as modules.
import * as fs from 'fs';
import Module = require('module');
import * as path from 'path';
import { cacheEnabled } from '../caches';
import { compileWithCodeCache } from '../loading/v8-code-cache';

/** Runs entry module `name` of this folder: its bundle when the build made one, else the module. */
export function runBundledEntry(name: string): void {
  const bundle = path.join(__dirname, `${name}.bundle.js`);
  if (!fs.existsSync(bundle)) {
    require(path.join(__dirname, `${name}.js`));
    return;
  }
  if (!cacheEnabled('code')) {
    require(bundle);
    return;
  }
  const module = new Module(bundle, undefined);
  module.filename = bundle;
  compileWithCodeCache(module, bundle);
}
