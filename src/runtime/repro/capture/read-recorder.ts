// Which files a step reads: Node's `fs` functions are wrapped once per process, and while a recording
// is open every path given to a read (sync, callback and promise forms, streams, open, readdir, copy)
// is noted, as is every path written (a file a task writes and reads back is its output, not an input).
// Only paths are noted here, at no cost to the read itself; data-inputs.ts hashes them afterwards.
// The module object itself (`import * as` would hand over a copy made of getters, not assignable).
import fs = require('fs');
import { syncBuiltinESMExports } from 'module';
import * as path from 'path';
import { fileURLToPath } from 'url';

export interface ReadLog {
  /** Absolute paths of files opened for reading. */
  files: Set<string>;
  /** Absolute paths of directories listed. */
  directories: Set<string>;
  /** Absolute paths written, created or appended to. */
  written: Set<string>;
}

let active: ReadLog | undefined;
let installed = false;

/** The absolute path a `fs` path argument names; undefined for file descriptors and FileHandles. */
function pathOf(value: unknown): string | undefined {
  if (typeof value === 'string') {
    return path.resolve(value);
  }
  if (Buffer.isBuffer(value)) {
    return path.resolve(value.toString('utf8'));
  }
  if (value instanceof URL) {
    return value.protocol === 'file:' ? fileURLToPath(value) : undefined;
  }
  return undefined;
}

const WRITE_FLAGS =
  fs.constants.O_WRONLY | fs.constants.O_RDWR | fs.constants.O_APPEND | fs.constants.O_TRUNC;

/** True when `open` flags ('w', 'a+', O_WRONLY...) may change the file. */
function writes(flags: unknown): boolean {
  if (typeof flags === 'string') {
    return /[wa+]/.test(flags);
  }
  if (typeof flags === 'number') {
    return (flags & WRITE_FLAGS) !== 0;
  }
  return false;
}

/** The `flag`/`flags` option of readFile/createReadStream-style calls. */
function optionFlags(options: unknown): unknown {
  if (options && typeof options === 'object') {
    return (options as { flag?: unknown; flags?: unknown }).flag ?? (options as { flags?: unknown }).flags;
  }
  return undefined;
}

function note(kind: 'read' | 'list' | 'write', value: unknown): void {
  if (!active) {
    return;
  }
  const file = pathOf(value);
  if (!file) {
    return;
  }
  if (kind === 'list') {
    active.directories.add(file);
  } else if (kind === 'write') {
    active.written.add(file);
  } else {
    active.files.add(file);
  }
}

type Target = Record<string, unknown>;

/** Replaces `target[name]` by a function that first notes its arguments, keeping `this` and the result. */
function wrap(target: Target, name: string, record: (args: unknown[]) => void): void {
  const original = target[name];
  if (typeof original !== 'function') {
    return;
  }
  const wrapped = function (this: unknown, ...args: unknown[]) {
    if (active) {
      record(args);
    }
    return (original as (...a: unknown[]) => unknown).apply(this, args);
  };
  // util.promisify(fs.readFile) and friends keep working: their custom forms are carried over.
  Object.defineProperties(wrapped, Object.getOwnPropertyDescriptors(original));
  target[name] = wrapped;
}

function install(): void {
  if (installed) {
    return;
  }
  installed = true;
  const sync = fs as unknown as Target;
  const promises = fs.promises as unknown as Target;
  for (const target of [sync, promises]) {
    const suffixes = target === sync ? ['', 'Sync'] : [''];
    for (const suffix of suffixes) {
      wrap(target, `readFile${suffix}`, ([file, options]) =>
        note(writes(optionFlags(options)) ? 'write' : 'read', file),
      );
      wrap(target, `open${suffix}`, ([file, flags]) => note(writes(flags) ? 'write' : 'read', file));
      wrap(target, `readdir${suffix}`, ([dir]) => note('list', dir));
      wrap(target, `opendir${suffix}`, ([dir]) => note('list', dir));
      wrap(target, `copyFile${suffix}`, ([from, to]) => {
        note('read', from);
        note('write', to);
      });
      wrap(target, `writeFile${suffix}`, ([file]) => note('write', file));
      wrap(target, `appendFile${suffix}`, ([file]) => note('write', file));
    }
  }
  wrap(sync, 'createReadStream', ([file, options]) =>
    note(writes(optionFlags(options)) ? 'write' : 'read', file),
  );
  wrap(sync, 'createWriteStream', ([file]) => note('write', file));
  // ES modules that imported `fs` by name see the wrapped functions too.
  syncBuiltinESMExports();
}

export function emptyReadLog(): ReadLog {
  return { files: new Set(), directories: new Set(), written: new Set() };
}

/**
 * Starts noting every path read in this process into `log` (a new one by default: the kernel adds
 * a step's later cells to the log of its first), until the returned function is called.
 */
export function recordReads(log: ReadLog = emptyReadLog()): () => ReadLog {
  install();
  active = log;
  return () => {
    if (active === log) {
      active = undefined;
    }
    return log;
  };
}
