// One switch for every cache cellflow keeps (the table is in ARCHITECTURE.md, "Caches"). A cache
// only saves time: with it off, the same work is redone and the results are the same, which is
// what a user who suspects a stale cache wants to check.
//
// CELLFLOW_NO_CACHE=1 (or `all`) turns all of them off; CELLFLOW_NO_CACHE=compiled,drift the ones
// named. The older CELLFLOW_NO_COMPILE_CACHE and CELLFLOW_NO_CODE_CACHE still work.

export const CACHE_NAMES = [
  'compiled',
  'code',
  'transpiled',
  'drift',
  'git-status',
  'inputs',
  'local-packages',
] as const;
export type CacheName = (typeof CACHE_NAMES)[number];

const LEGACY_SWITCHES: Partial<Record<CacheName, string>> = {
  compiled: 'CELLFLOW_NO_COMPILE_CACHE',
  code: 'CELLFLOW_NO_CODE_CACHE',
};

export function cacheEnabled(name: CacheName, env: NodeJS.ProcessEnv = process.env): boolean {
  const legacy = LEGACY_SWITCHES[name];
  if (legacy && env[legacy]) {
    return false;
  }
  const setting = env.CELLFLOW_NO_CACHE?.trim();
  if (!setting || setting === '0') {
    return true;
  }
  if (setting === '1' || setting === 'all') {
    return false;
  }
  return !setting.split(',').some((item) => item.trim() === name);
}
