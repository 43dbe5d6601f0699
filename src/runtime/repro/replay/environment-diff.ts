// What differs between the machine a run was made on and this one, and the environment a
// reproduction runs with: the recorded time zone and locale (TZ, LANG, LC_*), so that a step that
// formats a date or a number formats it as it did in the original run.
import * as os from 'os';
import type { EnvironmentRecord } from '../../records';

export interface EnvironmentDifference {
  kind: 'node' | 'platform' | 'timeZone' | 'locale' | 'cpus' | 'memory';
  message: string;
}

const LOCALE_NAMES = (name: string) => name === 'LANG' || name === 'LANGUAGE' || name.startsWith('LC_');

/** `env` with TZ and the locale variables replaced by the recorded ones. */
export function recordedLocaleEnv(
  env: NodeJS.ProcessEnv,
  recorded: EnvironmentRecord | undefined,
): NodeJS.ProcessEnv {
  if (!recorded) {
    return { ...env };
  }
  const out: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(env)) {
    if (!LOCALE_NAMES(name) && name !== 'TZ') {
      out[name] = value;
    }
  }
  for (const [name, value] of Object.entries(recorded.env)) {
    if (LOCALE_NAMES(name)) {
      out[name] = value;
    }
  }
  // The resolved zone, not the TZ variable: a run without TZ still ran in one zone.
  out.TZ = recorded.timeZone;
  return out;
}

/** Every difference worth a line in reproduce's output; the caller decides which are errors. */
export function environmentDifferences(recorded: EnvironmentRecord): EnvironmentDifference[] {
  const out: EnvironmentDifference[] = [];
  const here = Intl.DateTimeFormat().resolvedOptions();
  if (recorded.node !== process.version) {
    out.push({ kind: 'node', message: `Node ${process.version} here, the run used Node ${recorded.node}` });
  }
  if (recorded.os.platform !== process.platform || recorded.arch !== process.arch) {
    out.push({
      kind: 'platform',
      message: `${process.platform}/${process.arch} here, the run used ${recorded.os.platform}/${recorded.arch}`,
    });
  }
  if (recorded.timeZone !== here.timeZone) {
    out.push({
      kind: 'timeZone',
      message: `time zone ${here.timeZone} here, the run used ${recorded.timeZone}: the reproduction runs with TZ=${recorded.timeZone}`,
    });
  }
  const locale = Object.entries(recorded.env)
    .filter(([name]) => LOCALE_NAMES(name))
    .map(([name, value]) => `${name}=${value}`);
  if (recorded.locale !== here.locale) {
    out.push({
      kind: 'locale',
      message: `locale ${here.locale} here, the run used ${recorded.locale}: the reproduction runs with ${locale.length ? locale.join(' ') : 'no LANG/LC_* set'}`,
    });
  }
  if (recorded.cpus.count !== os.cpus().length) {
    out.push({ kind: 'cpus', message: `${os.cpus().length} CPUs here, the run had ${recorded.cpus.count}` });
  }
  return out;
}
