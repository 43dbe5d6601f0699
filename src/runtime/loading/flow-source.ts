// Turns what the user passes to `cellflow run` (a notebook or an exported .flow.ts) into the three
// things a run needs: the manifest, the TypeScript module source, and JavaScript a worker can load.
import * as fs from 'fs';
import * as path from 'path';
import type { FlowManifest } from '../../core/model';
import { loadFlowModule } from './module-loader';
import { UserInputError } from '../errors';
import { typescript } from '../../core/typescript';

export interface FlowSource {
  manifest: FlowManifest;
  /** The notebook (or .flow.ts) the user named, absolute. */
  inputPath: string;
  /** Where the module virtually lives: imports in the flow resolve from this file's directory. */
  moduleFilename: string;
  typescript: string;
  javascript: string;
  /** The exact text that was read from inputPath (recorded with the run). */
  text: string;
}

/** The text of the notebook or module the user named; unreadable is bad input. */
export function readFlowInput(inputPath: string): string {
  try {
    return fs.readFileSync(path.resolve(inputPath), 'utf8');
  } catch (error) {
    throw new UserInputError(
      `${inputPath}: cannot read the file (${(error as NodeJS.ErrnoException).code ?? error}).`,
    );
  }
}

export function loadFlowSource(inputPath: string): FlowSource {
  const absolute = path.resolve(inputPath);
  const text = readFlowInput(inputPath);
  if (absolute.endsWith('.ipynb')) {
    // The manifest records the notebook path relative to its own directory, so records do not
    // depend on where the project was checked out.
    // Loaded here, not at the top: running an exported .flow.ts needs no compiler.
    const { compileNotebook } = require('../../core') as typeof import('../../core');
    const compiled = compileNotebook(text, path.basename(absolute));
    const moduleFilename = absolute.replace(/\.ipynb$/, '.flow.ts');
    return {
      manifest: compiled.manifest,
      inputPath: absolute,
      moduleFilename,
      typescript: compiled.source,
      javascript: transpile(compiled.source, moduleFilename),
      text,
    };
  }
  if (absolute.endsWith('.ts')) {
    const javascript = transpile(text, absolute);
    const module = loadFlowModule(javascript, absolute);
    if (!module.manifest || !module.steps) {
      throw new UserInputError(
        `${inputPath}: not a cellflow flow module (it must export 'steps' and 'manifest').`,
      );
    }
    return {
      manifest: module.manifest,
      inputPath: absolute,
      moduleFilename: absolute,
      typescript: text,
      javascript,
      text,
    };
  }
  throw new UserInputError(
    `${inputPath}: expected a notebook (.ipynb) or an exported flow module (.flow.ts).`,
  );
}

/** Type-stripping only: the flow is checked by lint, and workers must not pay for a type checker. */
export function transpile(source: string, filename: string): string {
  // Loaded lazily: the TypeScript compiler is slow to require and only the scheduler needs it.
  const ts = typescript();
  const out = ts.transpileModule(source, {
    fileName: filename,
    reportDiagnostics: true,
    compilerOptions: {
      module: ts.ModuleKind.CommonJS,
      target: ts.ScriptTarget.ES2022,
      esModuleInterop: true,
      inlineSourceMap: true,
      inlineSources: true,
    },
  });
  const problems = (out.diagnostics ?? []).filter((d) => d.category === ts.DiagnosticCategory.Error);
  if (problems.length > 0) {
    const first = problems[0];
    throw new UserInputError(`${filename}: ${ts.flattenDiagnosticMessageText(first.messageText, '\n')}`);
  }
  return out.outputText;
}
