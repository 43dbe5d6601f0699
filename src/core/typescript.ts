// The TypeScript compiler API, loaded on first use: requiring it is slow, which commands and
// code paths that never analyse cell code (the CLI's `runs`, the runtime's workers) must not pay.
// In Node it is tslab's own build of TypeScript (`@tslab/typescript-for-tslab`, the version tslab
// pins): the package then carries one compiler, not two (23 MB less to install), and the kernel, which
// has tslab's loaded already, does not load a second one to analyse cells.
// The browser extension loads it as a separate chunk and hands it over (`provideTypeScript`) before
// it analyses anything; its bundle has no `require` of the compiler here (webpack.lab.js).
import type * as TS from 'typescript';

/** The npm package the compiler is loaded from in Node (a dependency of cellflow and of tslab). */
export const TYPESCRIPT_PACKAGE = '@tslab/typescript-for-tslab';

let loaded: typeof TS | undefined;

export function provideTypeScript(ts: typeof TS): void {
  loaded = ts;
}

export function typeScriptProvided(): boolean {
  return loaded !== undefined;
}

export function typescript(): typeof TS {
  // A literal request (not TYPESCRIPT_PACKAGE), so that webpack.lab.js can alias it away.
  loaded ??= require('@tslab/typescript-for-tslab') as typeof TS;
  return loaded;
}
