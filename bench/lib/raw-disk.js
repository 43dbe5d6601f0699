'use strict';
// The physical limit for benchmark 2: write `bytes` sequentially with a Node stream, fsync, and read
// them back, on the same disk as the datastores. No hashing, no encoding: just the bytes.
const crypto = require('crypto');
const fs = require('fs');
const { pipeline } = require('stream/promises');
const { Readable, Writable } = require('stream');

const CHUNK = 8 * 1024 * 1024;

async function rawWriteRead(file, bytes) {
  // Random bytes, so no layer below can compress or skip them; made before the clock starts.
  const block = crypto.randomBytes(CHUNK);
  function* chunks() {
    for (let left = bytes; left > 0; left -= CHUNK) {
      yield left >= CHUNK ? block : block.subarray(0, left);
    }
  }
  const fd = fs.openSync(file, 'w');
  const writeStart = process.hrtime.bigint();
  await pipeline(Readable.from(chunks()), fs.createWriteStream('', { fd, autoClose: false }));
  fs.fsyncSync(fd);
  fs.closeSync(fd);
  const writeMs = Number(process.hrtime.bigint() - writeStart) / 1e6;

  let read = 0;
  const readStart = process.hrtime.bigint();
  await pipeline(
    fs.createReadStream(file, { highWaterMark: CHUNK }),
    new Writable({
      write(chunk, _encoding, done) {
        read += chunk.length;
        done();
      },
    }),
  );
  const readMs = Number(process.hrtime.bigint() - readStart) / 1e6;
  fs.rmSync(file, { force: true });
  if (read !== bytes) {
    throw new Error(`raw read returned ${read} bytes, expected ${bytes}`);
  }
  return { writeMs, readMs };
}

module.exports = { rawWriteRead };
