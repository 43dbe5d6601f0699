// The run record of a workflow on Argo. `cellflow deploy --from-run Flow/RUN` names a run whose code
// package and locked dependencies the workflow reuses: the workflow's first pod writes the record of
// run `Flow/<workflow name>` from it (its own parameters), and the exit handler closes its status.
// No scheduler of ours heartbeats such a run: each pod refreshes `engine.heartbeatAt` as its task
// starts and ends (beatArgoRun), which readers judge with a bound of their own (liveness.ts).
import { PreconditionFailedError } from '../datastore/backend';
import { type Datastore, parseRunPathspec } from '../datastore/datastore';
import { UserInputError } from '../errors';
import { resolveParams } from '../execution/parameters';
import type { ArtifactIndex, RunRecord } from '../records';

/** Where the workflow runs, as its pods are told (`{{workflow.name}}`, `{{workflow.namespace}}`). */
export interface ArgoWorkflowRef {
  workflow?: string;
  namespace?: string;
}

/** Writes run RUN's record from the deployed run's; a retried pod finds it written and keeps it. */
export async function startRunFrom(
  datastore: Datastore,
  run: string,
  from: string,
  overrides: string[],
  where: ArgoWorkflowRef = {},
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
  const now = new Date().toISOString();
  const record: RunRecord = {
    ...kept,
    runId,
    params,
    parameterArtifacts,
    status: 'running',
    createdAt: now,
    engine: {
      name: 'argo',
      ...(where.workflow ? { workflow: where.workflow } : {}),
      ...(where.namespace ? { namespace: where.namespace } : {}),
      heartbeatAt: now,
    },
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

/**
 * A pod's heartbeat: while an Argo run is 'running', its `engine.heartbeatAt` becomes now. The write
 * is conditional on the version just read; losing it means another writer changed the record in
 * between: a pod's beat (as fresh as ours) or the exit handler's final status (which must stay), so
 * either way there is nothing to redo. Other runs (a local run's record reused without --from-run,
 * or one already closed) are left alone.
 */
export function beatArgoRun(datastore: Datastore, flow: string, runId: string): void {
  const record = datastore.readRun(flow, runId);
  if (record.status !== 'running' || record.engine?.name !== 'argo') {
    return;
  }
  try {
    datastore.writeRun({ ...record, engine: { ...record.engine, heartbeatAt: new Date().toISOString() } });
  } catch (error) {
    if (!(error instanceof PreconditionFailedError)) {
      throw error;
    }
  }
}
