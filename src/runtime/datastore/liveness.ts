// Whether a run that says 'running' still has a live scheduler: its heartbeat, and its pid when the
// reader is on the scheduler's host. Nothing rewrites the record; readers compute the status.
// An Argo workflow's run has no scheduler of ours: its pods beat `engine.heartbeatAt` at task
// boundaries, and it is judged by a bound of its own (engineHeartbeatStaleMs).
import * as os from 'os';
import type { RunRecord, RunStatus } from '../records';

/** Without a heartbeat for this long, a 'running' run whose scheduler we cannot see is abandoned. */
export const HEARTBEAT_STALE_MS = 30_000;

/**
 * An Argo run's pods beat only when a task starts or ends, so the gap between beats is a step's
 * whole run time plus however long the cluster keeps the next pods pending: a day without a beat,
 * and no step whose `timeout:` allows longer, before it reads as abandoned (its workflow deleted
 * before the exit handler closed the record, or its controller gone).
 */
export const ENGINE_HEARTBEAT_STALE_MS = 24 * 60 * 60_000;

/** HEARTBEAT_STALE_MS, or CELLFLOW_HEARTBEAT_STALE_MS (tests shorten it; so may a slow shared disk). */
export function heartbeatStaleMs(): number {
  return configuredMs('CELLFLOW_HEARTBEAT_STALE_MS') ?? HEARTBEAT_STALE_MS;
}

/** ENGINE_HEARTBEAT_STALE_MS, or CELLFLOW_ENGINE_HEARTBEAT_STALE_MS; never less than a step may run. */
export function engineHeartbeatStaleMs(record: RunRecord): number {
  const bound = configuredMs('CELLFLOW_ENGINE_HEARTBEAT_STALE_MS') ?? ENGINE_HEARTBEAT_STALE_MS;
  const longestTimeoutMs = Math.max(
    0,
    ...Object.values(record.graph.nodes).map((node) => (node.options?.timeoutSeconds ?? 0) * 1000),
  );
  return Math.max(bound, longestTimeoutMs);
}

function configuredMs(variable: string): number | undefined {
  const configured = Number(process.env[variable]);
  return Number.isFinite(configured) && configured > 0 ? configured : undefined;
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
    return record.engine?.name === 'argo' ? engineRunStatus(record, now) : 'running';
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

/** An engine's run: 'running' until the pods' last beat (or its creation) is older than the bound. */
function engineRunStatus(record: RunRecord, now: number): RunStatus {
  const beat = Date.parse(record.engine?.heartbeatAt ?? record.createdAt);
  if (Number.isFinite(beat) && now - beat > engineHeartbeatStaleMs(record)) {
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
