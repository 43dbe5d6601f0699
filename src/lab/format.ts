// Human-readable times, durations, sizes and values for the run browser. Pure.
import type { JsonValue } from '../core/model';

/** `1.2 s`, `3 min 4 s`, `2 h 5 min`; empty when the end is unknown and the run is not running. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) {
    return '';
  }
  if (ms < 1000) {
    return `${Math.round(ms)} ms`;
  }
  const seconds = ms / 1000;
  if (seconds < 60) {
    return `${seconds.toFixed(seconds < 10 ? 1 : 0)} s`;
  }
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) {
    return `${minutes} min ${Math.round(seconds - minutes * 60)} s`;
  }
  const hours = Math.floor(minutes / 60);
  return `${hours} h ${minutes - hours * 60} min`;
}

/** Duration between two ISO times; `now` stands in for a missing end (a run still going). */
export function durationBetween(
  startIso: string | undefined,
  endIso: string | undefined,
  now = Date.now(),
): string {
  if (!startIso) {
    return '';
  }
  const start = Date.parse(startIso);
  const end = endIso ? Date.parse(endIso) : now;
  if (Number.isNaN(start) || Number.isNaN(end)) {
    return '';
  }
  return formatDuration(end - start);
}

/** `2024-05-01 13:04:05` in the browser's time zone. */
export function formatTime(iso: string | undefined): string {
  if (!iso) {
    return '';
  }
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) {
    return iso;
  }
  const pad = (n: number) => String(n).padStart(2, '0');
  return (
    `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ` +
    `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`
  );
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) {
    return `${bytes} B`;
  }
  if (bytes < 1024 * 1024) {
    return `${(bytes / 1024).toFixed(1)} KiB`;
  }
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

/** A value as one line of text: strings as they are, everything else as JSON. */
export function formatValue(value: JsonValue | undefined): string {
  if (value === undefined) {
    return '';
  }
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** `a=1, b="x"`: a run's parameters on one line. */
export function formatParams(params: Record<string, JsonValue>): string {
  return Object.entries(params)
    .map(([name, value]) => `${name}=${JSON.stringify(value)}`)
    .join(', ');
}

/**
 * A message from the linter or the CLI as JupyterLab's reader expects it: core names a cell by its
 * 0-based index and nbformat id (`cell 0 (id c0)`, `cell 0, id c0`), as DESIGN asks of the CLI; in
 * JupyterLab, which numbers cells from 1 and never shows their ids, that is `cell 1`.
 */
export function withNotebookCellNumbers(message: string): string {
  return message.replace(
    /\bcell (\d+)(?: \(id [A-Za-z0-9_-]+\)|, id [A-Za-z0-9_-]+)/g,
    (_match, index: string) => `cell ${Number(index) + 1}`,
  );
}
