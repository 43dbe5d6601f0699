// The machine and toolchain a run ran on: enough to explain why a reproduction may differ.
import * as os from 'os';
import type { EnvironmentRecord } from '../../records';
import { cellflowVersion, installedVersion } from './package-version';
import { looksSecret, REDACTED } from './secrets';
import { TYPESCRIPT_PACKAGE } from '../../../core/typescript';

/** Variables that change what code computes or how it formats, and never hold credentials by design. */
const ALLOWED = new Set([
  'NODE_ENV',
  'NODE_OPTIONS',
  'TZ',
  'LANG',
  'LANGUAGE',
  'CI',
  'SOURCE_DATE_EPOCH',
  'UV_THREADPOOL_SIZE',
  'OMP_NUM_THREADS',
  'CELLFLOW_USER',
  'CELLFLOW_HOME',
  'CELLFLOW_RETRY_BACKOFF_MS',
]);
const ALLOWED_PREFIXES = ['LC_', 'CELLFLOW_'];

/** Extra names to record, comma-separated in CELLFLOW_ENV_ALLOW (secret-looking ones are still redacted). */
function allowed(name: string, extra: Set<string>): boolean {
  return ALLOWED.has(name) || extra.has(name) || ALLOWED_PREFIXES.some((prefix) => name.startsWith(prefix));
}

export function recordedEnv(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const extra = new Set(
    (env.CELLFLOW_ENV_ALLOW ?? '')
      .split(',')
      .map((name) => name.trim())
      .filter(Boolean),
  );
  const out: Record<string, string> = {};
  for (const name of Object.keys(env).sort()) {
    const value = env[name];
    if (value === undefined || !allowed(name, extra)) {
      continue;
    }
    out[name] = looksSecret(name) ? REDACTED : value;
  }
  return out;
}

export function captureEnvironment(): EnvironmentRecord {
  const cpus = os.cpus();
  const resolved = Intl.DateTimeFormat().resolvedOptions();
  return {
    node: process.version,
    v8: process.versions.v8,
    os: { platform: process.platform, type: os.type(), release: os.release(), version: os.version() },
    arch: process.arch,
    cpus: { model: cpus[0]?.model?.trim() ?? 'unknown', count: cpus.length },
    memory: { totalBytes: os.totalmem() },
    timeZone: resolved.timeZone,
    locale: resolved.locale,
    versions: {
      cellflow: cellflowVersion(),
      typescript: installedVersion(TYPESCRIPT_PACKAGE),
      tslab: installedVersion('tslab'),
    },
    env: recordedEnv(),
  };
}
