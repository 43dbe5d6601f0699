// makeDirs is `mkdir -p` for every folder cellflow creates; Node's own recursive mkdir spins forever
// on a filesystem that answers ENOENT under an existing parent (procfs), which hung `cellflow card`.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { makeDirs } from '../../src/runtime/make-dirs';

let work: string;
beforeEach(() => (work = fs.mkdtempSync(path.join(os.tmpdir(), 'cellflow-make-dirs-'))));
afterEach(() => fs.rmSync(work, { recursive: true, force: true }));

test('creates the missing parents and returns the first folder it made, as mkdir -p does', () => {
  expect(makeDirs(path.join(work, 'a', 'b', 'c'))).toBe(path.join(work, 'a'));
  expect(fs.statSync(path.join(work, 'a', 'b', 'c')).isDirectory()).toBe(true);
  expect(makeDirs(path.join(work, 'a', 'b'))).toBeUndefined();
});

test('a file in the way is an error, not a folder', () => {
  fs.writeFileSync(path.join(work, 'file'), 'x');
  expect(() => makeDirs(path.join(work, 'file'))).toThrow(/EEXIST/);
  expect(() => makeDirs(path.join(work, 'file', 'sub'))).toThrow(/ENOTDIR/);
});

const procfs = fs.existsSync('/proc/self') ? test : test.skip;
procfs('a filesystem that refuses new folders (procfs) fails at once instead of hanging', () => {
  expect(() => makeDirs('/proc/cellflow-nope/x')).toThrow(/ENOENT/);
});
