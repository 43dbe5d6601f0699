// `cellflow kernel install|uninstall`: where the kernelspec goes (without Python) and what it holds.
import * as fs from 'fs';
import * as path from 'path';
import { inflateSync } from 'zlib';
import { cellflow, REPO } from '../helpers/cli';
import { tempDir } from './kernel-helpers';

// Kernels start in seconds on a quiet machine, much slower on a loaded CI runner.
jest.setTimeout(120_000);

const dirs: string[] = [];
function scratch(): string {
  const dir = tempDir('cf-install-');
  dirs.push(dir);
  return dir;
}

afterAll(() => {
  for (const dir of dirs) {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('--prefix writes kernel.json that starts the built launcher; uninstall removes it', async () => {
  const prefix = scratch();
  const installed = await cellflow(['kernel', 'install', '--prefix', prefix]);
  expect(installed.code).toBe(0);
  const dir = path.join(prefix, 'share', 'jupyter', 'kernels', 'cellflow');
  const spec = JSON.parse(fs.readFileSync(path.join(dir, 'kernel.json'), 'utf8'));
  expect(spec).toMatchObject({
    argv: [process.execPath, path.join(REPO, 'dist', 'kernel', 'main.js'), '{connection_file}'],
    display_name: 'TypeScript (cellflow)',
    language: 'typescript',
    interrupt_mode: 'signal',
  });
  for (const size of [32, 64]) {
    // A PNG: signature, IHDR with the size, RGB rows that inflate to the right length.
    const png = fs.readFileSync(path.join(dir, `logo-${size}x${size}.png`));
    expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    expect(png.toString('ascii', 12, 16)).toBe('IHDR');
    expect([png.readUInt32BE(16), png.readUInt32BE(20)]).toEqual([size, size]);
    const idat = png.indexOf('IDAT');
    const pixels = inflateSync(png.subarray(idat + 4, idat + 4 + png.readUInt32BE(idat - 4)));
    expect(pixels.length).toBe(size * (1 + size * 3));
  }
  expect((await cellflow(['kernel', 'uninstall', '--prefix', prefix])).code).toBe(0);
  expect(fs.existsSync(dir)).toBe(false);
  const again = await cellflow(['kernel', 'uninstall', '--prefix', prefix]);
  expect(again.code).toBe(2);
  expect(again.stderr).toContain('no kernelspec cellflow in');
});

test('--user honours JUPYTER_DATA_DIR; --sys-prefix the active virtualenv; one location at a time', async () => {
  const data = scratch();
  expect((await cellflow(['kernel', 'install', '--user'], { env: { JUPYTER_DATA_DIR: data } })).code).toBe(0);
  expect(fs.existsSync(path.join(data, 'kernels', 'cellflow', 'kernel.json'))).toBe(true);

  const venv = scratch();
  expect((await cellflow(['kernel', 'install', '--sys-prefix'], { env: { VIRTUAL_ENV: venv } })).code).toBe(
    0,
  );
  expect(fs.existsSync(path.join(venv, 'share', 'jupyter', 'kernels', 'cellflow', 'kernel.json'))).toBe(true);

  const both = await cellflow(['kernel', 'install', '--user', '--prefix', scratch()]);
  expect(both.code).toBe(2);
  expect(both.stderr).toContain('choose one of --user, --sys-prefix and --prefix DIR');
  expect(both.stderr).not.toMatch(/\n\s+at /);
});
