// `cellflow serve` as a user runs it: a real process on a loopback port, real HTTP, real signals.
// Every acknowledged prediction must be in the log (SIGTERM and SIGKILL alike: the log is group
// committed before a request is answered) and must replay identically.
import * as path from 'path';
import { redactFields } from '../../src/runtime/repro/capture/secrets';
import { cellflow, REPO } from '../helpers/cli';
import {
  churnRequest,
  post,
  runFlow,
  startServer,
  stop,
  tempHome,
  type Answer,
  type Served,
} from './serve-helpers';

const CHURN = path.join(REPO, 'examples', 'churn.ipynb');
const SCORER = path.join(REPO, 'test', 'fixtures', 'serve', 'scorer.ipynb');

let home: string;
let churnRun: string;
let scorerRun: string;
const servers: Served[] = [];

async function serve(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Served> {
  const served = await startServer(args, { CELLFLOW_HOME: home, ...env });
  servers.push(served);
  return served;
}

async function loggedIds(
  flow: string,
): Promise<Map<string, { status: number; response: unknown; request: unknown }>> {
  const listed = await cellflow(['predictions', flow, '--json'], { env: { CELLFLOW_HOME: home } });
  expect(listed.code).toBe(0);
  const records = JSON.parse(listed.stdout) as {
    id: string;
    status: number;
    response: unknown;
    request: unknown;
  }[];
  return new Map(records.map((r) => [r.id, r]));
}

beforeAll(async () => {
  home = tempHome();
  churnRun = await runFlow(CHURN, home);
  scorerRun = await runFlow(SCORER, home);
}, 180_000);

afterAll(() => servers.forEach(stop));

test('churn: GET / describes the run, concurrent predictions are answered, SIGTERM loses none, each replays identically', async () => {
  const served = await serve(['churn']); // FLOW: its latest successful run
  const index = (await (await fetch(`${served.url}/`)).json()) as {
    run: string;
    endpoints: { name: string; request: { fields: { name: string }[] } }[];
  };
  expect(index.run).toBe(churnRun);
  expect(index.endpoints.map((e) => e.name)).toEqual(['predict']);
  expect(index.endpoints[0].request.fields.map((f) => f.name)).toEqual([
    'tenure_months',
    'monthly_charges',
    'support_calls',
    'contract_monthly',
  ]);
  expect(await (await fetch(`${served.url}/health`)).json()).toEqual({ status: 'ok', run: churnRun });

  const first = await Promise.all(
    Array.from({ length: 30 }, (_, i) => post(`${served.url}/predict`, JSON.stringify(churnRequest(i)))),
  );
  expect(first.map((a) => a.status)).toEqual(first.map(() => 200));
  expect(first.every((a) => a.run === churnRun && a.id !== null)).toBe(true);
  expect(first[0].body).toMatchObject({ model: expect.any(String), churn: expect.any(Boolean) });
  const secret = await post(
    `${served.url}/predict`,
    JSON.stringify({ ...churnRequest(99), api_token: 'hunter2-hunter2' }),
  );
  expect(secret.status).toBe(200);

  // A second wave, and SIGTERM while it is in flight: whatever was answered 200 is in the log.
  const wave = Array.from({ length: 40 }, (_, i) =>
    post(`${served.url}/predict`, JSON.stringify(churnRequest(100 + i))).catch(() => undefined),
  );
  await wave[0];
  served.child.kill('SIGTERM');
  const second = (await Promise.all(wave)).filter((a): a is Answer => a !== undefined && a.status === 200);
  expect(await served.exited).toBe(0);
  expect(served.stderr()).toContain('SIGTERM: finishing requests in flight');

  const logged = await loggedIds('churn');
  for (const answer of [...first, secret, ...second]) {
    expect(logged.get(answer.id!)).toMatchObject({ status: 200, response: answer.body });
  }
  expect(logged.get(secret.id!)!.request).toMatchObject({
    api_token: '[redacted]',
    tenure_months: (99 * 7) % 72,
  });

  for (const answer of [first[0], first[29], second.at(-1) ?? first[1]]) {
    const replay = await cellflow(['replay', answer.id!], { env: { CELLFLOW_HOME: home } });
    expect(replay.stdout).toContain('identical: status 200');
    expect(replay.code).toBe(0);
  }
}, 120_000);

test('the log holds each request as the function received it: as sent without secret-looking fields, redacted at any depth with them', async () => {
  const served = await serve([churnRun]);
  const plain = {
    ...churnRequest(1),
    meta: { source: 'web', note: 'my token is in no key', tags: ['a', { b: -0.5 }] },
  };
  const nested = {
    ...churnRequest(2),
    account: { id: 7, session_id: 'abc', cards: [{ last4: '1234' }, { private_note: { x: 1 } }] },
    Authorization: 'Bearer xyz',
  };
  const bodies = {
    plain: JSON.stringify(plain),
    pretty: JSON.stringify(plain, null, 2), // spans lines: the log's line must not
    nested: JSON.stringify(nested),
    escaped: JSON.stringify(churnRequest(3)).replace(/}$/, ',"\\u0074oken":"hidden"}'), // "token", escaped
  };
  const answers: Record<string, Answer> = {};
  for (const [name, body] of Object.entries(bodies)) {
    answers[name] = await post(`${served.url}/predict`, body);
    expect([name, answers[name].status]).toEqual([name, 200]);
  }
  served.child.kill('SIGTERM');
  expect(await served.exited).toBe(0);

  const logged = await loggedIds('churn');
  const entry = (name: string) => logged.get(answers[name].id!) as { request: unknown; redacted?: string[] };
  for (const name of ['plain', 'pretty']) {
    expect(entry(name).request).toEqual(plain);
    expect(entry(name).redacted).toBeUndefined();
  }
  // Exactly what the redaction walk gives, paths and all.
  const expected = redactFields(nested);
  expect(entry('nested').request).toEqual(expected.value);
  expect(entry('nested').redacted).toEqual(expected.paths);
  expect(entry('nested').redacted).toEqual([
    'account.session_id',
    'account.cards[1].private_note',
    'Authorization',
  ]);
  expect(entry('escaped').request).toEqual({ ...churnRequest(3), token: '[redacted]' });
  expect(entry('escaped').redacted).toEqual(['token']);

  for (const name of ['pretty', 'nested']) {
    const replay = await cellflow(['replay', answers[name].id!], { env: { CELLFLOW_HOME: home } });
    expect(replay.stdout).toContain('identical: status 200');
    expect(replay.code).toBe(0);
  }
}, 60_000);

