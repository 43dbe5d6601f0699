// CELLFLOW_NO_CACHE: the one switch for every cache (ARCHITECTURE.md, "Caches"). With it on, a run
// leaves nothing in the datastore's cache folder and records exactly what a cached run records.
import * as fs from 'fs';
import * as path from 'path';
import { CACHE_NAMES, cacheEnabled } from '../../src/runtime/caches';
import { cellflow } from '../helpers/cli';
import { removeTempDir, tempDir } from '../helpers/notebook';
import { SETTLE_MS } from '../../src/runtime/repro/capture/stat-signature';
import { churnProject, readRecords } from './project';

test('CELLFLOW_NO_CACHE turns every cache off, or the ones named; the older switches still work', () => {
  for (const name of CACHE_NAMES) {
    expect(cacheEnabled(name, {})).toBe(true);
    expect(cacheEnabled(name, { CELLFLOW_NO_CACHE: '1' })).toBe(false);
    expect(cacheEnabled(name, { CELLFLOW_NO_CACHE: 'all' })).toBe(false);
    expect(cacheEnabled(name, { CELLFLOW_NO_CACHE: '0' })).toBe(true);
  }
  const some = { CELLFLOW_NO_CACHE: 'compiled, drift' };
  expect(CACHE_NAMES.filter((name) => !cacheEnabled(name, some))).toEqual(['compiled', 'drift']);
  expect(cacheEnabled('compiled', { CELLFLOW_NO_COMPILE_CACHE: '1' })).toBe(false);
  expect(cacheEnabled('code', { CELLFLOW_NO_CODE_CACHE: '1' })).toBe(false);
  expect(cacheEnabled('drift', { CELLFLOW_NO_COMPILE_CACHE: '1' })).toBe(true);
});

test('a run with every cache off writes no cache entry and records the same inputs, code and lockfile', async () => {
  const work = tempDir('cellflow-caches-');
  try {
    const notebook = churnProject(path.join(work, 'project'), { dependency: true });
    // Caches remember only files whose stat (ctime included) is old enough to prove them
    // unchanged later (git's racy case, SETTLE_MS): let the new project settle first.
    await new Promise((resolve) => setTimeout(resolve, SETTLE_MS + 200));
    const runWith = async (home: string, env: NodeJS.ProcessEnv) => {
      const idFile = path.join(work, `id-${path.basename(home)}`);
      const result = await cellflow(['run', notebook, '-q', '--seed', '7', '--run-id-file', idFile], {
        cwd: path.dirname(notebook),
        env: { CELLFLOW_HOME: home, ...env },
      });
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      return readRecords(home, fs.readFileSync(idFile, 'utf8').trim());
    };
    const cacheEntries = (home: string) => {
      const dir = path.join(home, 'cache');
      if (!fs.existsSync(dir)) {
        return [];
      }
      return fs.readdirSync(dir).filter((kind) => fs.readdirSync(path.join(dir, kind)).length > 0);
    };

    const cached = await runWith(path.join(work, 'cached'), {});
    const uncached = await runWith(path.join(work, 'uncached'), { CELLFLOW_NO_CACHE: '1' });

    // The cached run filled the compile, drift, git-status and inputs caches; the other none.
    expect(cacheEntries(path.join(work, 'cached'))).toEqual(
      expect.arrayContaining(['compiled', 'drift', 'git-status', 'inputs']),
    );
    expect(cacheEntries(path.join(work, 'uncached'))).toEqual([]);
    const facts = (records: typeof cached) => ({
      lockfile: records.run.lockfile?.sha256,
      module: records.run.module,
      inputs: records.tasks.map((task) => [task.step, task.inputs]).sort(),
      artifacts: records.tasks.map((task) => [task.step, task.artifacts]).sort(),
    });
    expect(facts(uncached)).toEqual(facts(cached));
  } finally {
    removeTempDir(work);
  }
}, 120_000);
