// switch:ARTIFACT end to end (DESIGN.md "Tag grammar"): real `cellflow run` and `resume` processes
// over real task processes and files. Conditional branches, loops that leave, loops that never leave
// (stopped by --max-iterations), bad switch values, joins after switches, and resume across a loop.
import * as fs from 'fs';
import * as path from 'path';
import { cellflow } from '../helpers/cli';
import { removeTempDir, tempDir, writeNotebook } from '../helpers/notebook';
import { Datastore } from '../../src/runtime/datastore/datastore';
import type { TaskRecord } from '../../src/runtime/records';
import { schemaErrors } from '../helpers/run-schema';

let work: string;
let home: string;

beforeAll(() => {
  work = tempDir();
  home = path.join(work, 'store');
});
afterAll(() => removeTempDir(work));

async function run(args: string[], env: Record<string, string> = {}) {
  const idFile = path.join(work, `run-id-${Date.now()}-${Math.random()}`);
  const result = await cellflow([...args, '--run-id-file', idFile], {
    env: { CELLFLOW_HOME: home, CELLFLOW_RETRY_BACKOFF_MS: '50', ...env },
  });
  const pathspec = fs.existsSync(idFile) ? fs.readFileSync(idFile, 'utf8').trim() : '';
  return { ...result, pathspec };
}

/** The run's task records (schema-checked), in task id order. */
function tasks(pathspec: string): TaskRecord[] {
  const [flow, runId] = pathspec.split('/');
  const found = Datastore.open({ root: home }).listTasks(flow, runId);
  for (const task of found) {
    expect(schemaErrors('task', task)).toEqual([]);
  }
  return found.sort((a, b) => Number(a.taskId) - Number(b.taskId));
}

function artifact(task: TaskRecord, name: string): unknown {
  return Datastore.open({ root: home }).loadArtifactSync(task.artifacts[name]);
}

function only(list: TaskRecord[], step: string): TaskRecord {
  const found = list.filter((t) => t.step === step);
  expect(found).toHaveLength(1);
  return found[0];
}

/** start → loop_step (switch: loop_step | exit_loop) → exit_loop → end. */
function counterLoop(name: string, loopBody: string): string {
  return writeNotebook(work, name, [
    { tags: ['step:start'], source: 'self.count = 0;' },
    {
      tags: ['step:loop_step', 'switch:loop_status', 'next:loop_step', 'next:exit_loop'],
      source: loopBody,
    },
    { tags: ['step:exit_loop'], source: 'console.log(`left the loop at ${self.count}`);' },
    { tags: ['step:end'], source: 'self.final = self.count;' },
  ]);
}

test('a loop whose switch leaves it runs each iteration as a new task and ends', async () => {
  const nb = counterLoop(
    'counter.ipynb',
    "self.count += 1;\nself.loop_status = self.count < 3 ? 'loop_step' : 'exit_loop';",
  );
  const result = await run(['run', nb]);
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  expect(result.stdout).toContain('left the loop at 3');
  const all = tasks(result.pathspec);
  const loops = all.filter((t) => t.step === 'loop_step');
  expect(loops.map((t) => t.iteration ?? 0)).toEqual([0, 1, 2]);
  expect(new Set(all.map((t) => t.taskId)).size).toBe(all.length);
  expect(loops.map((t) => artifact(t, 'count'))).toEqual([1, 2, 3]);
  expect(loops.map((t) => t.switchTaken)).toEqual(['loop_step', 'loop_step', 'exit_loop']);
  // Each iteration's parent is the previous iteration's task.
  expect(loops[1].parents).toEqual([`${result.pathspec}/loop_step/${loops[0].taskId}`]);
  expect(artifact(only(all, 'end'), 'final')).toBe(3);
  // The case not taken is said so.
  expect(result.stdout).toContain(
    `↷ step loop_step (task ${loops[2].taskId}) chose 'exit_loop'; not taken: 'loop_step'`,
  );
});

test('a loop that never leaves fails the run at --max-iterations, naming the step', async () => {
  const nb = counterLoop('forever.ipynb', "self.count += 1;\nself.loop_status = 'loop_step';");
  const result = await run(['run', nb, '--max-iterations', '5']);
  expect(result.code).toBe(1);
  expect(result.stdout).toContain(
    "✗ step loop_step would run a 6th time (the switch in step 'loop_step', task",
  );
  expect(result.stdout).toContain('the loop did not leave within --max-iterations 5');
  expect(result.stdout).toContain('✗ run failed');
  const all = tasks(result.pathspec);
  expect(all.filter((t) => t.step === 'loop_step')).toHaveLength(5);
  expect(all.some((t) => t.step === 'exit_loop')).toBe(false);
});

