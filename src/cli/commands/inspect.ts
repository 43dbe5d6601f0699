// `cellflow inspect RUN[/STEP[/TASK]] [--artifact NAME] [--json]`: a run's summary, a step's tasks,
// a task's artifacts, or one artifact's value.
import type { Command } from 'commander';
import { Run } from '../../client/run';
import { Step } from '../../client/step';
import { Task } from '../../client/task';
import {
  Datastore,
  parsePathspec,
  PathspecError,
  type ReproductionVerdict,
  type RunRecord,
} from '../../runtime';
import { driftSummary as driftDetails } from '../../core/drift-summary';
import type { DriftRecord } from '../../runtime';
import { artifactAsJson, describeArtifact } from './artifact-view';
import { countStatuses, elapsed, formatDuration, formatTime, renderTable, runEndedAt } from './display';
import type { CliIO } from '../io';

interface InspectOptions {
  artifact?: string;
  json?: boolean;
}

export function registerInspect(program: Command, io: CliIO): void {
  program
    .command('inspect')
    .description("show a run's summary, a step's tasks, a task's artifacts, or one artifact's value")
    .argument('<pathspec>', 'Flow/runId, Flow/runId/step or Flow/runId/step/taskId')
    .option('--artifact <name>', "print this artifact's value (of the task, or of a run's end task)")
    .option('--json', 'print JSON')
    .action(async (pathspec: string, options: InspectOptions) => {
      io.stdout(await inspectPathspec(Datastore.open(), pathspec, options));
    });
}

export async function inspectPathspec(
  datastore: Datastore,
  pathspec: string,
  options: InspectOptions,
): Promise<string> {
  const spec = parsePathspec(pathspec);
  if (!spec.runId) {
    throw new PathspecError(
      `inspect needs a run: Flow/runId[/step[/taskId]], not ${JSON.stringify(pathspec)}`,
    );
  }
  if (spec.taskId) {
    const task = Task.get(pathspec, datastore);
    return options.artifact !== undefined
      ? showArtifact(task, options.artifact, options.json)
      : showTask(task, options.json);
  }
  if (spec.step) {
    if (options.artifact !== undefined) {
      throw new PathspecError('--artifact needs a run or a task pathspec, not a step');
    }
    return showStep(Step.get(pathspec, datastore), options.json);
  }
  const run = Run.get(pathspec, datastore);
  if (options.artifact !== undefined) {
    const end = run.endTask;
    if (!end) {
      await run.data(options.artifact);
    } // throws the Client API's explanation
    return showArtifact(end!, options.artifact, options.json);
  }
  return showRun(run, options.json);
}

function showRun(run: Run, json?: boolean): string {
  const record = run.record;
  const steps = run.steps().map((step) => {
    const tasks = step.tasks();
    return {
      name: step.name,
      tasks: tasks.length,
      status: countStatuses(tasks.map((t) => t.status)),
      startedAt: step.startedAt?.toISOString(),
      finishedAt: step.finishedAt?.toISOString(),
    };
  });
  if (json) {
    return JSON.stringify({ ...record, status: run.status, steps }, null, 2) + '\n';
  }
  const lines = [
    `Run ${run.pathspec}  ${run.status}`,
    `  user      ${record.user}`,
    `  started   ${formatTime(record.createdAt)}`,
    `  finished  ${formatTime(record.finishedAt)}  (${formatDuration(elapsed(record.createdAt, runEndedAt(record, run.status)))})`,
    `  params    ${formatParams(record.params)}`,
    `  tags      ${record.tags.length ? record.tags.join(', ') : '-'}`,
  ];
  if (record.origin) {
    const from = record.origin.fromStep ? ` from step ${record.origin.fromStep}` : '';
    const verdict = record.origin.verdict ? ` (${record.origin.verdict.result})` : '';
    lines.push(`  origin    ${record.origin.kind} of ${record.origin.pathspec}${from}${verdict}`);
    lines.push(...verdictLines(record.origin.verdict));
  }
  lines.push(...reproducibilityLines(record));
  const table = renderTable(
    ['STEP', 'TASKS', 'STATUS', 'DURATION'],
    steps.map((s) => [s.name, String(s.tasks), s.status, formatDuration(elapsed(s.startedAt, s.finishedAt))]),
  );
  return `${lines.join('\n')}\n\n${indent(table)}`;
}

/** A reproduction's verdict: counts, the first difference with both values, the explanation. */
function verdictLines(verdict: ReproductionVerdict | undefined): string[] {
  if (!verdict) {
    return [];
  }
  const lines = [
    `  verdict   ${verdict.result}: ${verdict.identical} identical, ${verdict.different} different, ${verdict.missing} missing, ${verdict.added} added`,
  ];
  const first = verdict.first;
  if (first) {
    lines.push(
      `  first     step ${first.step}${first.task ? ` task ${first.task} ${first.position ?? ''}`.trimEnd() : ''}, ${first.artifact} ${first.verdict}: ${first.original ?? '-'} → ${first.reproduced ?? '-'}`,
    );
  }
  if (verdict.explanation) {
    lines.push(`  why       ${verdict.explanation}`);
  }
  for (const known of verdict.known ?? []) {
    lines.push(`  known     ${known}`);
  }
  return lines;
}

