// `cellflow.saveInteractive()`: the steps' latest interactive artifacts become a run in the datastore
// (status succeeded, tag `interactive`), one task a step, so the run browser and the Client API show
// prototypes beside flow runs.
import * as os from 'os';
import * as path from 'path';
import { Run } from '../src/client/run';
import type { FlowGraph, GraphNode, JsonValue, Parameter } from '../src/core/model';
import { defaultStepOptions } from '../src/core/tags';
import { type ArtifactIndex, currentUser, Datastore, newTaskRecord, type RunRecord } from '../src/runtime';
import { captureInputs, cellflowRoot, projectRootOf } from '../src/runtime/repro/capture';
import type { InteractiveStore } from './interactive-store';
import type { StepContext, StepResult } from './step-context';

export interface SaveOptions {
  tags?: string[];
  /** Datastore root; default CELLFLOW_HOME, else `.cellflow/` at the project root of the kernel's directory. */
  datastore?: string;
}

export async function saveInteractive(
  steps: StepContext,
  store: InteractiveStore,
  parameters: Parameter[],
  notebook: string | undefined,
  cwd: string,
  options: SaveOptions = {},
): Promise<Run> {
  const results = [...steps.results.values()].sort((a, b) => a.seq - b.seq);
  if (results.length === 0) {
    throw new Error(
      'cellflow.saveInteractive(): no step has run in this kernel yet; run some step cells first.',
    );
  }
  const datastore = Datastore.open({ root: options.datastore, cwd });
  const flow = results[0].flow;
  const graph = results.find((r) => r.graph)?.graph ?? graphOf(results);
  const runId = datastore.newRunId();
  const now = new Date().toISOString();

  const written = new Set<string>();
  const persist = async (artifacts: ArtifactIndex) => {
    for (const ref of Object.values(artifacts)) {
      if (written.has(ref.sha256)) {
        continue;
      }
      const chunks = store.chunks(ref.sha256);
      if (!chunks) {
        throw new Error(`interactive artifact object ${ref.sha256} is missing`);
      }
      await datastore.objects.putChunks(chunks);
      written.add(ref.sha256);
    }
  };

  const params: Record<string, JsonValue> = {};
  for (const p of parameters) {
    params[p.name] = steps.parameters?.[p.name] ?? p.default;
  }
  const record: RunRecord = {
    flow,
    runId,
    user: currentUser(),
    tags: [...new Set(['interactive', ...(options.tags ?? [])])],
    params,
    status: 'running',
    createdAt: results[0].ranAt,
    graph,
    parameters,
    ...(notebook ? { input: notebook } : {}),
    scheduler: { pid: process.pid, host: os.hostname(), heartbeatAt: now },
  };
  datastore.writeRun(record);

  const taskIds = new Map(results.map((r, i) => [r.step, String(i + 1)]));
  const projectRoot = projectRootOf(cwd);
  const ownRoot = cellflowRoot();
  const inside = !path.relative(ownRoot, projectRoot).startsWith('..');
  for (const result of results) {
    await persist(result.artifacts);
    // The files the step's cells read, as a flow task records them (hashed now, at save time).
    const read = result.reads
      ? await captureInputs(result.reads, {
          objects: datastore.objects,
          cacheDir: path.join(datastore.cacheDir, 'inputs'),
          projectRoot,
          excluded: [
            ...(datastore.isLocal ? [datastore.root] : []),
            datastore.cacheDir,
            ...(inside ? [] : [ownRoot]),
          ],
          modules: new Set(Object.keys(require.cache)),
        })
      : undefined;
    const place = {
      flow,
      runId,
      step: result.step,
      taskId: taskIds.get(result.step)!,
      parents: result.parents
        .filter((p) => taskIds.has(p))
        .map((p) => `${flow}/${runId}/${p}/${taskIds.get(p)}`),
      foreachStack: result.foreach.map((f) => ({
        step: f.split,
        index: f.index,
        count: f.count,
        splitTask: `${flow}/${runId}/${f.split}/${taskIds.get(f.split)}`,
      })),
    };
    // One attempt, which ran when the step's latest cell did.
    const attempt = {
      attempt: 0,
      status: 'succeeded' as const,
      startedAt: result.ranAt,
      finishedAt: result.ranAt,
    };
    datastore.writeTask({
      ...newTaskRecord(place, {
        status: 'succeeded',
        attempts: [attempt],
        artifacts: result.artifacts,
        finishedAt: result.ranAt,
      }),
      ...(result.foreachCount !== undefined ? { foreachCount: result.foreachCount } : {}),
      ...(read ? { inputs: read.inputs, sources: read.sources } : {}),
    });
  }
  record.status = 'succeeded';
  record.finishedAt = new Date().toISOString();
  delete record.scheduler;
  datastore.writeRun(record);
  return Run.get(`${flow}/${runId}`, datastore);
}

/** A graph from the results alone, for notebooks the kernel could not read. */
function graphOf(results: StepResult[]): FlowGraph {
  const nodes: Record<string, GraphNode> = {};
  for (const r of results) {
    nodes[r.step] = {
      name: r.step,
      kind: 'linear',
      next: results.filter((c) => c.parents.includes(r.step)).map((c) => c.step),
      parents: r.parents,
      isJoin: r.parents.length > 1,
      foreachDepth: r.foreach.length,
      cell: r.cell ?? { index: 0, id: r.step },
      options: defaultStepOptions(),
    };
  }
  const order = results.map((r) => r.step);
  const entry = results.find((r) => r.parents.length === 0)?.step ?? order[0];
  const end =
    [...results].reverse().find((r) => nodes[r.step].next.length === 0)?.step ?? order[order.length - 1];
  nodes[entry].kind = 'entry';
  nodes[end].kind = 'end';
  return { entry, end, order, nodes };
}
