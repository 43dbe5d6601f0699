// How artifact values become bytes and back (Arrow IPC, raw bytes, JSON, V8 serialisation).
export { decodeArtifact, encodeArtifact, isArrowTable, UnstorableArtifactError } from './codecs';
