// The run record of a workflow on Argo. The workflow's first pod writes the record of run
// `Flow/<workflow name>` (with its own parameters) from what `cellflow deploy` named: a deployment it
// published (argo-deployment.ts), or, with `--from-run Flow/RUN`, an earlier run whose code package
// and locked dependencies the workflow reuses. The exit handler closes its status.
// No scheduler of ours heartbeats such a run: each pod refreshes `engine.heartbeatAt` as its task
// starts and ends (beatArgoRun), which readers judge with a bound of their own (liveness.ts).
import { PreconditionFailedError } from '../datastore/backend';
import { type Datastore, parseRunPathspec } from '../datastore/datastore';
import { UserInputError } from '../errors';
import { resolveParams } from '../execution/parameters';
import { drawSeed } from '../execution/seed';
import type { ArtifactIndex, RunRecord } from '../records';

/** Where the workflow runs, as its pods are told (`{{workflow.name}}`, `{{workflow.namespace}}`). */
export interface ArgoWorkflowRef {
  workflow?: string;
  namespace?: string;
}

/** What a workflow's run is made from: a published deployment, or an earlier run (`--from-run`). */
export type RunTemplate = { deployment: string } | { run: string };

/** Writes run RUN's record from its template; a retried pod finds it written and keeps it. */
export async function startRun(
  datastore: Datastore,
  run: string,
  from: RunTemplate,
  overrides: string[],
  where: ArgoWorkflowRef = {},
): Promise<RunRecord> {
  const { flow, runId } = parseRunPathspec(run);
  const written = datastore.tryReadRun(flow, runId);
  if (written) {
    return written;
  }
  const { kept, what, deployment } =
    'deployment' in from
      ? fromDeployment(datastore, flow, from.deployment)
      : fromRun(datastore, flow, from.run);
  const params = resolveParams(kept.parameters, overrides, what);
  const parameterArtifacts: ArtifactIndex = {};
  for (const [name, value] of Object.entries(params)) {
    parameterArtifacts[name] = await datastore.saveArtifact(name, value);
  }
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
      ...(deployment ? { deployment } : {}),
    },
  };
  try {
    datastore.writeRun(record);
  } catch (error) {
    // Two tries of the first pod raced (Argo retried one it thought lost): the first record stays.
    if (error instanceof PreconditionFailedError) {
      return datastore.readRun(flow, runId);
    }
    throw error;
  }
  return record;
}

type Template = {
  kept: Omit<RunRecord, 'runId' | 'params' | 'status' | 'createdAt'>;
  what: string;
  deployment?: string;
};

/** A deployment's code, user and tags, with a seed of its own (each scheduled run is a new run). */
function fromDeployment(datastore: Datastore, flow: string, deploymentId: string): Template {
  const deployment = datastore.readDeployment(flow, deploymentId);
  const { deploymentId: _id, deployedAt: _at, engine: _engine, ...code } = deployment;
  return {
    kept: { ...code, seed: drawSeed() },
    what: `deployment ${deploymentId}`,
    deployment: deploymentId,
  };
}

/** The deployed run's code, dependencies and seed; nothing of its outcome. */
function fromRun(datastore: Datastore, flow: string, from: string): Template {
  const { flow: fromFlow, runId: fromRunId } = parseRunPathspec(from);
  if (fromFlow !== flow) {
    throw new UserInputError(`--from ${from}: not a run of flow ${flow}.`);
  }
  const template = datastore.readRun(fromFlow, fromRunId);
  if (!template.module) {
    throw new UserInputError(`--from ${from}: the run record holds no compiled module.`);
  }
  const kept: Partial<RunRecord> = { ...template };
  for (const field of [
    'runId',
    'params',
    'status',
    'createdAt',
    'finishedAt',
    'scheduler',
    'origin',
    'engine',
    'parameterArtifacts',
  ] as const) {
    delete kept[field];
  }
  return { kept: kept as Template['kept'], what: from };
}

/**
 * Closes the run with the workflow's status (`{{workflow.status}}`: Succeeded, Failed, Error). A
 * workflow whose first pod failed before writing the record has none to close: undefined, and the
 * exit handler says so rather than failing a second time.
 */
export function finishRun(datastore: Datastore, run: string, workflowStatus: string): RunRecord | undefined {
  const { flow, runId } = parseRunPathspec(run);
  const record = datastore.tryReadRun(flow, runId);
  if (!record) {
    return undefined;
  }
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
