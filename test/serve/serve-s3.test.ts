// The prediction log on S3 (a real S3 server, versitygw): a served run of a flow that ran against the
// bucket logs every acknowledged prediction as create-only batch objects under predictions/, and
// predictions, replay and monitor read them back from there.
import * as fs from 'fs';
import * as path from 'path';
import { cellflow, REPO } from '../helpers/cli';
import { startS3Server, useS3Env, type S3Server } from '../helpers/s3-server';
import { churnRequest, post, startServer, stop, tempHome, type Served } from './serve-helpers';

let s3: S3Server;
let restoreEnv: () => void;
let served: Served | undefined;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  s3 = await startS3Server();
  restoreEnv = useS3Env(s3);
  env = { CELLFLOW_DATASTORE: s3.url('serve'), CELLFLOW_HOME: tempHome('cf-serve-s3-unused-') };
});

afterAll(async () => {
  stop(served);
  restoreEnv?.();
  await s3?.stop();
});

test('serve a run stored on S3: the log goes to the bucket, and replays from it', async () => {
  const idFile = path.join(env.CELLFLOW_HOME!, 'run-id');
  const run = await cellflow(
    ['run', path.join(REPO, 'examples', 'churn.ipynb'), '-q', '--run-id-file', idFile],
    {
      env,
      timeoutMs: 120_000,
    },
  );
  expect(run.code).toBe(0);
  const pathspec = fs.readFileSync(idFile, 'utf8').trim();
  served = await startServer([pathspec], env);
  const answers = await Promise.all(
    Array.from({ length: 20 }, (_, i) => post(`${served!.url}/predict`, JSON.stringify(churnRequest(i)))),
  );
  expect(answers.map((a) => a.status)).toEqual(answers.map(() => 200));
  served.child.kill('SIGTERM');
  expect(await served.exited).toBe(0);

  // The batches are objects in the bucket (versitygw keeps an object as a file).
  const day = new Date().toISOString().slice(0, 10);
  const folder = path.join(s3.dir, s3.bucket, 'serve', 'predictions', 'churn', 'predict');
  const batches = fs.readdirSync(folder).flatMap((d) => fs.readdirSync(path.join(folder, d)));
  expect(batches.length).toBeGreaterThan(0);
  expect(fs.readdirSync(folder)).toContain(day);

  const listed = await cellflow(['predictions', 'churn', '--json'], { env });
  const ids = new Set((JSON.parse(listed.stdout) as { id: string }[]).map((r) => r.id));
  for (const answer of answers) {
    expect(ids.has(answer.id!)).toBe(true);
  }
  const replay = await cellflow(['replay', answers[7].id!], { env });
  expect(replay).toMatchObject({ code: 0, stdout: expect.stringContaining('identical: status 200') });
  const monitor = await cellflow(['monitor', 'churn/predict', '--json'], { env });
  expect(monitor.code).toBe(0);
  const drift = JSON.parse(monitor.stdout) as {
    run: string;
    requests: number;
    features: { feature: string }[];
  }[];
  expect(drift).toMatchObject([{ run: pathspec, requests: 20 }]);
  expect(drift[0].features.map((f) => f.feature)).toEqual([
    'tenure_months',
    'monthly_charges',
    'support_calls',
    'contract_monthly',
  ]);
}, 180_000);
