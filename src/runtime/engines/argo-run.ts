// The run record of a workflow on Argo. `cellflow deploy --from-run Flow/RUN` names a run whose code
// package and locked dependencies the workflow reuses: the workflow's first pod writes the record of
// run `Flow/<workflow name>` from it (its own parameters), and the exit handler closes its status.
import { type Datastore, parseRunPathspec } from '../datastore/datastore';
import { UserInputError } from '../errors';
import { resolveParams } from '../execution/parameters';
import type { ArtifactIndex, RunRecord } from '../records';

/** Writes run RUN's record from the deployed run's; a retried pod finds it written and keeps it. */
export async function startRunFrom(
  datastore: Datastore,
  run: string,
  from: string,
  overrides: string[],
): Promise<RunRecord> {
  const { flow, runId } = parseRunPathspec(run);
  if (datastore.hasRun(flow, runId)) {
    return datastore.readRun(flow, runId);
  }
  const { flow: fromFlow, runId: fromRunId } = parseRunPathspec(from);
  if (fromFlow !== flow) {
    throw new UserInputError(`--from ${from}: not a run of flow ${flow}.`);
  }
  const template = datastore.readRun(fromFlow, fromRunId);
  if (!template.module) {
    throw new UserInputError(`--from ${from}: the run record holds no compiled module.`);
  }
  const params = resolveParams(template.parameters, overrides, from);
  const parameterArtifacts: ArtifactIndex = {};
  for (const [name, value] of Object.entries(params)) {
    parameterArtifacts[name] = await datastore.saveArtifact(name, value);
  }
  // The deployed run's code, dependencies and seed; nothing of its outcome.
  const kept: RunRecord = { ...template };
  delete kept.finishedAt;
  delete kept.scheduler;
  delete kept.origin;
  const record: RunRecord = {
    ...kept,
    runId,
    params,
    parameterArtifacts,
    status: 'running',
    createdAt: new Date().toISOString(),
  };
  datastore.writeRun(record);
  return record;
}

/** Closes the run with the workflow's status (`{{workflow.status}}`: Succeeded, Failed, Error). */
export function finishRun(datastore: Datastore, run: string, workflowStatus: string): RunRecord {
  const { flow, runId } = parseRunPathspec(run);
  const record = datastore.readRun(flow, runId);
  record.status = workflowStatus === 'Succeeded' ? 'succeeded' : 'failed';
  record.finishedAt = new Date().toISOString();
  datastore.writeRun(record);
  return record;
}
