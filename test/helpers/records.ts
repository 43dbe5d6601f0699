// Builders for run and task records shaped like what a real run writes (start → end, one parameter).
import type { FlowGraph, GraphNode } from '../../src/core/model';
import type { ArtifactIndex, RunRecord, TaskRecord } from '../../src/runtime/records';

function node(
  name: string,
  kind: GraphNode['kind'],
  next: string[],
  parents: string[],
  index: number,
): GraphNode {
  return {
    name,
    kind,
    next,
    parents,
    isJoin: false,
    foreachDepth: 0,
    cell: { index, id: `cell-${name}` },
    options: { retry: 0, resources: {}, env: {} },
  };
}

export function linearGraph(): FlowGraph {
  return {
    entry: 'start',
    end: 'end',
    order: ['start', 'end'],
    nodes: { start: node('start', 'entry', ['end'], [], 1), end: node('end', 'end', [], ['start'], 2) },
  };
}

export function runRecord(flow: string, runId: string, overrides: Partial<RunRecord> = {}): RunRecord {
  return {
    flow,
    runId,
    user: 'alice',
    tags: [],
    params: { alpha: 0.5 },
    status: 'succeeded',
    createdAt: '2024-05-01T10:00:00.000Z',
    finishedAt: '2024-05-01T10:00:03.500Z',
    graph: linearGraph(),
    parameters: [{ name: 'alpha', type: 'number', default: 0.1, cell: { index: 0, id: 'params' }, line: 1 }],
    ...overrides,
  };
}

export function taskRecord(
  flow: string,
  runId: string,
  step: string,
  taskId: string,
  artifacts: ArtifactIndex,
  overrides: Partial<TaskRecord> = {},
): TaskRecord {
  return {
    flow,
    runId,
    step,
    taskId,
    status: 'succeeded',
    attempts: [
      {
        attempt: 0,
        status: 'succeeded',
        startedAt: '2024-05-01T10:00:01.000Z',
        finishedAt: '2024-05-01T10:00:02.000Z',
        pid: 4242,
      },
    ],
    artifacts,
    parents: [],
    foreachStack: [],
    startedAt: '2024-05-01T10:00:01.000Z',
    finishedAt: '2024-05-01T10:00:02.000Z',
    ...overrides,
  };
}
