// Plain-text rendering shared by the read-side commands: aligned tables, times and durations.
import type { RunRecord, RunStatus } from '../../runtime';

/** Columns padded to their widest cell; the last column is not padded (no trailing spaces). */
export function renderTable(headers: string[], rows: string[][]): string {
  const widths = headers.map((header, i) =>
    Math.max(header.length, ...rows.map((row) => (row[i] ?? '').length)),
  );
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map(line)].join('\n') + '\n';
}

/** `2024-05-01 10:00:03` in local time: what a person reading a terminal expects. */
export function formatTime(iso: string | undefined): string {
  if (!iso) {
    return '-';
  }
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) {
    return '-';
  }
  const pad = (n: number) => String(n).padStart(2, '0');
  return (
    `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ` +
    `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`
  );
}

/** 850ms, 3.5s, 2m05s, 1h02m. */
export function formatDuration(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms) || ms < 0) {
    return '-';
  }
  if (ms < 1000) {
    return `${Math.round(ms)}ms`;
  }
  if (ms < 60_000) {
    return `${(ms / 1000).toFixed(1)}s`;
  }
  const seconds = Math.round(ms / 1000);
  if (seconds < 3600) {
    return `${Math.floor(seconds / 60)}m${String(seconds % 60).padStart(2, '0')}s`;
  }
  return `${Math.floor(seconds / 3600)}h${String(Math.floor((seconds % 3600) / 60)).padStart(2, '0')}m`;
}

/** From start to finish, or to now while still going. */
export function elapsed(
  startIso: string | undefined,
  endIso: string | undefined,
  now = Date.now(),
): number | undefined {
  if (!startIso) {
    return undefined;
  }
  const start = Date.parse(startIso);
  const end = endIso ? Date.parse(endIso) : now;
  return Number.isFinite(start) && Number.isFinite(end) ? end - start : undefined;
}

/**
 * When a run stopped: its finish time; for an abandoned run, its scheduler's last heartbeat (the run
 * did nothing after it); undefined while it is still going.
 */
export function runEndedAt(record: RunRecord, status: RunStatus): string | undefined {
  if (record.finishedAt) {
    return record.finishedAt;
  }
  return status === 'abandoned' ? record.scheduler?.heartbeatAt : undefined;
}

/** `3 succeeded, 1 failed`, in a stable order. */
export function countStatuses(statuses: string[]): string {
  const order = ['succeeded', 'failed', 'running', 'pending', 'cancelled'];
  const counts = new Map<string, number>();
  for (const status of statuses) {
    counts.set(status, (counts.get(status) ?? 0) + 1);
  }
  const known = order.filter((s) => counts.has(s));
  const other = [...counts.keys()].filter((s) => !order.includes(s)).sort();
  return [...known, ...other].map((s) => `${counts.get(s)} ${s}`).join(', ');
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
