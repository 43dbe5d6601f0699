// Loads compiled flow JavaScript as a CommonJS module that lives, virtually, beside the notebook:
// `import ... from 'apache-arrow'` in a cell resolves from the notebook's project, as it does in the kernel.
import Module = require('module');
import * as path from 'path';
import type { FlowModule } from '../core/model';

interface InternalModule extends Module {
  _compile(code: string, filename: string): unknown;
}
const ModuleCtor = Module as unknown as {
  new (id: string, parent?: Module): InternalModule;
  _nodeModulePaths(dir: string): string[];
};

/** Stack frames in it point at the compiled lines: the task runner maps them (stack-mapping.ts) on failure. */
export function loadFlowModule(javascript: string, filename: string): FlowModule {
  const module = new ModuleCtor(filename);
  module.filename = filename;
  module.paths = ModuleCtor._nodeModulePaths(path.dirname(filename));
  module._compile(javascript, filename);
  return module.exports as FlowModule;
}

/** Bare module names a flow imports, so a warm worker can load them before it knows its task. */
export function importedModules(javascript: string): string[] {
  const names = new Set<string>();
  for (const match of javascript.matchAll(/\brequire\("([^"./][^"]*)"\)/g)) names.add(match[1]);
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
