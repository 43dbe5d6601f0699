// `cellflow replay PREDICTION_ID`: recompute a logged prediction with the run and exactly the
// artifacts (by sha256) it was made with, and say whether the answer is the same.
import { type Datastore, NotFoundError, parseRunPathspec } from '../datastore/datastore';
import { UserInputError } from '../errors';
import type { ArtifactIndex } from '../records';
import { ArtifactValues } from './artifacts-view';
import { invokeEndpoint, type Invocation } from './invoke';
import { isPredictionId } from './prediction-id';
import { findPrediction, logStorageOf, type PredictionRecord } from './prediction-log';
import { loadServedRun } from './served-run';

export interface Replay {
  record: PredictionRecord;
  outcome: Invocation;
  identical: boolean;
  /** What differs, one line each: status, response paths, the artifacts read. */
  differences: string[];
}

export async function replayPrediction(datastore: Datastore, id: string): Promise<Replay> {
  if (!isPredictionId(id)) {
    throw new UserInputError(
      `${JSON.stringify(id)} is not a prediction id (like 1718000000123-9f2c4e1a7b30; see cellflow predictions FLOW).`,
    );
  }
  const record = await findPrediction(logStorageOf(datastore), id);
  if (!record) {
    throw new NotFoundError(`prediction ${id} is not in the log of ${datastore.root}`);
  }
  const { flow, runId } = parseRunPathspec(record.run);
  const served = loadServedRun(datastore, flow, runId);
  const endpoint = served.endpoints.get(record.endpoint);
  if (!endpoint) {
    throw new UserInputError(`${record.run} has no endpoint '${record.endpoint}' any more`);
  }
  // Exactly the logged objects: the codec comes from the run's record, the bytes from the logged hash.
  const index: ArtifactIndex = { ...served.artifacts.index };
  for (const [name, sha256] of Object.entries(record.artifacts)) {
    const ref = served.artifacts.index[name];
    if (!ref) {
      throw new UserInputError(`prediction ${id} read artifact '${name}', which ${record.run} does not have`);
    }
    index[name] = { ...ref, sha256 };
  }
  const artifacts = new ArtifactValues(index, (ref, name) =>
    datastore.loadArtifactSync(ref, `artifact '${name}' of prediction ${id}`),
  );
  const outcome = await invokeEndpoint(endpoint, artifacts, record.request);
  const differences: string[] = [];
  if (outcome.status !== record.status) {
    differences.push(`status: logged ${record.status}, now ${outcome.status}`);
  }
  differences.push(...diff(record.response, outcome.body, 'response'));
  const logged = JSON.stringify(record.artifacts);
  const now = JSON.stringify(outcome.artifacts);
  if (logged !== now) {
    differences.push(`artifacts read: logged ${logged}, now ${now}`);
  }
  return { record, outcome, identical: differences.length === 0, differences };
}

/** Paths where two JSON values differ (at most 20). */
function diff(a: unknown, b: unknown, at: string, out: string[] = []): string[] {
  if (out.length >= 20) {
    return out;
  }
  if (
    a !== null &&
    b !== null &&
    typeof a === 'object' &&
    typeof b === 'object' &&
    Array.isArray(a) === Array.isArray(b)
  ) {
    const keys = new Set([...Object.keys(a as object), ...Object.keys(b as object)]);
    for (const key of keys) {
      const where = Array.isArray(a) ? `${at}[${key}]` : `${at}.${key}`;
      diff((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key], where, out);
    }
    return out;
  }
  if (!Object.is(a, b)) {
    out.push(`${at}: logged ${JSON.stringify(a) ?? 'nothing'}, now ${JSON.stringify(b) ?? 'nothing'}`);
  }
  return out;
}
