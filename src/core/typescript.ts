// The TypeScript compiler API, loaded on first use: requiring it costs 0.2–0.8 s, which commands and
// code paths that never analyse cell code (the CLI's `runs`, the runtime's workers) must not pay.
// The browser extension loads it as a separate chunk and hands it over (`provideTypeScript`) before
// it analyses anything; its bundle has no `require('typescript')` here (webpack.lab.js).
import type * as TS from 'typescript';

let loaded: typeof TS | undefined;

export function provideTypeScript(ts: typeof TS): void {
  loaded = ts;
}

export function typeScriptProvided(): boolean {
  return loaded !== undefined;
}

export function typescript(): typeof TS {
  loaded ??= require('typescript') as typeof TS;
  return loaded;
}
