// The V8 code cache for the TypeScript compiler, through the real `cellflow` command: written by the
// first command that loads TypeScript, used by the next, and a damaged cache is only rewritten.
import * as fs from 'fs';
import * as path from 'path';
import { cellflow } from '../helpers/cli';
import { removeTempDir, tempDir, writeNotebook } from '../helpers/notebook';

describe('TypeScript code cache', () => {
  let dir: string;
  let notebook: string;
  const cacheDir = () => path.join(dir, 'xdg', 'cellflow', 'v8');
  const exportModule = () =>
    cellflow(['export', notebook, '-o', '-'], { env: { XDG_CACHE_HOME: path.join(dir, 'xdg') } });

  beforeAll(() => {
    dir = tempDir('cellflow-code-cache-');
    notebook = writeNotebook(dir, 'cached.ipynb', [
      { tags: ['step:start'], source: 'const n: number = 2;\nself.n = n * 21;' },
      { tags: ['step:end'], source: 'console.log(self.n);' },
    ]);
  });
  afterAll(() => removeTempDir(dir));

  it('is written by the first command, read by the next, and rewritten when damaged', async () => {
    const first = await exportModule();
    expect(first.code).toBe(0);
    const files = fs.readdirSync(cacheDir());
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(new RegExp(`^typescript-\\d+-\\d+-${process.version}-${process.arch}\\.bin$`));
    const cacheFile = path.join(cacheDir(), files[0]);
    const written = fs.readFileSync(cacheFile);
    expect(written.length).toBeGreaterThan(100000);
    expect(fs.statSync(cacheFile).mode & 0o077).toBe(0); // private to the user: cached code is trusted

    const second = await exportModule();
    expect(second).toEqual(first);
    expect(fs.readFileSync(cacheFile).equals(written)).toBe(true); // accepted, so not rewritten

    fs.writeFileSync(cacheFile, Buffer.from('not a V8 code cache'));
    const third = await exportModule();
    expect(third).toEqual(first);
    expect(fs.readFileSync(cacheFile).length).toBeGreaterThan(100000);
  });
});
