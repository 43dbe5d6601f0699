import { LiveRunState, stepStatuses, stepStatusOf } from '../../src/lab/run-status';

test('a step shows failure first, then work in progress, then success', () => {
  expect(stepStatusOf([])).toBeUndefined();
  expect(stepStatusOf(['succeeded', 'succeeded'])).toBe('succeeded');
  expect(stepStatusOf(['succeeded', 'running', 'pending'])).toBe('running');
  expect(stepStatusOf(['running', 'failed', 'succeeded'])).toBe('failed');
  expect(stepStatusOf(['pending', 'succeeded'])).toBe('pending');
});

test('foreach tasks fold into one status per step', () => {
  expect(
    stepStatuses([
      { step: 'start', status: 'succeeded' },
      { step: 'body', status: 'succeeded' },
      { step: 'body', status: 'running' },
      { step: 'body', status: 'succeeded' },
    ]),
  ).toEqual({ start: 'succeeded', body: 'running' });
});

test('a live run keeps the latest status of each task', () => {
  const live = new LiveRunState();
  live.update({ step: 'start', taskId: '1', status: 'running' });
  live.update({ step: 'a', taskId: '2', status: 'pending' });
  live.update({ step: 'start', taskId: '1', status: 'succeeded' });
  live.update({ step: 'a', taskId: '2', status: 'running' });
  expect(live.steps()).toEqual({ start: 'succeeded', a: 'running' });
});

test('events older than the last one applied are dropped: a late "running" cannot undo "succeeded"', () => {
  const live = new LiveRunState();
  expect(live.accept(1)).toBe(true);
  live.update({ step: 'start', taskId: '1', status: 'running' });
  expect(live.accept(3)).toBe(true);
  live.update({ step: 'start', taskId: '1', status: 'succeeded' });
  expect(live.accept(2)).toBe(false);
  expect(live.accept(3)).toBe(false);
  expect(live.steps()).toEqual({ start: 'succeeded' });
  expect(live.running).toBe(true);
  live.finalStatus = 'cancelled';
  expect(live.running).toBe(false);
});
