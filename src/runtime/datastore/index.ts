// The datastore and its maintenance: what the façade (../index.ts) exports, plus integrity checks
// (`fsck`), garbage collection (`gc`), copying runs between datastores (`push`/`pull`) and hashing.
export * from './datastore';
export { fsckDatastore, type FsckReport } from './fsck';
export { sweepObjects } from './gc';
export { copyRun, type TransferReport } from './transfer';
export { hashChunks } from './objects';
export { summaryOf } from './run-index';
