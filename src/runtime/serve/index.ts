// Serving a run's endpoints over HTTP, the prediction log, replaying a logged prediction and
// monitoring the drift of what was asked.
export { PredictionServer, DEFAULT_MAX_BODY_BYTES, type ServeOptions } from './http-server';
export { resolveServeTarget, latestServableRun, loadServedRun, type ServedRun } from './served-run';
export {
  PredictionLog,
  logStorageOf,
  readPredictions,
  findPrediction,
  type PredictionRecord,
} from './prediction-log';
export { replayPrediction, type Replay } from './replay';
export { monitorEndpoint, runDrift, type RunDrift } from './monitor';
export { invokeEndpoint, type Invocation } from './invoke';
export { ArtifactValues } from './artifacts-view';
