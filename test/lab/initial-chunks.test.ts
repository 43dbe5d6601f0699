// The extension's first-load budget: what JupyterLab must fetch before it shows a notebook. The
// TypeScript compiler (~9 MB) and elkjs (~1.5 MB) are loaded on demand (src/lab/lazy-chunks.ts); this
// fails when either comes back into the initial chunks or those grow past the budget. Bytes of the
// built files, not timings (the time to the first notebook is bench/lab-first-load.js).
import * as path from 'path';
import { ensureLabextensionBuilt, LABEXTENSION } from '../e2e/lab-server';
import { initialChunks, totalBytes } from './initial-chunks';

/** 167 KB when the compiler and elk went lazy; they were 10.8 MB before. */
const INITIAL_BUDGET_BYTES = 256 * 1024;

test('the initial chunks stay small and leave the TypeScript compiler and elkjs to load on demand', () => {
  ensureLabextensionBuilt();
  const { files, lazy } = initialChunks(path.join(LABEXTENSION, 'static'));
  const initialNames = [...files.keys()];
  expect(initialNames.filter((f) => /^(typescript|elk)\./.test(f))).toEqual([]);
  // Both are still built, as chunks of their own that something can load.
  const lazyNames = [...lazy.keys()];
  expect(lazyNames.filter((f) => /^typescript\./.test(f))).toHaveLength(1);
  expect(lazyNames.filter((f) => /^elk\./.test(f))).toHaveLength(1);
  expect(lazy.get(lazyNames.find((f) => f.startsWith('typescript.'))!)).toBeGreaterThan(5_000_000);
  const total = totalBytes(files);
  if (total > INITIAL_BUDGET_BYTES) {
    throw new Error(
      `initial chunks are ${total} bytes, over the ${INITIAL_BUDGET_BYTES}-byte budget: ${JSON.stringify([...files])}`,
    );
  }
}, 180_000);
