// Re-executing a recorded run and judging the result, `cellflow status` against a run, and what
// reproductions leave behind for `gc`.
export { reproduceRun, ReproduceError, type ReproduceOptions, type ReproduceResult } from './reproduce';
export { compareRuns, formatComparison } from './compare';
export { runStatus, formatStatus } from './status';
export { staleSnapshotRefs, deleteRefs, leftoverReproductionDirs } from './leftovers';
