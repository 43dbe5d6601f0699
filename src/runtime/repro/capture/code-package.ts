// A run's code package: every file of its snapshot as ONE datastore object, a POSIX tar (ustar, with a
// pax header for long paths), so a task can run, and a run be reproduced, on a machine that has never
// seen the project (as Metaflow's code package). The bytes are a function of the files alone (sorted
// paths, zero times and owners), so an unchanged project yields the same object run after run.
// Written here rather than with a tar library: entries come from memory and git, and the bytes must
// be deterministic; extraction only needs the same two entry types back.
import * as fs from 'fs';
import * as path from 'path';
import type { ObjectStore } from '../../datastore/objects';
import type { CodePackageRecord } from '../../records';
import { makeDirs } from '../../make-dirs';

export interface CodeFile {
  /** Relative, '/'-separated. */
  path: string;
  bytes: Uint8Array;
  executable?: boolean;
  /** A symbolic link: `bytes` is its target. */
  symlink?: boolean;
}

const BLOCK = 512;

function octal(value: number, width: number): string {
  return value.toString(8).padStart(width - 1, '0') + '\0';
}

function header(name: string, size: number, mode: number, type: string, linkname = ''): Buffer {
  const block = Buffer.alloc(BLOCK);
  block.write(name, 0, 100, 'utf8');
  block.write(octal(mode, 8), 100, 'ascii');
  block.write(octal(0, 8), 108, 'ascii'); // uid
  block.write(octal(0, 8), 116, 'ascii'); // gid
  block.write(octal(size, 12), 124, 'ascii');
  block.write(octal(0, 12), 136, 'ascii'); // mtime: fixed, so the bytes depend on content only
  block.write('        ', 148, 'ascii'); // checksum placeholder
  block.write(type, 156, 'ascii');
  block.write(linkname, 157, 100, 'utf8');
  block.write('ustar\u000000', 257, 'ascii');
  let sum = 0;
  for (const byte of block) {
    sum += byte;
  }
  block.write(octal(sum, 7) + ' ', 148, 'ascii');
  return block;
}

const padding = (size: number) => Buffer.alloc((BLOCK - (size % BLOCK)) % BLOCK);

/** A pax extended header carrying `path` (and `linkpath`) when they do not fit ustar's 100 bytes. */
function paxRecords(records: Record<string, string>): Buffer {
  let body = '';
  for (const [key, value] of Object.entries(records)) {
    const text = ` ${key}=${value}\n`;
    let length = Buffer.byteLength(text) + 1;
    while (String(length).length + Buffer.byteLength(text) !== length) {
      length = String(length).length + Buffer.byteLength(text);
    }
    body += `${length}${text}`;
  }
  const bytes = Buffer.from(body, 'utf8');
  return Buffer.concat([header('PaxHeader', bytes.length, 0o644, 'x'), bytes, padding(bytes.length)]);
}

/** The tar bytes of `files` (sorted by path; directories are implied by the paths). */
export function packFiles(files: CodeFile[]): Buffer {
  const parts: Buffer[] = [];
  for (const file of [...files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))) {
    const target = file.symlink ? Buffer.from(file.bytes).toString('utf8') : '';
    const long: Record<string, string> = {};
    if (Buffer.byteLength(file.path) > 100) {
      long.path = file.path;
    }
    if (Buffer.byteLength(target) > 100) {
      long.linkpath = target;
    }
    if (Object.keys(long).length > 0) {
      parts.push(paxRecords(long));
    }
    const size = file.symlink ? 0 : file.bytes.byteLength;
    parts.push(
      header(
        file.path.slice(0, 100),
        size,
        file.executable ? 0o755 : 0o644,
        file.symlink ? '2' : '0',
        target,
      ),
    );
    if (!file.symlink) {
      parts.push(Buffer.from(file.bytes), padding(size));
    }
  }
  parts.push(Buffer.alloc(BLOCK * 2));
  return Buffer.concat(parts);
}

/** The files of a tar written by packFiles (regular files, symbolic links, pax paths). */
export function unpackFiles(tar: Buffer): CodeFile[] {
  const files: CodeFile[] = [];
  let pax: Record<string, string> = {};
  for (let offset = 0; offset + BLOCK <= tar.length;) {
    const block = tar.subarray(offset, offset + BLOCK);
    if (block.every((byte) => byte === 0)) {
      break;
    }
    const text = (start: number, length: number) =>
      block.toString('utf8', start, start + length).replace(/\0.*$/s, '');
    const size = parseInt(text(124, 12).trim() || '0', 8);
    const type = text(156, 1) || '0';
    const mode = parseInt(text(100, 8).trim() || '644', 8);
    const body = tar.subarray(offset + BLOCK, offset + BLOCK + size);
    offset += BLOCK + size + padding(size).length;
    if (type === 'x') {
      pax = {};
      for (const line of body.toString('utf8').split('\n')) {
        const match = /^\d+ ([^=]+)=(.*)$/s.exec(line);
        if (match) {
          pax[match[1]] = match[2];
        }
      }
      continue;
    }
    const prefix = text(345, 155);
    const name = pax.path ?? (prefix ? `${prefix}/${text(0, 100)}` : text(0, 100));
    const linkname = pax.linkpath ?? text(157, 100);
    pax = {};
    if (type === '2') {
      files.push({ path: name, bytes: Buffer.from(linkname), symlink: true });
    } else if (type === '0' || type === '\0') {
      files.push({ path: name, bytes: Buffer.from(body), executable: (mode & 0o111) !== 0 });
    }
  }
  return files;
}

/** Stores `files` as the run's code package. */
export async function writeCodePackage(objects: ObjectStore, files: CodeFile[]): Promise<CodePackageRecord> {
  const blob = await objects.put(packFiles(files));
  return { sha256: blob.sha256, bytes: blob.bytes, files: files.length };
}

/**
 * Writes a recorded code package's files under `dir` (created when missing) and returns their paths.
 * A path that would land outside `dir` is refused: the package is data from a datastore.
 */
export function extractCodePackage(objects: ObjectStore, sha256: string, dir: string): string[] {
  const files = unpackFiles(objects.getSync(sha256, 'code package'));
  const root = path.resolve(dir);
  const written: string[] = [];
  for (const file of files) {
    const target = path.resolve(root, ...file.path.split('/'));
    if (!target.startsWith(root + path.sep)) {
      throw new Error(`code package ${sha256}: the path ${JSON.stringify(file.path)} leaves its directory`);
    }
    makeDirs(path.dirname(target));
    fs.rmSync(target, { force: true });
    if (file.symlink) {
      fs.symlinkSync(Buffer.from(file.bytes).toString('utf8'), target);
    } else {
      fs.writeFileSync(target, file.bytes, { mode: file.executable ? 0o755 : 0o644 });
    }
    written.push(file.path);
  }
  return written;
}
