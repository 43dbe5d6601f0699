// Which files of the built labextension JupyterLab fetches before it can activate the extension: the
// remoteEntry, the chunks its exposed modules (`./extension`, `./mimeExtension`, `./style`) load, and the fallback
// chunks of any shared module those chunks consume eagerly (how the TypeScript compiler used to arrive).
// Read from webpack's runtime in remoteEntry.*.js, whose shapes are checked so a change of the builder
// fails loudly instead of counting nothing.
import * as fs from 'fs';
import * as path from 'path';

export interface InitialChunks {
  remoteEntry: string;
  /** File name → bytes, the remoteEntry included. */
  files: Map<string, number>;
  /** Every chunk file in static/ that is not initial (loaded on demand). */
  lazy: Map<string, number>;
}

function chunkIdsIn(text: string): string[] {
  return [...text.matchAll(/\.e\((\d+|"[^"]+")\)/g)].map((m) => m[1].replace(/"/g, ''));
}

function objectLiteral(source: string, from: number): string {
  // The `{...}` starting at `from` (webpack's maps hold no strings with braces).
  let depth = 0;
  for (let i = from; i < source.length; i++) {
    if (source[i] === '{') {
      depth++;
    } else if (source[i] === '}' && --depth === 0) {
      return source.slice(from, i + 1);
    }
  }
  throw new Error('unbalanced object literal in remoteEntry');
}

export function initialChunks(staticDir: string): InitialChunks {
  const entries = fs.readdirSync(staticDir).filter((f) => /^remoteEntry\.[0-9a-f]+\.js$/.test(f));
  if (entries.length !== 1) {
    throw new Error(`expected one remoteEntry in ${staticDir}, found ${entries.length}`);
  }
  const remoteEntry = entries[0];
  const source = fs.readFileSync(path.join(staticDir, remoteEntry), 'utf8');

  // Chunk id → file: `r.u=e=>(({22:"typescript",639:"elk"}[e]||e)+"."+{22:"ca27...",...}[e]+".js..."`.
  const naming = /\.u=\w+=>\(\(\{([^}]*)\}\[\w+\]\|\|\w+\)\+"\."\+\{([^}]*)\}\[\w+\]\+"\.js/.exec(source);
  if (!naming) {
    throw new Error('chunk file naming not found in remoteEntry');
  }
  const names = new Map([...naming[1].matchAll(/(\d+):"([^"]+)"/g)].map((m) => [m[1], m[2]]));
  const hashes = new Map(
    [...naming[2].matchAll(/(\d+|"[^"]+"):"([0-9a-f]+)"/g)].map((m) => [m[1].replace(/"/g, ''), m[2]]),
  );
  const fileOf = (id: string) => `${names.get(id) ?? id}.${hashes.get(id)}.js`;

  const initial = new Set<string>();
  for (const expose of ['./extension', './mimeExtension', './style']) {
    const m = new RegExp(`"${expose.replace('.', '\\.')}":\\(\\)=>(.*?)\\.then\\(`).exec(source);
    if (!m) {
      throw new Error(`exposed module ${expose} not found in remoteEntry`);
    }
    chunkIdsIn(m[1]).forEach((id) => initial.add(id));
  }
  if (initial.size === 0) {
    throw new Error('no initial chunk found in remoteEntry');
  }

  // Eager consumes: `{479:[230,307,...],700:[1247]},y={};r.f.consumes=` maps a chunk to the shared
  // modules it needs before it runs; each module's loader may name fallback chunks (`r.e(22)`).
  const consumesAt = source.indexOf('.f.consumes=');
  if (consumesAt < 0) {
    throw new Error('consumes runtime not found in remoteEntry');
  }
  const mapStart = source.lastIndexOf('={', source.lastIndexOf('={', consumesAt) - 1) + 1;
  const chunkToModules = objectLiteral(source, mapStart);
  const consumed = new Set<string>();
  for (const m of chunkToModules.matchAll(/(\d+):\[([\d,]*)\]/g)) {
    if (initial.has(m[1])) {
      m[2].split(',').forEach((id) => consumed.add(id));
    }
  }
  if (consumed.size === 0) {
    throw new Error("no consumed shared module found (the extension uses JupyterLab's)");
  }
  for (const id of consumed) {
    const loader = new RegExp(`[{,]${id}:\\(\\)=>\\w\\("default",.*?\\)\\)?(?=,\\d+:\\(\\)=>|\\})`).exec(
      source,
    );
    if (!loader) {
      throw new Error(`loader of consumed module ${id} not found in remoteEntry`);
    }
    chunkIdsIn(loader[0]).forEach((c) => initial.add(c));
  }

  const files = new Map<string, number>([[remoteEntry, fs.statSync(path.join(staticDir, remoteEntry)).size]]);
  for (const id of initial) {
    files.set(fileOf(id), fs.statSync(path.join(staticDir, fileOf(id))).size);
  }
  const lazy = new Map<string, number>();
  for (const f of fs.readdirSync(staticDir)) {
    if (f.endsWith('.js') && !files.has(f) && f !== 'style.js') {
      lazy.set(f, fs.statSync(path.join(staticDir, f)).size);
    }
  }
  return { remoteEntry, files, lazy };
}

export function totalBytes(files: Map<string, number>): number {
  return [...files.values()].reduce((a, b) => a + b, 0);
}
