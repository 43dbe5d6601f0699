import { ReplyRouter } from '../../src/lab/reply-router';

test('replies reach the request with their id; events stream before the final result', async () => {
  const router = new ReplyRouter('t');
  const events: unknown[] = [];
  const first = router.open((e) => events.push(e));
  const second = router.open();
  expect(first.id).not.toBe(second.id);
  expect(router.dispatch({ id: first.id, event: 'started', pathspec: 'Hello/1' })).toBe(true);
  expect(
    router.dispatch({ id: first.id, event: 'task', task: { step: 'start', taskId: '1', status: 'running' } }),
  ).toBe(true);
  expect(router.dispatch({ id: second.id, ok: false, error: "no run 'Hello/9'" })).toBe(true);
  expect(
    router.dispatch({ id: first.id, ok: true, result: { pathspec: 'Hello/1', status: 'succeeded' } }),
  ).toBe(true);
  await expect(first.done).resolves.toEqual({ pathspec: 'Hello/1', status: 'succeeded' });
  await expect(second.done).rejects.toThrow("no run 'Hello/9'");
  expect(events).toHaveLength(2);
  expect(router.size).toBe(0);
});

test('messages that are not replies, or answer nothing pending, are ignored', () => {
  const router = new ReplyRouter('t');
  expect(router.dispatch(null)).toBe(false);
  expect(router.dispatch('text')).toBe(false);
  expect(router.dispatch({ id: 'x' })).toBe(false);
  expect(router.dispatch({ id: 'unknown', ok: true, result: 1 })).toBe(false);
});

test('failAll rejects every pending request with the reason', async () => {
  const router = new ReplyRouter('t');
  const a = router.open();
  const b = router.open();
  router.failAll('the kernel is restarting');
  await expect(a.done).rejects.toThrow('the kernel is restarting');
  await expect(b.done).rejects.toThrow('the kernel is restarting');
  expect(router.size).toBe(0);
});

test('a silent kernel times a request out; each event re-arms the timeout', async () => {
  const router = new ReplyRouter('t');
  const quiet = router.open(undefined, 30);
  await expect(quiet.done).rejects.toThrow('did not answer within 0.03 s');
  const chatty = router.open(() => undefined, 60);
  for (let i = 0; i < 4; i++) {
    await new Promise((r) => setTimeout(r, 30));
    router.dispatch({ id: chatty.id, event: 'log', line: `line ${i}` }, 60);
  }
  router.dispatch({ id: chatty.id, ok: true, result: null });
  await expect(chatty.done).resolves.toBeNull();
});
