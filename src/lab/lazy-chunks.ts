// The two large dependencies, loaded only when a feature first needs them: the TypeScript compiler
// (core's analysis of cell code, ~9 MB) and elkjs (DAG layout, ~1.5 MB). JupyterLab loads every
// extension's initial chunks before it shows anything, so keeping them out of those chunks is what
// lets the first notebook appear quickly.
//
// `require.ensure` is webpack's code-split point written in CommonJS: the build compiles src/lab to
// CommonJS, where tsc rewrites `import()` into a synchronous `require`, which webpack would bundle
// into the initial chunk. Under Node (jest) there is no `require.ensure`, and the modules are
// required directly. Webpack folds `typeof require.ensure` to "function", so it never sees the
// Node branch's `require` calls. webpack.lab.js aliases core's bare `require('typescript')` away and
// names the two chunks (its cacheGroups; naming them here too would split each in two).
import type * as TS from 'typescript';
import type ELK from 'elkjs/lib/elk.bundled.js';
import { provideTypeScript, typeScriptProvided } from '../core/typescript';

type Ensure = (deps: string[], ready: () => void, failed: (e: Error) => void) => void;
type WebpackRequire = typeof require & { ensure?: Ensure };

let typescriptLoading: Promise<void> | undefined;

/** Makes core's analysis usable: resolves once the TypeScript compiler is loaded and handed to core. */
export function ensureTypeScript(): Promise<void> {
  if (typeScriptProvided()) {
    return Promise.resolve();
  }
  typescriptLoading ??= new Promise<void>((resolve, reject) => {
    if (typeof (require as WebpackRequire).ensure !== 'function') {
      provideTypeScript(require('typescript') as typeof TS);
      resolve();
      return;
    }
    // The `require` inside the callback is what webpack moves into the async chunk.
    (require as WebpackRequire).ensure!(
      ['typescript/lib/typescript.js'],
      () => {
        provideTypeScript(require('typescript/lib/typescript.js') as typeof TS);
        resolve();
      },
      (error: Error) => reject(error), // a function expression, or webpack takes it for a chunk name
    );
  }).catch((error: unknown) => {
    typescriptLoading = undefined; // a failed chunk download may succeed on the next try
    throw error;
  });
  return typescriptLoading;
}

let elkLoading: Promise<typeof ELK> | undefined;

/** elkjs's layout engine (the bundled build: it lays out in-thread, no worker file to serve). */
export function loadElk(): Promise<typeof ELK> {
  elkLoading ??= new Promise<typeof ELK>((resolve, reject) => {
    if (typeof (require as WebpackRequire).ensure !== 'function') {
      resolve(require('elkjs/lib/elk.bundled.js') as typeof ELK);
      return;
    }
    (require as WebpackRequire).ensure!(
      ['elkjs/lib/elk.bundled.js'],
      () => resolve(require('elkjs/lib/elk.bundled.js') as typeof ELK),
      (error: Error) => reject(error),
    );
  }).catch((error: unknown) => {
    elkLoading = undefined;
    throw error;
  });
  return elkLoading;
}
