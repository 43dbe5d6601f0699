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

test('processes racing to make the same folders all succeed (one makes each, the others find it)', async () => {
  // Four real processes make the same 1,500 fresh folders in the same order, so that one often
  // creates a folder between another's checks (the scheduler and a task thread do so for a task's
  // folder). Each process reports how many makeDirs calls threw.
  const script = `
    const { makeDirs } = require(${JSON.stringify(path.join(__dirname, '..', '..', 'dist', 'src', 'runtime', 'make-dirs.js'))});
    let failures = 0;
    for (let i = 0; i < 1500; i++) {
      try { makeDirs(require('path').join(process.argv[1], 'race', String(i), 'task')); } catch (e) { failures++; }
    }
    process.stdout.write(String(failures));`;
  const { spawn } = await import('child_process');
  const runs = Array.from(
    { length: 4 },
    () =>
      new Promise<string>((resolve) => {
        const child = spawn(process.execPath, ['-e', script, work], { stdio: ['ignore', 'pipe', 'inherit'] });
        let out = '';
        child.stdout.on('data', (d) => (out += d));
        child.on('close', () => resolve(out));
      }),
  );
  expect(await Promise.all(runs)).toEqual(['0', '0', '0', '0']);
  expect(fs.readdirSync(path.join(work, 'race'))).toHaveLength(1500);
}, 60000);