function showStep(step: Step, json?: boolean): string {
  const tasks = step.tasks();
  if (json) {
    return (
      JSON.stringify(
        tasks.map((task) => task.record),
        null,
        2,
      ) + '\n'
    );
  }
  const table = renderTable(
    ['TASK', 'STATUS', 'ATTEMPTS', 'STARTED', 'DURATION', 'FOREACH', 'ARTIFACTS'],
    tasks.map((task) => [
      task.pathspec,
      task.status,
      String(task.attempts.length),
      formatTime(task.record.startedAt),
      formatDuration(elapsed(task.record.startedAt, task.record.finishedAt)),
      task.index === undefined ? '-' : String(task.index),
      String(task.artifacts().length),
    ]),
  );
  return `Step ${step.pathspec}  ${countStatuses(tasks.map((t) => t.status))}\n\n${indent(table)}`;
}

function showTask(task: Task, json?: boolean): string {
  const record = task.record;
  if (json) {
    return JSON.stringify(record, null, 2) + '\n';
  }
  const lines = [
    `Task ${task.pathspec}  ${task.status}`,
    `  started   ${formatTime(record.startedAt)}`,
    `  finished  ${formatTime(record.finishedAt)}  (${formatDuration(elapsed(record.startedAt, record.finishedAt))})`,
    `  parents   ${record.parents.length ? record.parents.join(', ') : '-'}`,
  ];
  for (const frame of record.foreachStack) {
    lines.push(`  foreach   element ${frame.index} of ${frame.count} (split by ${frame.step})`);
  }
  if (record.reusedFrom) {
    lines.push(`  reused    from ${record.reusedFrom}`);
  }
  for (const attempt of record.attempts) {
    const where = attempt.error?.cell
      ? ` at cell ${attempt.error.cell.index} (${attempt.error.cell.id})${attempt.error.line ? ` line ${attempt.error.line}` : ''}`
      : '';
    const error = attempt.error ? `: ${attempt.error.message}${where}` : '';
    lines.push(`  attempt ${attempt.attempt} ${attempt.status}${error}`);
  }
  const names = task.artifacts();
  const table = names.length
    ? indent(
        renderTable(
          ['ARTIFACT', 'CODEC', 'BYTES', 'SHA256'],
          names.map((name) => {
            const ref = task.artifact(name);
            return [name, ref.codec, String(ref.bytes), ref.sha256.slice(0, 12)];
          }),
        ),
      )
    : `  ${task.finished ? 'no artifacts' : 'artifacts appear when the task finishes'}\n`;
  return `${lines.join('\n')}\n\n${table}`;
}

async function showArtifact(task: Task, name: string, json?: boolean): Promise<string> {
  const ref = task.artifact(name);
  const value = await task.data(name);
  if (json) {
    return JSON.stringify(artifactAsJson(ref, value), null, 2) + '\n';
  }
  return describeArtifact(name, ref, value);
}

/** What a user asks first of a past run: which seed, which commit, and were the packages as locked. */
function reproducibilityLines(record: RunRecord): string[] {
  const lines = [`  seed      ${record.seed ?? '-'}`];
  const git = record.source?.git;
  if (git) {
    const dirty = git.dirty.length
      ? ` (+${git.dirty.length} uncommitted ${git.dirty.length === 1 ? 'file' : 'files'})`
      : '';
    lines.push(
      `  git       ${git.head ?? '(no commit yet)'}${git.branch ? ` on ${git.branch}` : ''}${dirty}`,
    );
    lines.push(`  snapshot  ${git.snapshot.commit} (${git.snapshot.ref})`);
  } else if (record.source) {
    lines.push(`  git       -${record.source.gitError ? ` (${record.source.gitError})` : ''}`);
  }
  if (record.lockfile) {
    lines.push(`  drift     ${driftSummary(record.lockfile.drift)}`);
  }
  return lines;
}

function driftSummary(drift: DriftRecord): string {
  if (!drift.checked) {
    return 'not checked (no node_modules)';
  }
  const parts = [
    [drift.changed.length, 'changed'],
    [drift.missing.length, 'missing'],
    [drift.extraneous.length, 'extraneous'],
  ].filter(([count]) => count) as [number, string][];
  const details = driftDetails(drift);
  return parts.length
    ? `${parts.map(([count, what]) => `${count} ${what}`).join(', ')} against the lockfile${details ? ` (${details})` : ''}`
    : 'none: node_modules matched the lockfile';
}

function formatParams(params: Record<string, unknown>): string {
  const entries = Object.entries(params);
  return entries.length ? entries.map(([key, value]) => `${key}=${JSON.stringify(value)}`).join(' ') : '-';
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((line) => (line ? `  ${line}` : line))
    .join('\n');
}
