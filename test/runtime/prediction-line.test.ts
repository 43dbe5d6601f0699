// The prediction log's fast path, in process: a record's line built from JSON parts must be the text
// JSON.stringify(record) gives, and the cheap check for secret-looking fields must agree with the
// redaction walk on every request, nested and escaped ones included.
import { predictionLine, type LoggedPrediction } from '../../src/runtime/serve/prediction-line';
import type { PredictionRecord } from '../../src/runtime/serve/prediction-log';
import { hasSecretFields, redactFields } from '../../src/runtime/repro/capture/secrets';

const artifacts = Object.freeze({ features: 'b'.repeat(64), scaling: 'c'.repeat(64) });

function parts(request: unknown, response: unknown, redacted?: string[]): LoggedPrediction {
  return {
    id: '1796194007941-1bcae93f7133',
    time: new Date(1796194007941).toISOString(),
    flow: 'churn "quoted" \\ flow',
    endpoint: 'predict',
    run: 'churn/1796194007941-1bcae93f7133',
    artifacts,
    requestJson: JSON.stringify(request),
    ...(redacted ? { redacted } : {}),
    responseJson: JSON.stringify(response),
    status: 200,
    latencyMs: 0.0123,
  };
}

function record(p: LoggedPrediction): PredictionRecord {
  return {
    id: p.id,
    time: p.time,
    flow: p.flow,
    endpoint: p.endpoint,
    run: p.run,
    artifacts: { ...p.artifacts },
    request: JSON.parse(p.requestJson),
    ...(p.redacted ? { redacted: p.redacted } : {}),
    response: JSON.parse(p.responseJson),
    status: p.status,
    latencyMs: p.latencyMs,
  };
}

test('a line is the text JSON.stringify gives the record, with and without redacted fields', () => {
  const request = { tenure_months: 3, nested: { list: [1, 'two\n', { x: null }] } };
  const response = { churn: true, probability: 0.731, model: 'logistic regression' };
  for (const p of [
    parts(request, response),
    parts({ api_key: '[redacted]' }, { error: 'é ✓' }, ['api_key']),
  ]) {
    expect(predictionLine(p)).toBe(JSON.stringify(record(p)));
    // The same digests object twice (its text is cached): still the same line.
    expect(predictionLine(p)).toBe(JSON.stringify(record(p)));
  }
  // A digests object that is not frozen is serialised afresh each time, never from a stale cache.
  const open: Record<string, string> = { a: '1' };
  const first = predictionLine({ ...parts(1, 2), artifacts: open });
  open.b = '2';
  expect(predictionLine({ ...parts(1, 2), artifacts: open })).not.toBe(first);
  expect(JSON.parse(predictionLine({ ...parts(1, 2), artifacts: open })).artifacts).toEqual({
    a: '1',
    b: '2',
  });
});

test('hasSecretFields is true exactly when redactFields redacts something', () => {
  const requests: unknown[] = [
    { tenure_months: 3, monthly_charges: 20 },
    { note: 'my token is hunter2', pwd: '/home/me', PWD: '/x', OLDPWD: '/y' }, // secret-looking values, shell dirs
    { api_token: 'x' },
    { account: { id: 7, cards: [{ last4: '1234' }, { private_note: { x: 1 } }] } },
    [{ a: 1 }, [{ b: [{ Authorization: 'Bearer x' }] }]],
    JSON.parse('{"\\u0074oken": "escaped key"}'),
    { session: null, list: [] },
    { deep: { deeper: { deepest: { monkey: 1 } } } }, // KEY anywhere in a name
    'a string',
    42,
    null,
    [],
  ];
  for (const request of requests) {
    expect([request, hasSecretFields(request)]).toEqual([request, redactFields(request).paths.length > 0]);
  }
  expect(requests.map(hasSecretFields)).toEqual([
    false,
    false,
    true,
    true,
    true,
    true,
    true,
    true,
    false,
    false,
    false,
    false,
  ]);
});
