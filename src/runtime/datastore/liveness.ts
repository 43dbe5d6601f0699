// Whether a run that says 'running' still has a live scheduler: its heartbeat, and its pid when the
// reader is on the scheduler's host. Nothing rewrites the record; readers compute the status.
import * as os from 'os';
import type { RunRecord, RunStatus } from '../records';

/** Without a heartbeat for this long, a 'running' run whose scheduler we cannot see is abandoned. */
export const HEARTBEAT_STALE_MS = 30_000;

/** HEARTBEAT_STALE_MS, or CELLFLOW_HEARTBEAT_STALE_MS (tests shorten it; so may a slow shared disk). */
export function heartbeatStaleMs(): number {
  const configured = Number(process.env.CELLFLOW_HEARTBEAT_STALE_MS);
  return Number.isFinite(configured) && configured > 0 ? configured : HEARTBEAT_STALE_MS;
}

/**
 * The status readers show: a 'running' run whose scheduler stopped heartbeating, or whose pid is dead
 * on this host, is 'abandoned' (its scheduler was killed before it could write a final status).
 */
export function effectiveRunStatus(record: RunRecord, now: number = Date.now()): RunStatus {
  if (record.status !== 'running') {
    return record.status;
  }
  const scheduler = record.scheduler;
  if (!scheduler) {
    return 'running';
  }
  const beat = Date.parse(scheduler.heartbeatAt);
  if (!Number.isFinite(beat) || now - beat > heartbeatStaleMs()) {
    return 'abandoned';
  }
  if (scheduler.host === os.hostname() && !processAlive(scheduler.pid)) {
    return 'abandoned';
  }
  return 'running';
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