test('SIGKILL during a burst: every acknowledged prediction is already in the log', async () => {
  const served = await serve([churnRun]);
  const answered: Answer[] = [];
  const burst = Array.from({ length: 60 }, (_, i) =>
    post(`${served.url}/predict`, JSON.stringify(churnRequest(500 + i)))
      .then((a) => {
        if (a.status === 200) {
          answered.push(a);
        }
        if (answered.length === 10) {
          served.child.kill('SIGKILL');
        }
      })
      .catch(() => undefined),
  );
  await Promise.all(burst);
  expect(await served.exited).toBe('SIGKILL');
  expect(answered.length).toBeGreaterThanOrEqual(10);
  const logged = await loggedIds('churn');
  for (const answer of answered) {
    expect(logged.get(answer.id!)).toMatchObject({ status: 200, response: answer.body });
  }
}, 60_000);

test('bad input of each kind: 400 bad JSON, 400 wrong shape, 400 rejected, 500 exception, 404, 405, 413, 401', async () => {
  const served = await serve([scorerRun, '--max-body', '200', '--token', 's3cret-token']);
  const auth = { Authorization: 'Bearer s3cret-token' };
  const score = (body: string, headers: Record<string, string> = auth) =>
    post(`${served.url}/score`, body, headers);

  expect(await score('{"x": 4}')).toMatchObject({ status: 200, body: { y: 9 } });
  expect(await score('{"x": 4}', {})).toMatchObject({
    status: 401,
    body: { error: expect.stringContaining('bearer token') },
  });
  expect(await score('{"x": 4}', { Authorization: 'Bearer wrong' })).toMatchObject({ status: 401 });
  expect((await fetch(`${served.url}/health`)).status).toBe(200); // health checks need no token
  expect(await score('{"x": 4')).toMatchObject({
    status: 400,
    body: { error: expect.stringContaining('not valid JSON') },
  });
  expect(await score('{"x": "4"}')).toMatchObject({
    status: 400,
    body: { error: "request field 'x' must be a number, got string" },
  });
  expect(await score('[1]')).toMatchObject({
    status: 400,
    body: { error: expect.stringContaining('expects a JSON object') },
  });
  expect(await score('{"x": -1}')).toMatchObject({ status: 400, body: { error: 'x must not be negative' } });
  const failed = await score('{"x": 13}');
  expect(failed).toMatchObject({ status: 500, body: { error: "endpoint 'score' failed: unlucky number" } });
  expect(await score(JSON.stringify({ x: 1, pad: 'y'.repeat(300) }))).toMatchObject({ status: 413 });
  expect(await post(`${served.url}/nope`, '{}', auth)).toMatchObject({
    status: 404,
    body: { error: expect.stringContaining('serves /score') },
  });
  expect((await fetch(`${served.url}/score`, { headers: auth })).status).toBe(405);

  served.child.kill('SIGTERM');
  expect(await served.exited).toBe(0);
  // The exception is logged on stderr with its stack, and in the prediction log with status 500.
  expect(served.stderr()).toMatch(
    new RegExp(`500 POST /score \\(prediction ${failed.id}\\): Error: unlucky number\\n\\s+at `),
  );
  const logged = await loggedIds('scorer');
  expect(logged.get(failed.id!)).toMatchObject({
    status: 500,
    response: { error: "endpoint 'score' failed: unlucky number" },
  });
  const replay = await cellflow(['replay', failed.id!], { env: { CELLFLOW_HOME: home } });
  expect(replay.code).toBe(0); // a 500 replays as the same 500
}, 60_000);

