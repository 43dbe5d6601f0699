// The flows the Slurm engine tests run, and what they compare: a foreach of 3 whose artifacts a Slurm
// run must give exactly as a local run does.
import type { CellSpec } from './notebook';
import { taskKey } from '../../src/runtime/execution/scheduler';
import type { TaskRecord } from '../../src/runtime/records';

export const FANOUT: CellSpec[] = [
  { tags: ['step:start', 'foreach:items'], source: 'self.items = [1, 2, 3];' },
  {
    tags: ['step:body', 'resources:cpu=1', 'timeout:120'],
    source: 'self.sq = self.input * self.input;\nconsole.log("sq", self.sq);',
  },
  { tags: ['step:gather'], source: 'self.all = inputs.map((i) => i.sq);' },
  { tags: ['step:end'], source: 'self.total = self.all.reduce((a, b) => a + b, 0);' },
];

/** FANOUT whose element 1 fails while the file `marker` exists. */
export function fanoutFailingWhile(marker: string): CellSpec[] {
  return [
    FANOUT[0],
    {
      tags: ['step:body'],
      source: `if (self.index === 1 && require('fs').existsSync(${JSON.stringify(marker)})) throw new Error('element 1 fails');\nself.sq = self.input * self.input;`,
    },
    FANOUT[2],
    FANOUT[3],
  ];
}

/** Every task's artifacts by step and foreach position: what must equal a local run's. */
export function artifactsByPosition(tasks: TaskRecord[]): Record<string, Record<string, string>> {
  const out: Record<string, Record<string, string>> = {};
  for (const t of tasks) {
    out[taskKey(t.step, t.foreachStack)] = Object.fromEntries(
      Object.entries(t.artifacts).map(([name, a]) => [name, a.sha256]),
    );
  }
  return out;
}
