// Lint's check that every module a notebook imports resolves from the notebook's folder, as the
// flow's task processes will resolve it (module-loader.ts: the project's node_modules, `cellflow`
// itself, a local `.ts` file). Core's lint is pure and cannot look at files; the CLI adds these.
import Module = require('module');
import * as fs from 'fs';
import * as path from 'path';
import type { CodeChunk, Diagnostic, NotebookFlow } from '../../core/model';
import { analyzeCode } from '../../core/analysis';
import { resolveCellflow } from './module-loader';

const TS_EXTENSIONS = ['.ts', '.tsx', '.mts', '.cts'];

export function unresolvedImports(flow: NotebookFlow, notebookPath: string): Diagnostic[] {
  const dir = path.dirname(path.resolve(notebookPath));
  const requireHere = Module.createRequire(path.join(dir, '__cellflow_lint__.js'));
  const chunks: { chunk: CodeChunk; step?: string }[] = [
    ...flow.prelude.map((chunk) => ({ chunk })),
    ...flow.steps.flatMap((step) => step.code.map((chunk) => ({ chunk, step: step.name }))),
  ];
  const diagnostics: Diagnostic[] = [];
  for (const { chunk, step } of chunks) {
    for (const range of analyzeCode(chunk.source).imports) {
      const specifier = moduleSpecifier(range.text);
      if (!specifier || resolves(specifier, dir, requireHere)) {
        continue;
      }
      const line = chunk.source.slice(0, range.start).split('\n').length;
      const relative = specifier.startsWith('.') || specifier.startsWith('/');
      diagnostics.push({
        severity: 'error',
        rule: 'unresolved-import',
        message: `cannot find module '${specifier}' from ${relative ? "the notebook's folder" : dir}`,
        cell: chunk.cell,
        ...(step ? { step } : {}),
        line,
        hint: relative
          ? `Put ${specifier}.ts (or .js) beside the notebook, or fix the path.`
          : `Install it in the notebook's project: npm install ${packageName(specifier)}`,
      });
    }
  }
  return diagnostics;
}

/** The module of `import ... from 'x'` or `import 'x'`; none for type-only imports (erased). */
function moduleSpecifier(text: string): string | undefined {
  if (/^\s*import\s+type\s/.test(text)) {
    return undefined;
  }
  const match = /(?:from\s*|^\s*import\s*|require\s*\(\s*)(['"])([^'"]+)\1/.exec(text);
  return match?.[2];
}

function resolves(specifier: string, dir: string, requireHere: NodeJS.Require): boolean {
  if (Module.isBuiltin(specifier)) {
    return true;
  }
  try {
    requireHere.resolve(specifier);
    return true;
  } catch {
    // fall through: cellflow itself, or a TypeScript file Node's resolver does not know
  }
  if (specifier === 'cellflow' || specifier.startsWith('cellflow/')) {
    try {
      resolveCellflow(specifier);
      return true;
    } catch {
      return false;
    }
  }
  if (!specifier.startsWith('.') && !path.isAbsolute(specifier)) {
    return false;
  }
  const base = path.resolve(dir, specifier);
  return [
    ...TS_EXTENSIONS.map((ext) => base + ext),
    ...TS_EXTENSIONS.map((ext) => path.join(base, 'index' + ext)),
  ].some((file) => fs.existsSync(file));
}

function packageName(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

/** The analysis with unresolved imports added among its diagnostics, in cell and line order. */
export function withImportChecks<A extends { flow?: NotebookFlow; diagnostics: Diagnostic[] }>(
  analysis: A,
  notebookPath: string,
): A {
  if (!analysis.flow) {
    return analysis;
  }
  const added = unresolvedImports(analysis.flow, notebookPath);
  if (added.length === 0) {
    return analysis;
  }
  const order = (d: Diagnostic) => [d.cell?.index ?? -1, d.line ?? 0];
  const diagnostics = [...analysis.diagnostics, ...added].sort((a, b) => {
    const [ca, la] = order(a);
    const [cb, lb] = order(b);
    return ca - cb || la - lb;
  });
  return { ...analysis, diagnostics };
}
