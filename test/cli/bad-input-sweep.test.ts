// Bad-input sweep: hundreds of broken notebooks generated from a fixed seed (truncated JSON, wrong
// types, byte flips over the examples, invalid UTF-8, huge cells, contradictory tags, cycles), each
// run through lint/show/export. Every case must end with exit 0 or 2, and 2 always comes with a
// message and never a stack trace. Most run in-process through runCli (the code path of the real
// command); a subset runs as real processes and must give the same exit code and stderr.
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { memoryIO } from '../../src/cli/io';
import { runCli } from '../../src/cli/main';
import { mulberry32 } from '../../src/runtime/scope/seeded-random';

const REPO = path.resolve(__dirname, '..', '..');
const SEED = 20240611;
const EXAMPLES = ['hello', 'foreach', 'churn'].map((name) => ({
  name,
  bytes: fs.readFileSync(path.join(REPO, 'examples', `${name}.ipynb`)),
}));

const random = mulberry32(SEED);
const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)];
const int = (n: number): number => Math.floor(random() * n);

interface Case {
  label: string;
  bytes: Buffer;
  args: (file: string) => string[];
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
const WRONG_VALUES: Json[] = [null, 0, -1, 4.5, '', 'text', true, [], [1, 'a'], {}, { a: 1 }];
const TAG_POOL = [
  'step:start',
  'step:a',
  'step:b',
  'step:join',
  'step:end',
  'step:x',
  'step:',
  'step:Bad',
  'next:a,b',
  'next:a',
  'next:b',
  'next:end',
  'next:start',
  'next:nowhere',
  'next:',
  'foreach:grid',
  'foreach:',
  'parameters',
  'skip',
  'retry:2',
  'retry:x',
  'timeout:0',
  'timeout:5',
  'resources:cpu=',
  'resources:cpu=2,memory=64',
  'resources:memory=64',
  'env:A=1,B=2',
  'catch:err',
  'env:A=1',
  'env:=',
  'stp:a',
  'Next:b',
  'hide-input',
  'skip:yes',
];
const COMMANDS: ((file: string) => string[])[] = [
  (f) => ['lint', f],
  (f) => ['show', f],
  (f) => ['show', f, '--format', 'mermaid'],
  (f) => ['show', f, '--format', 'json'],
  (f) => ['export', f, '-o', '-'],
];

const parsedExample = (): { name: string; json: Record<string, Json> } => {
  const example = pick(EXAMPLES);
  return { name: example.name, json: JSON.parse(example.bytes.toString('utf8')) };
};
const bytesOf = (json: Json): Buffer => Buffer.from(JSON.stringify(json, null, 1));

function truncated(): Case {
  const example = pick(EXAMPLES);
  const at = int(example.bytes.length);
  return {
    label: `truncate ${example.name} at ${at}`,
    bytes: example.bytes.subarray(0, at),
    args: pick(COMMANDS),
  };
}

function byteFlips(): Case {
  const example = pick(EXAMPLES);
  const bytes = Buffer.from(example.bytes);
  const flips = 1 + int(4);
  for (let i = 0; i < flips; i++) {
    bytes[int(bytes.length)] = int(256);
  }
  return { label: `${flips} byte flips in ${example.name}`, bytes, args: pick(COMMANDS) };
}

function wrongType(): Case {
  const { name, json } = parsedExample();
  const cells = json.cells as { [key: string]: Json }[];
  const cell = pick(cells);
  const value = pick(WRONG_VALUES);
  const where = pick([
    'nbformat',
    'nbformat_minor',
    'cells',
    'metadata',
    'cell',
    'cell_type',
    'source',
    'cell.metadata',
    'tags',
    'tag',
    'id',
    'flow',
  ]);
  switch (where) {
    case 'cell':
      cells[int(cells.length)] = value as { [key: string]: Json };
      break;
    case 'cell_type':
    case 'source':
    case 'id':
      cell[where] = value;
      break;
    case 'cell.metadata':
      cell.metadata = value;
      break;
    case 'tags':
      cell.metadata = { tags: value };
      break;
    case 'tag':
      cell.metadata = { tags: ['step:x', value] };
      break;
    case 'flow':
      (json.metadata as { [key: string]: Json }).cellflow = { flow: value };
      break;
    default:
      json[where] = value;
  }
  return {
    label: `${name}: ${where} = ${JSON.stringify(value)}`,
    bytes: bytesOf(json),
    args: pick(COMMANDS),
  };
}

function invalidUtf8(): Case {
  const example = pick(EXAMPLES);
  const bad = pick([[0xff], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xe2, 0x82], [0xf8, 0x88, 0x80, 0x80, 0x80]]);
  const at = int(example.bytes.length);
  const bytes = Buffer.concat([example.bytes.subarray(0, at), Buffer.from(bad), example.bytes.subarray(at)]);
  return {
    label: `invalid UTF-8 ${JSON.stringify(bad)} in ${example.name} at ${at}`,
    bytes,
    args: pick(COMMANDS),
  };
}

