// One line saying how node_modules differs from the lockfile a run recorded: what `run` warns,
// `inspect` shows and the card displays (pure: the card renders in the browser too).

interface DriftLike {
  checked: boolean;
  changed: {
    path: string;
    locked?: { version?: string };
    installed?: { version?: string };
    content?: unknown;
  }[];
  missing: { path: string }[];
}

const packageName = (key: string) => key.replace(/^.*node_modules\//, '');

/** undefined when nothing drifted (or node_modules was not there to compare). */
export function driftSummary(drift: DriftLike | undefined): string | undefined {
  if (!drift?.checked) {
    return undefined;
  }
  const parts: string[] = [];
  const changed = drift.changed.map((entry) =>
    entry.content
      ? `${packageName(entry.path)} ${entry.locked?.version ?? '?'} has edited files`
      : `${packageName(entry.path)} ${entry.installed?.version ?? '?'} (locked ${entry.locked?.version ?? '?'})`,
  );
  if (changed.length) {
    parts.push(`changed: ${changed.join(', ')}`);
  }
  if (drift.missing.length) {
    parts.push(`missing: ${drift.missing.map((e) => packageName(e.path)).join(', ')}`);
  }
  return parts.length ? parts.join('; ') : undefined;
}
