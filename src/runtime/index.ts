// The runtime's façade: the vocabulary every layer above it (the CLI, the Client API, the kernel)
// shares — the datastore with its records and pathspecs, the bad-input error, and a few small
// utilities. The heavier parts each have their own entry point, one per role folder
// (`runtime/execution`, `runtime/loading`, `runtime/scope`, `runtime/codecs`, `runtime/datastore`,
// `runtime/serve`, `runtime/engines`, `runtime/repro/capture`, `runtime/repro/replay`,
// `runtime/repro/binder`), so a command loads only what it runs: `cellflow runs` never loads the
// scheduler, and only `reproduce` and `binder` pay for isomorphic-git. Outside src/runtime, code
// imports these entry points and nothing else (eslint.config.mjs enforces it).
export {
  checkName,
  Datastore,
  DatastoreFullError,
  effectiveRunStatus,
  formatPathspec,
  isS3Location,
  resolveDatastoreLocation,
  IntegrityError,
  NotFoundError,
  parsePathspec,
  parseRunPathspec,
  parseTaskPathspec,
  PathspecError,
  resolveTaskPathspec,
  runPathspecOf,
  type IndexedRun,
  type Pathspec,
  type RunSummary,
} from './datastore/datastore';
export type * from './records';
// Task records are built in one place; the kernel's saveInteractive writes them too (through here, so
// it does not load the scheduler with the execution entry point).
export { newTaskRecord, type TaskPlace } from './execution/task-record';
export { UserInputError } from './errors';
export { makeDirs } from './make-dirs';
export { currentUser } from './user';
export { cacheEnabled, type CacheName } from './caches';
