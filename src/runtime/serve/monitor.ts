// `cellflow monitor FLOW/ENDPOINT`: the drift of the requests an endpoint answered (status 200)
// against the reference data of the run that answered them (`metadata.cellflow.serve.reference`).
import { featureDrift, numericColumns, type FeatureDrift } from '../../core/drift';
import { type Datastore, parseRunPathspec } from '../datastore/datastore';
import { UserInputError } from '../errors';
import { logStorageOf, readPredictions, type PredictionQuery } from './prediction-log';
import { loadServedRun } from './served-run';

export interface RunDrift {
  run: string;
  endpoint: string;
  reference: string;
  requests: number;
  features: FeatureDrift[];
}

export async function monitorEndpoint(
  datastore: Datastore,
  flow: string,
  endpoint: string,
  query: Omit<PredictionQuery, 'endpoint'> = {},
): Promise<RunDrift[]> {
  const records = (await readPredictions(logStorageOf(datastore), flow, { ...query, endpoint })).filter(
    (r) => r.status === 200,
  );
  const byRun = new Map<string, unknown[]>();
  for (const r of records) {
    byRun.set(r.run, [...(byRun.get(r.run) ?? []), r.request]);
  }
  const out: RunDrift[] = [];
  for (const [run, requests] of byRun) {
    out.push(runDrift(datastore, run, endpoint, requests));
  }
  return out;
}

export function runDrift(datastore: Datastore, run: string, endpoint: string, requests: unknown[]): RunDrift {
  const { flow, runId } = parseRunPathspec(run);
  const served = loadServedRun(datastore, flow, runId);
  const reference = served.manifest.serve?.reference;
  if (!reference) {
    throw new UserInputError(
      `${run} names no reference data: set the notebook's metadata.cellflow.serve.reference to the artifact holding the training features`,
    );
  }
  if (!served.artifacts.has(reference)) {
    throw new UserInputError(`${run} has no artifact '${reference}' at its end`);
  }
  return {
    run,
    endpoint,
    reference,
    requests: requests.length,
    features: featureDrift(numericColumns(served.artifacts.get(reference)), numericColumns(requests)),
  };
}
