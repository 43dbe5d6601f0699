// Makes loading isomorphic-git cheap for the provenance thread, which does it on every run while the
// run's tasks compete for the same (often two) cores. isomorphic-git hashes with sha.js, whose
// dependency chain (to-buffer → typed-array-buffer → get-intrinsic and dozens of es-shim modules)
// is slow to load; node:crypto computes the same SHA-1 natively. And it deflates through
// CompressionStream when that exists, whose web streams load Node's fetch implementation on first
// use, where its bundled pako is quicker for the few small objects a snapshot writes.
// Both changes are confined to the worker thread that calls this (its own globals and module cache).
import { createHash, type BinaryToTextEncoding, type Hash } from 'crypto';
import Module = require('module');
import * as path from 'path';

/** The slice of sha.js's SHA-1 class that isomorphic-git uses, on node:crypto. */
class NodeSha1 {
  private readonly hash: Hash = createHash('sha1');

  update(data: string | Uint8Array, encoding?: BufferEncoding): this {
    if (typeof data === 'string') {
      this.hash.update(data, encoding ?? 'utf8');
    } else {
      this.hash.update(data);
    }
    return this;
  }

  digest(encoding?: BinaryToTextEncoding): string | Buffer {
    return encoding ? this.hash.digest(encoding) : this.hash.digest();
  }
}

export function prepareFastGitLoad(): void {
  (globalThis as { CompressionStream?: unknown }).CompressionStream = undefined;
  try {
    const gitDir = path.dirname(require.resolve('isomorphic-git'));
    const target = require.resolve('sha.js/sha1.js', { paths: [gitDir] });
    if (require.cache[target]) {
      return;
    }
    const module = new Module(target, undefined);
    module.filename = target;
    module.exports = NodeSha1;
    module.loaded = true;
    require.cache[target] = module;
  } catch {
    // sha.js laid out differently: isomorphic-git loads its own, only more slowly.
  }
}
