// The project's own modules a flow imports (`./helpers`, `../lib/features.ts`), followed transitively,
// so the snapshot and the code package hold them even when git ignores them. Found by scanning import
// and require specifiers that start with '.' (not by loading anything: capture must not run user code,
// and loading the TypeScript compiler for this would cost every run its load time).
import * as fs from 'fs';
import * as path from 'path';

const SPECIFIERS = [
  /\bfrom\s*['"](\.{1,2}\/[^'"]*|\.{1,2})['"]/g,
  /\bimport\s*['"](\.{1,2}\/[^'"]*)['"]/g,
  /\b(?:require|import)\s*\(\s*['"](\.{1,2}\/[^'"]*|\.{1,2})['"]\s*\)/g,
  /\bimport\s+\w+\s*=\s*require\s*\(\s*['"](\.{1,2}\/[^'"]*)['"]\s*\)/g,
];
const EXTENSIONS = ['.ts', '.tsx', '.mts', '.cts', '.js', '.mjs', '.cjs', '.json'];
const SCANNED = /\.(ts|tsx|mts|cts|js|mjs|cjs)$/;

function isFile(file: string): boolean {
  try {
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

/** How Node (and TypeScript's `.js`-for-`.ts` convention) would resolve a relative specifier. */
export function resolveLocal(from: string, specifier: string): string | undefined {
  const base = path.resolve(path.dirname(from), specifier);
  const candidates = [base, ...EXTENSIONS.map((ext) => base + ext)];
  const js = /\.(c|m)?js$/.exec(base);
  if (js) {
    candidates.push(base.slice(0, -js[0].length) + `.${js[1] ?? ''}ts`);
  }
  candidates.push(...EXTENSIONS.map((ext) => path.join(base, `index${ext}`)));
  return candidates.find(isFile);
}

export function relativeSpecifiers(code: string): string[] {
  const found = new Set<string>();
  for (const pattern of SPECIFIERS) {
    for (const match of code.matchAll(pattern)) {
      found.add(match[1]);
    }
  }
  return [...found];
}

/**
 * Every local file `code` (living at `filename`) imports, directly or through other local files;
 * absolute paths, sorted. Packages (bare specifiers) are the lockfile's business.
 */
export function localModules(filename: string, code: string): string[] {
  const seen = new Set<string>();
  const queue: { file: string; code: string }[] = [{ file: filename, code }];
  while (queue.length > 0) {
    const { file, code: text } = queue.shift()!;
    for (const specifier of relativeSpecifiers(text)) {
      const resolved = resolveLocal(file, specifier);
      if (!resolved || seen.has(resolved) || resolved.split(path.sep).includes('node_modules')) {
        continue;
      }
      seen.add(resolved);
      if (SCANNED.test(resolved)) {
        queue.push({ file: resolved, code: fs.readFileSync(resolved, 'utf8') });
      }
    }
  }
  return [...seen].sort();
}