test('a switch value that names no successor fails the task, naming the allowed ones', async () => {
  const nb = writeNotebook(work, 'badcase.ipynb', [
    { tags: ['step:start', 'switch:mode', 'next:fast', 'next:slow'], source: "self.mode = 'medium';" },
    { tags: ['step:fast', 'next:end'], source: '' },
    { tags: ['step:slow', 'next:end'], source: '' },
    { tags: ['step:end'], source: '' },
  ]);
  const result = await run(['run', nb]);
  expect(result.code).toBe(1);
  expect(result.stdout).toContain(
    `switch:mode needs self.mode to be the name of one of the next steps ('fast', 'slow'), got "medium".`,
  );
  expect(tasks(result.pathspec).map((t) => t.step)).toEqual(['start']);
});

test('a switch runs one case; where its cases meet is a plain step; a join after a switch in a branch waits per branch', async () => {
  const nb = writeNotebook(work, 'branches.ipynb', [
    { tags: ['step:start', 'next:a', 'next:b'], source: "self.pick = 'd';" },
    { tags: ['step:a', 'switch:pick', 'next:c', 'next:d'], source: '' },
    { tags: ['step:b', 'next:join'], source: "self.side = 'b';" },
    { tags: ['step:c', 'next:join'], source: "self.side = 'c';" },
    { tags: ['step:d', 'next:join'], source: "self.side = 'd';" },
    { tags: ['step:join'], source: 'self.sides = inputs.map((i) => i.side);' },
    { tags: ['step:choose', 'switch:size', 'next:small', 'next:large'], source: "self.size = 'large';" },
    { tags: ['step:small', 'next:end'], source: "self.label = 'small';" },
    { tags: ['step:large', 'next:end'], source: "self.label = 'large';" },
    { tags: ['step:end'], source: "console.log(self.label, self.sides.join('+'));" },
  ]);
  const result = await run(['run', nb]);
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  const all = tasks(result.pathspec);
  expect(all.map((t) => t.step).sort()).toEqual(['a', 'b', 'choose', 'd', 'end', 'join', 'large', 'start']);
  expect(artifact(only(all, 'join'), 'sides')).toEqual(['d', 'b']);
  expect(only(all, 'end').parents).toEqual([`${result.pathspec}/large/${only(all, 'large').taskId}`]);
  expect(result.stdout).toContain('large d+b');
  expect(result.stdout).toMatch(/chose 'large'; not taken: 'small'/);
});

test('a loop inside a foreach body: each element loops its own number of times, then the join', async () => {
  const nb = writeNotebook(work, 'foreach-loop.ipynb', [
    { tags: ['step:start', 'foreach:items'], source: 'self.items = [1, 3, 2];' },
    { tags: ['step:prepare'], source: 'self.left = self.input;\nself.steps = 0;' },
    {
      tags: ['step:work', 'switch:again', 'next:work', 'next:done'],
      source: "self.left -= 1;\nself.steps += 1;\nself.again = self.left > 0 ? 'work' : 'done';",
    },
    { tags: ['step:done'], source: '' },
    { tags: ['step:gather'], source: 'self.steps = inputs.map((i) => i.steps);' },
    { tags: ['step:end'], source: '' },
  ]);
  // The limit counts per foreach element: the element that loops 3 times is within it.
  const result = await run(['run', nb, '--max-iterations', '3']);
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  const all = tasks(result.pathspec);
  expect(all.filter((t) => t.step === 'work')).toHaveLength(6);
  expect(artifact(only(all, 'gather'), 'steps')).toEqual([1, 3, 2]);
});

test('resume across a loop clones the earlier iterations and re-runs from the failed one', async () => {
  const nb = counterLoop(
    'flaky-loop.ipynb',
    [
      'self.count += 1;',
      "if (self.count === 3 && !process.env.LOOP_FIXED) throw new Error('iteration 3 broke');",
      "self.loop_status = self.count < 5 ? 'loop_step' : 'exit_loop';",
    ].join('\n'),
  );
  const failed = await run(['run', nb]);
  expect(failed.code).toBe(1);
  expect(failed.stdout).toContain('iteration 3 broke');
  const origin = tasks(failed.pathspec);
  const before = origin.filter((t) => t.step === 'loop_step');
  expect(before.map((t) => t.status)).toEqual(['succeeded', 'succeeded', 'failed']);

  const resumed = await run(['resume', failed.pathspec], { LOOP_FIXED: '1' });
  expect(resumed.stderr).toBe('');
  expect(resumed.code).toBe(0);
  const after = tasks(resumed.pathspec);
  const loops = after.filter((t) => t.step === 'loop_step');
  expect(loops.map((t) => artifact(t, 'count'))).toEqual([1, 2, 3, 4, 5]);
  expect(loops.map((t) => t.iteration ?? 0)).toEqual([0, 1, 2, 3, 4]);
  // Iterations 0 and 1 are the origin's tasks; 2 (the failed one) and later ran again.
  expect(loops.map((t) => t.reusedFrom)).toEqual([
    `${failed.pathspec}/loop_step/${before[0].taskId}`,
    `${failed.pathspec}/loop_step/${before[1].taskId}`,
    undefined,
    undefined,
    undefined,
  ]);
  expect(only(after, 'start').reusedFrom).toBe(`${failed.pathspec}/start/${only(origin, 'start').taskId}`);
  expect(artifact(only(after, 'end'), 'final')).toBe(5);
});