test('--follow switches to a newer successful run without dropping a request', async () => {
  const served = await serve(['scorer', '--follow'], { CELLFLOW_SERVE_POLL_MS: '200' });
  const runs = new Set<string>();
  const statuses = new Set<number>();
  let going = true;
  const load = (async () => {
    for (let i = 0; going && i < 5000; i++) {
      const answer = await post(`${served.url}/score`, JSON.stringify({ x: i % 10 }));
      statuses.add(answer.status);
      runs.add(answer.run!);
    }
  })();
  const newer = await runFlow(SCORER, home);
  for (let i = 0; i < 100 && !runs.has(newer); i++) {
    await new Promise((r) => setTimeout(r, 100));
  }
  going = false;
  await load;
  expect(runs).toEqual(new Set([scorerRun, newer]));
  expect([...statuses]).toEqual([200]);
  expect(served.stderr()).toContain(`now serving ${newer}`);
}, 120_000);

test('serve refuses what it cannot serve, with a message and exit 2', async () => {
  const none = await cellflow(['serve', 'nosuchflow'], { env: { CELLFLOW_HOME: home } });
  expect(none).toMatchObject({ code: 2, stderr: expect.stringContaining('flow nosuchflow has no runs') });
  const bad = await cellflow(['serve', 'churn/../x'], { env: { CELLFLOW_HOME: home } });
  expect(bad.code).toBe(2);
  const noPort = await cellflow(['serve', 'churn', '--port', '70000'], { env: { CELLFLOW_HOME: home } });
  expect(noPort).toMatchObject({ code: 2, stderr: expect.stringContaining('is not a port') });
});
