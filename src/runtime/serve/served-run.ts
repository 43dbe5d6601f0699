// What `cellflow serve` serves: one successful run's compiled module (the exact code the run recorded,
// loaded from the datastore) and its end task's artifacts. `FLOW` means the flow's newest successful
// run that has endpoints; `--follow` asks for a newer one from time to time.
import * as path from 'path';
import type { EndpointFunction, EndpointManifest, FlowManifest } from '../../core/model';
import {
  Datastore,
  effectiveRunStatus,
  formatPathspec,
  NotFoundError,
  parsePathspec,
} from '../datastore/datastore';
import { UserInputError } from '../errors';
import { loadFlowModule } from '../loading/module-loader';
import type { RunRecord } from '../records';
import { ArtifactValues } from './artifacts-view';

export interface ServedEndpoint {
  manifest: EndpointManifest;
  fn: EndpointFunction;
}

export interface ServedRun {
  flow: string;
  runId: string;
  pathspec: string;
  manifest: FlowManifest;
  endpoints: Map<string, ServedEndpoint>;
  artifacts: ArtifactValues;
}

/** RUN (`Flow/runId`) or FLOW (its newest successful run with endpoints). */
export function resolveServeTarget(datastore: Datastore, target: string): { flow: string; runId: string } {
  const spec = parsePathspec(target);
  if (spec.step) {
    throw new UserInputError(`${target}: expected a run (Flow/runId) or a flow name.`);
  }
  if (spec.runId) {
    return { flow: spec.flow, runId: spec.runId };
  }
  const runId = latestServableRun(datastore, spec.flow);
  if (!runId) {
    const known = datastore.listFlows().includes(spec.flow);
    throw new NotFoundError(
      known
        ? `flow ${spec.flow} has no successful run with endpoints in ${datastore.root}: run a notebook with an endpoint:NAME cell first`
        : `flow ${spec.flow} has no runs in ${datastore.root}`,
    );
  }
  return { flow: spec.flow, runId };
}

/** The newest succeeded run of `flow` whose compiled module has endpoints, newer than `after` if given. */
export function latestServableRun(datastore: Datastore, flow: string, after?: string): string | undefined {
  for (const runId of datastore.listRuns(flow)) {
    if (after !== undefined && runId <= after) {
      return undefined;
    }
    let record: RunRecord;
    try {
      record = datastore.readRun(flow, runId);
    } catch {
      continue; // a run being created, or a damaged record: not servable
    }
    if (effectiveRunStatus(record) === 'succeeded' && record.module && hasEndpoints(datastore, record)) {
      return runId;
    }
  }
  return undefined;
}

/** Endpoints are in the module's manifest; reading the TypeScript object is cheaper than loading it. */
function hasEndpoints(datastore: Datastore, record: RunRecord): boolean {
  try {
    const source = datastore.objects.getSync(record.module!.typescriptSha256).toString('utf8');
    return /\nexport const endpoints\b/.test(source);
  } catch {
    return false;
  }
}

export function loadServedRun(datastore: Datastore, flow: string, runId: string): ServedRun {
  const record = datastore.readRun(flow, runId);
  const pathspec = formatPathspec({ flow, runId });
  const status = effectiveRunStatus(record);
  if (status !== 'succeeded') {
    throw new UserInputError(`${pathspec} is ${status}: only a successful run can be served.`);
  }
  if (!record.module) {
    throw new UserInputError(`${pathspec}: the run record holds no compiled module.`);
  }
  const javascript = datastore.objects.getSync(record.module.javascriptSha256, 'the compiled flow module');
  // The module lives, virtually, where the run's notebook was, so its imports resolve as they did.
  const filename = record.module.filename || path.join(process.cwd(), `${flow}.flow.ts`);
  const module = loadFlowModule(javascript.toString('utf8'), filename);
  const manifests = module.manifest.endpoints ?? [];
  if (manifests.length === 0 || !module.endpoints) {
    throw new UserInputError(
      `${pathspec}: the flow has no endpoints: tag a cell endpoint:NAME that exports function NAME(request, artifacts).`,
    );
  }
  const endpoints = new Map<string, ServedEndpoint>();
  for (const manifest of manifests) {
    const fn = module.endpoints[manifest.name];
    if (typeof fn === 'function') {
      endpoints.set(manifest.name, { manifest, fn });
    }
  }
  const endTasks = datastore.listTasks(flow, runId, record.graph.end).filter((t) => t.status === 'succeeded');
  if (endTasks.length === 0) {
    throw new UserInputError(`${pathspec}: the end step '${record.graph.end}' has no successful task.`);
  }
  const artifacts = new ArtifactValues(endTasks[0].artifacts, (ref, name) =>
    datastore.loadArtifactSync(ref, `artifact '${name}' of ${pathspec}/${record.graph.end}`),
  );
  // Loaded once, here: what the endpoints read (the manifest lists it).
  artifacts.preload(manifests.flatMap((m) => m.artifacts));
  return { flow, runId, pathspec, manifest: module.manifest, endpoints, artifacts };
}
