// The scrontab text deploy writes, without a cluster: the flow's block, its quoting, and how it is
// replaced or taken away among the user's own lines.
import { cronBlock, flowBlock, shellQuote, withFlowBlock } from '../../../src/runtime/engines/scrontab';

const entry = {
  flow: 'nightly',
  schedule: '0 3 * * *',
  command: [
    '/usr/bin/node',
    '/opt/cellflow/bin/cellflow.js',
    'run',
    "/home/a/it's.ipynb",
    '--engine',
    'slurm',
  ],
  env: { NODE_PATH: '/opt/node modules' },
  chdir: '/home/a',
  output: '/home/a/.cellflow/cache/slurm/nightly/cron-%j.out',
  partition: 'batch',
};
const USER = '# mine\nSHELL=/bin/bash\n#SCRON --job-name=mine\n30 4 * * * true\n';

describe('scrontab text', () => {
  test('a block: markers, #SCRON options, the command quoted for /bin/sh', () => {
    expect(cronBlock(entry).split('\n')).toEqual([
      '# cellflow:begin nightly (written by cellflow deploy --engine slurm; --remove takes it away)',
      '#SCRON --job-name=cellflow-nightly --chdir=/home/a --output=/home/a/.cellflow/cache/slurm/nightly/cron-%j.out --partition=batch',
      "0 3 * * * NODE_PATH='/opt/node modules' /usr/bin/node /opt/cellflow/bin/cellflow.js run '/home/a/it'\\''s.ipynb' --engine slurm",
      '# cellflow:end nightly',
      '',
    ]);
    expect(shellQuote('$HOME')).toBe("'$HOME'");
  });

  test('a path with a blank cannot be a #SCRON option', () => {
    expect(() => cronBlock({ ...entry, chdir: '/home/a b' })).toThrow(
      /working folder '\/home\/a b' has a blank/,
    );
  });

  test('appended after the user lines, replaced in place, removed leaving them as they were', () => {
    const block = cronBlock(entry);
    const installed = withFlowBlock(USER, 'nightly', block);
    expect(installed).toBe(USER + block);
    expect(flowBlock(installed, 'nightly')).toBe(block);
    expect(flowBlock(installed, 'night')).toBeUndefined();
    const other = cronBlock({ ...entry, flow: 'weekly', schedule: '@weekly' });
    const both = withFlowBlock(installed, 'weekly', other) + '# after\n';
    const newer = cronBlock({ ...entry, schedule: '*/5 * * * *' });
    expect(withFlowBlock(both, 'nightly', newer)).toBe(USER + newer + other + '# after\n');
    expect(withFlowBlock(both, 'nightly', undefined)).toBe(USER + other + '# after\n');
    expect(withFlowBlock(withFlowBlock(installed, 'nightly', undefined), 'weekly', undefined)).toBe(USER);
    expect(withFlowBlock(block, 'nightly', undefined)).toBe('');
    expect(withFlowBlock('', 'nightly', block)).toBe(block);
  });

  test('a line the controller disabled inside the block goes with it', () => {
    const disabled = cronBlock(entry).replace('\n0 3', '\n#DISABLED: 0 3');
    expect(withFlowBlock(USER + disabled, 'nightly', undefined)).toBe(USER);
  });
});
