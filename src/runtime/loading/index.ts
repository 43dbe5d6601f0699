// Loading a flow's code: a notebook or .flow.ts compiled (and cached) into a module a task can run,
// the check that its imports resolve, and the TypeScript compiler's code cache.
export { loadFlowSourceCached } from './compile-cache';
export { unresolvedImports, withImportChecks } from './import-check';
export { cacheTypeScriptCode } from './typescript-code-cache';
