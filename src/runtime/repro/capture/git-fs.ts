// The file system isomorphic-git is given: its promise API, answered by synchronous calls. Capture
// runs on its own thread, where a blocking lstat or read costs microseconds, while a promise call
// takes a round trip through libuv's thread pool, which roughly doubled the cost of statusMatrix.
import * as fs from 'fs';

type Sync<A extends unknown[], R> = (...args: A) => R;
const answered =
  <A extends unknown[], R>(call: Sync<A, R>) =>
  async (...args: A): Promise<R> =>
    call(...args);

export const gitFs = {
  promises: {
    readFile: answered(fs.readFileSync as Sync<unknown[], Buffer | string>),
    writeFile: answered(fs.writeFileSync as Sync<unknown[], void>),
    unlink: answered(fs.unlinkSync),
    readdir: answered(fs.readdirSync as Sync<unknown[], string[]>),
    mkdir: answered(fs.mkdirSync as Sync<unknown[], string | undefined>),
    rmdir: answered(fs.rmdirSync),
    stat: answered(fs.statSync as Sync<unknown[], fs.Stats>),
    lstat: answered(fs.lstatSync as Sync<unknown[], fs.Stats>),
    readlink: answered(fs.readlinkSync as Sync<unknown[], string>),
    symlink: answered(fs.symlinkSync),
    chmod: answered(fs.chmodSync),
  },
};
