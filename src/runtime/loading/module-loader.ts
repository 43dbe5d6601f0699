// Loads compiled flow JavaScript as a CommonJS module that lives, virtually, beside the notebook:
// `import ... from 'apache-arrow'` in a cell resolves from the notebook's project, as it does in the
// kernel; `import ... from 'cellflow'` falls back to the running cellflow when the project has no copy
// of its own (the kernel maps it the same way); and a local `./helpers.ts` beside the notebook loads,
// transpiled by the TypeScript compiler (local-typescript.ts).
import Module = require('module');
import * as path from 'path';
import type { FlowModule } from '../../core/model';
import { enableLocalTypeScript } from './local-typescript';

interface InternalModule extends Module {
  _compile(code: string, filename: string): unknown;
}
const ModuleCtor = Module as unknown as {
  new (id: string, parent?: Module): InternalModule;
  _nodeModulePaths(dir: string): string[];
};

const isCellflow = (id: string): boolean => id === 'cellflow' || id.startsWith('cellflow/');

/** Stack frames in it point at the compiled lines: the task runner maps them (stack-mapping.ts) on failure. */
export function loadFlowModule(
  javascript: string,
  filename: string,
  options: { transpileCacheDir?: string } = {},
): FlowModule {
  enableLocalTypeScript(options.transpileCacheDir);
  const module = new ModuleCtor(filename);
  module.filename = filename;
  module.paths = ModuleCtor._nodeModulePaths(path.dirname(filename));
  const ownRequire = module.require.bind(module);
  module.require = ((id: string) => {
    if (!isCellflow(id)) {
      return ownRequire(id);
    }
    try {
      return ownRequire(id);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'MODULE_NOT_FOUND') {
        throw error;
      }
      return require(resolveCellflow(id));
    }
  }) as typeof module.require;
  module._compile(javascript, filename);
  return module.exports as FlowModule;
}

/** `cellflow` or `cellflow/core` as this package provides it (its own name, through its `exports`). */
export function resolveCellflow(id: string): string {
  return require.resolve(id, { paths: [path.resolve(__dirname, '..', '..', '..')] });
}

/** Bare module names a flow imports, so a warm worker can load them before it knows its task. */
export function importedModules(javascript: string): string[] {
  const names = new Set<string>();
  for (const match of javascript.matchAll(/\brequire\("([^"./][^"]*)"\)/g)) {
    names.add(match[1]);
  }
  return [...names];
}

/** Loads the flow's imports into the require cache; a failure here is reported by the task itself. */
export function preloadImports(javascript: string, filename: string): void {
  const requireFromFlow = Module.createRequire(filename);
  for (const name of importedModules(javascript)) {
    try {
      requireFromFlow(name);
    } catch {
      // The task will require it again and report the error with the cell that imports it.
    }
  }
}
