// `import { f } from './helpers'` where helpers.ts sits beside the notebook: Node cannot load
// TypeScript, so `.ts` files get a require hook that transpiles them with the TypeScript compiler
// (CommonJS, the same target as the flow module). The output is kept under the datastore's cache by
// the source's sha256, so only the first task that imports a given version pays for loading the
// compiler; later tasks read the JavaScript.
import { createHash } from 'crypto';
import * as fs from 'fs';
import Module = require('module');
import * as path from 'path';
import { makeDirs } from '../make-dirs';
import { cacheEnabled } from '../caches';
import { typescript } from '../../core/typescript';

interface CompilingModule extends NodeJS.Module {
  _compile(code: string, filename: string): unknown;
}
type Loader = (module: CompilingModule, filename: string) => void;
const extensions = (Module as unknown as { _extensions: Record<string, Loader> })._extensions;

let cacheDir: string | undefined;

export function enableLocalTypeScript(transpileCacheDir?: string): void {
  if (transpileCacheDir && cacheEnabled('transpiled')) {
    cacheDir = transpileCacheDir;
  }
  // ts-node, tsx or jest may have installed their own loader: theirs stays.
  for (const ext of ['.ts', '.mts', '.cts', '.tsx']) {
    if (!extensions[ext]) {
      extensions[ext] = (module, filename) => module._compile(transpiled(filename), filename);
    }
  }
}

function transpiled(filename: string): string {
  const source = fs.readFileSync(filename, 'utf8');
  const key = createHash('sha256').update(filename).update('\0').update(source).digest('hex');
  const cached = cacheDir ? path.join(cacheDir, `${key}.js`) : undefined;
  if (cached && fs.existsSync(cached)) {
    return fs.readFileSync(cached, 'utf8');
  }
  const ts = typescript();
  const output = ts.transpileModule(source, {
    fileName: filename,
    compilerOptions: {
      module: ts.ModuleKind.CommonJS,
      target: ts.ScriptTarget.ES2022,
      esModuleInterop: true,
      inlineSourceMap: true,
      jsx: ts.JsxEmit.React,
    },
  }).outputText;
  if (cached) {
    try {
      makeDirs(path.dirname(cached));
      const temp = `${cached}.${process.pid}.tmp`;
      fs.writeFileSync(temp, output);
      fs.renameSync(temp, cached);
    } catch {
      // A cache that cannot be written only costs the next task a transpile.
    }
  }
  return output;
}