function contradictoryTags(): Case {
  const { name, json } = parsedExample();
  const cells = (json.cells as { [key: string]: Json }[]).filter((c) => c.cell_type === 'code');
  const changes = 1 + int(3);
  for (let i = 0; i < changes; i++) {
    const tags = Array.from({ length: 1 + int(3) }, () => pick(TAG_POOL));
    pick(cells).metadata = { tags };
  }
  return { label: `${name}: ${changes} cells retagged`, bytes: bytesOf(json), args: pick(COMMANDS) };
}

function cycles(): Case {
  const { name, json } = parsedExample();
  const steps = (json.cells as { metadata?: { tags?: string[] } }[]).filter((c) =>
    c.metadata?.tags?.some((t) => t.startsWith('step:')),
  );
  const names = steps.map((c) => c.metadata!.tags!.find((t) => t.startsWith('step:'))!.slice(5));
  const cell = pick(steps);
  const targets = Array.from({ length: 1 + int(2) }, () => pick(names));
  cell.metadata!.tags = [
    ...cell.metadata!.tags!.filter((t) => !t.startsWith('next:')),
    ...[...new Set(targets)].map((t) => `next:${t}`),
  ];
  return {
    label: `${name}: rewired to ${targets.map((t) => `next:${t}`).join(' ')}`,
    bytes: bytesOf(json),
    args: pick(COMMANDS),
  };
}

function huge(kind: number): Case {
  const { json } = parsedExample();
  const cells = json.cells as { [key: string]: Json }[];
  if (kind === 0) {
    cells.push({
      cell_type: 'code',
      id: 'huge',
      metadata: { tags: [] },
      source: 'self.v = 1;\n'.repeat(150_000),
      outputs: [],
    });
  } else if (kind === 1) {
    for (let i = 0; i < 3000; i++) {
      cells.push({ cell_type: 'markdown', id: `m${i}`, metadata: {}, source: `note ${i}` });
    }
  } else if (kind === 2) {
    cells[1].metadata = { tags: ['step:' + 'x'.repeat(100_000)] };
  } else {
    cells.push({
      cell_type: 'code',
      id: 'deep',
      metadata: {},
      source: '['.repeat(5000) + ']'.repeat(5000),
      outputs: [],
    });
  }
  return { label: `huge #${kind}`, bytes: bytesOf(json), args: (f) => ['lint', f] };
}

function generate(): Case[] {
  const cases: Case[] = [];
  const add = (n: number, make: () => Case): void => {
    for (let i = 0; i < n; i++) {
      cases.push(make());
    }
  };
  add(90, truncated);
  add(170, byteFlips);
  add(110, wrongType);
  add(20, invalidUtf8);
  add(70, contradictoryTags);
  add(50, cycles);
  for (let kind = 0; kind < 4; kind++) {
    cases.push(huge(kind));
  }
  return cases;
}

const CASES = generate();
let work: string;
beforeAll(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'cellflow-sweep-'));
});
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

function checkOutcome(label: string, code: number | null, stderr: string): void {
  const outcome = { label, code, stderr: stderr.slice(0, 400) };
  expect([0, 2]).toContain(code);
  if (code === 2) {
    expect(stderr.trim()).not.toBe('');
  }
  expect(stderr).not.toMatch(/\n\s+at .+:\d+:\d+|internal error|TypeError|RangeError|Maximum call stack/);
  if (code === 2) {
    expect(stderr).toMatch(/notebook|error|invalid|unknown|cannot|UTF-8/i);
  }
  void outcome;
}

test(`${CASES.length} generated bad inputs end with exit 0 or 2 and a message, in-process`, async () => {
  expect(CASES.length).toBeGreaterThanOrEqual(500);
  const file = path.join(work, 'case.ipynb');
  let bad = 0;
  for (const c of CASES) {
    fs.writeFileSync(file, c.bytes);
    const io = memoryIO();
    const code = await runCli(c.args(file), io);
    try {
      checkOutcome(c.label, code, io.err);
    } catch (error) {
      throw new Error(
        `case "${c.label}" (${c.args(file).join(' ')}): exit ${code}\n${io.err.slice(0, 2000)}\n${error}`,
      );
    }
    if (code === 2) {
      bad++;
    }
  }
  expect(bad / CASES.length).toBeGreaterThan(0.8);
});

function spawnCli(args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(REPO, 'bin', 'cellflow.js'), ...args], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stderr }));
  });
}

test('a subset run as real processes gives the same exit code and message', async () => {
  const subset = CASES.filter((_, i) => i % 25 === 7).slice(0, 20);
  expect(subset.length).toBe(20);
  for (let i = 0; i < subset.length; i += 4) {
    await Promise.all(
      subset.slice(i, i + 4).map(async (c, j) => {
        const file = path.join(work, `spawned-${i + j}.ipynb`);
        fs.writeFileSync(file, c.bytes);
        const io = memoryIO();
        const inProcess = await runCli(c.args(file), io);
        const real = await spawnCli(c.args(file));
        checkOutcome(c.label, real.code, real.stderr);
        expect({ label: c.label, code: real.code, stderr: real.stderr }).toEqual({
          label: c.label,
          code: inProcess,
          stderr: io.err,
        });
      }),
    );
  }
});
