// The local backend's one way to write a file: temp file in the same folder + fsync + rename, so a
// reader sees the old content or the new, never half of it. `exclusive` publishes with link(), which
// fails when the target exists: a create-only write (S3's If-None-Match: *) that cannot race.
import { randomBytes } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { makeDirs } from '../make-dirs';

export interface AtomicWriteOptions {
  /** false: skip the fsync (the caller makes the file durable later). */
  sync?: boolean;
  /** Fail with EEXIST instead of replacing an existing file. */
  exclusive?: boolean;
  /** Folder for the temp file (default: the target's); must be on the same filesystem. */
  tempDir?: string;
}

export function writeFileAtomic(
  file: string,
  content: Uint8Array | string | Iterable<Uint8Array>,
  options: AtomicWriteOptions = {},
): void {
  const dir = path.dirname(file);
  makeDirs(dir);
  const tempDir = options.tempDir ?? dir;
  if (tempDir !== dir) {
    makeDirs(tempDir);
  }
  // Beside the target: a hidden name; in a temp folder (objects/.tmp): the writer's pid first.
  const temp =
    tempDir === dir
      ? path.join(dir, `.${path.basename(file)}.${process.pid}-${randomBytes(6).toString('hex')}.tmp`)
      : path.join(tempDir, `${process.pid}-${randomBytes(8).toString('hex')}`);
  const fd = fs.openSync(temp, 'wx');
  try {
    try {
      if (typeof content === 'string' || content instanceof Uint8Array) {
        writeFully(fd, content);
      } else {
        for (const chunk of content) {
          writeFully(fd, chunk);
        }
      }
      if (options.sync !== false) {
        fs.fsyncSync(fd);
      }
    } finally {
      fs.closeSync(fd);
    }
    if (options.exclusive) {
      fs.linkSync(temp, file); // EEXIST when another writer got there first
      fs.rmSync(temp, { force: true });
    } else {
      fs.renameSync(temp, file);
    }
  } catch (error) {
    fs.rmSync(temp, { force: true }); // a half-written temp file is never left behind
    throw error;
  }
}

/** JSON records, pretty-printed as they always were. */
export function writeJsonAtomic(file: string, value: unknown, sync = true): void {
  writeFileAtomic(file, JSON.stringify(value, null, 2) + '\n', { sync });
}

function writeFully(fd: number, data: Uint8Array | string): void {
  if (typeof data === 'string') {
    fs.writeFileSync(fd, data);
    return;
  }
  let offset = 0;
  while (offset < data.byteLength) {
    offset += fs.writeSync(fd, data, offset, data.byteLength - offset);
  }
}
