// A run as an executed notebook, as papermill writes one: the exact notebook the run was made from
// (its reproducibility record keeps it), each step's cell holding the outputs its tasks recorded
// (a foreach body's tasks one after another, each under a line naming it), execution counts in the
// order the steps started, and the run's facts in the notebook's and cells' `cellflow` metadata.
// Tasks from before outputs were kept show their logs and error instead.
import * as fs from 'fs';
import * as path from 'path';
import type { JsonValue } from '../core/model';
import { appendStream, errorOutput, type NotebookOutput } from '../core/notebook-outputs';
import { UserInputError } from '../runtime';
import type { Run } from './run';
import type { Task } from './task';

interface NotebookCell {
  cell_type: string;
  id?: string;
  source: string | string[];
  metadata: Record<string, JsonValue>;
  outputs?: NotebookOutput[];
  execution_count?: number | null;
}

export interface NotebookJson {
  cells: NotebookCell[];
  metadata: Record<string, JsonValue>;
  nbformat: number;
  nbformat_minor: number;
}

/** The run's notebook with every step's outputs from this run. */
export async function executedNotebook(run: Run): Promise<NotebookJson> {
  const record = run.record;
  const source = record.source?.notebook;
  if (!source) {
    throw new UserInputError(
      `run ${run.pathspec} was not made from a notebook (or its record keeps no copy of it): there is no notebook to fill in`,
    );
  }
  const notebook = JSON.parse(
    (await run.datastore.objects.get(source.sha256, `the notebook of ${run.pathspec}`)).toString('utf8'),
  ) as NotebookJson;

  const stepOfCell = new Map<string, string>();
  for (const node of Object.values(record.graph.nodes)) {
    stepOfCell.set(node.cell.id, node.name);
  }
  const tasksByStep = new Map<string, Task[]>();
  for (const step of run.steps()) {
    tasksByStep.set(step.name, [...step.tasks()].sort(byForeachPosition));
  }
  // Execution counts follow the order the steps started, as the cells ran.
  const started = [...tasksByStep]
    .filter(([, tasks]) => tasks.length > 0)
    .map(([step, tasks]) => ({ step, at: Math.min(...tasks.map((t) => t.startedAt?.getTime() ?? Infinity)) }))
    .sort((a, b) => a.at - b.at);
  const executionCount = new Map(started.map(({ step }, i) => [step, i + 1]));

  for (const [index, cell] of notebook.cells.entries()) {
    if (cell.cell_type !== 'code') {
      continue;
    }
    const step = stepOfCell.get(cell.id ?? '') ?? stepAtIndex(record.graph.nodes, index);
    const tasks = step ? (tasksByStep.get(step) ?? []) : [];
    cell.outputs = await cellOutputs(tasks);
    cell.execution_count = step ? (executionCount.get(step) ?? null) : null;
    if (step) {
      cell.metadata = {
        ...cell.metadata,
        cellflow: {
          ...asObject(cell.metadata.cellflow),
          execution: {
            step,
            status: stepStatus(tasks),
            tasks: tasks.map((task) => ({ pathspec: task.pathspec, status: task.status })),
          },
        },
      };
    }
  }
  notebook.metadata = {
    ...notebook.metadata,
    cellflow: {
      // The same flow under another file name: its panel and run browser are the run's flow's.
      flow: run.flow,
      ...asObject(notebook.metadata.cellflow),
      execution: {
        run: run.pathspec,
        status: run.status,
        user: record.user,
        parameters: record.params,
        start_time: record.createdAt,
        ...(record.finishedAt ? { end_time: record.finishedAt } : {}),
      },
    },
  };
  return notebook;
}

/** `<notebook stem>-<runId>.ipynb`: beside each other, a notebook's executed runs sort together. */
export function executedNotebookName(run: Run): string {
  const notebook = run.record.source?.notebook?.path ?? `${run.flow}.ipynb`;
  return `${path.basename(notebook, '.ipynb')}-${run.id}.ipynb`;
}

/** nbformat's own file layout: one-space indent, a final newline. */
export function notebookText(notebook: NotebookJson): string {
  return `${JSON.stringify(notebook, null, 1)}\n`;
}

/** Writes the run's executed notebook to `file`; never over the notebook the run was made from. */
export async function writeExecutedNotebook(run: Run, file: string): Promise<void> {
  if (run.record.input && path.resolve(run.record.input) === path.resolve(file)) {
    throw new UserInputError(
      `${file} is the notebook run ${run.pathspec} was made from: give another file with -o`,
    );
  }
  const text = notebookText(await executedNotebook(run));
  try {
    fs.writeFileSync(file, text);
  } catch (error) {
    throw new UserInputError(`cannot write the executed notebook to ${file}: ${(error as Error).message}`);
  }
}

async function cellOutputs(tasks: Task[]): Promise<NotebookOutput[]> {
  const outputs: NotebookOutput[] = [];
  for (const task of tasks) {
    if (tasks.length > 1) {
      appendStream(outputs, 'stdout', `── ${task.pathspec}${position(task)} ──\n`);
    }
    const own = task.record.outputs ? await task.outputs() : await outputsFromLogs(task);
    for (const output of own) {
      if (output.output_type === 'stream') {
        appendStream(outputs, output.name, output.text);
      } else {
        outputs.push(output);
      }
    }
  }
  return outputs;
}

/** A task recorded before outputs were kept: its logs as streams and its error, if it failed. */
async function outputsFromLogs(task: Task): Promise<NotebookOutput[]> {
  const outputs: NotebookOutput[] = [];
  appendStream(outputs, 'stdout', await task.log('stdout'));
  appendStream(outputs, 'stderr', await task.log('stderr'));
  const error = task.attempts.at(-1)?.error;
  if (task.status === 'failed' && error) {
    outputs.push(errorOutput(error.type ?? 'Error', error.message, error.stack));
  }
  return outputs;
}

function byForeachPosition(a: Task, b: Task): number {
  const left = a.record.foreachStack.map((f) => f.index);
  const right = b.record.foreachStack.map((f) => f.index);
  for (let i = 0; i < Math.max(left.length, right.length); i++) {
    const order = (left[i] ?? -1) - (right[i] ?? -1);
    if (order !== 0) {
      return order;
    }
  }
  return (
    (a.record.iteration ?? 0) - (b.record.iteration ?? 0) ||
    a.record.taskId.localeCompare(b.record.taskId, undefined, { numeric: true })
  );
}

function position(task: Task): string {
  const frames = task.record.foreachStack;
  const where = frames.map((f) => `${f.index + 1} of ${f.count}`).join(', ');
  const loop = task.record.iteration ? `iteration ${task.record.iteration + 1}` : '';
  const text = [where && `element ${where}`, loop].filter(Boolean).join(', ');
  return text ? ` · ${text}` : '';
}

function stepStatus(tasks: Task[]): string {
  if (tasks.length === 0) {
    return 'not run';
  }
  for (const status of ['failed', 'running', 'cancelled'] as const) {
    if (tasks.some((t) => t.status === status)) {
      return status;
    }
  }
  return tasks.every((t) => t.status === 'succeeded') ? 'succeeded' : tasks[0].status;
}

/** Graphs record each step's cell id; a notebook without ids matches by index. */
function stepAtIndex(
  nodes: Record<string, { name: string; cell: { index: number } }>,
  index: number,
): string | undefined {
  return Object.values(nodes).find((node) => node.cell.index === index)?.name;
}

function asObject(value: JsonValue | undefined): Record<string, JsonValue> {
  return value && typeof value === 'object' && !Array.isArray(value) ? value : {};
}
