// Fuzz suite: 2,000+ generated bad inputs from a fixed seed, over notebooks (mutations at random JSON
// paths, wrong nbformat types and versions, hostile names, contradictory and cyclic tags, huge cells,
// invalid UTF-8 and other encodings) and over CLI arguments (every command, bad option values,
// traversal pathspecs, unknown runs). Each case runs in-process through runCli (the real command's
// code path) under a time limit: it must end with exit 2 and a message that names the notebook (or
// exit 0 when a notebook mutation happened to leave it valid), never a stack trace, crash or hang.
// A sample also runs as real processes and must give the same exit code and stderr.
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { memoryIO } from '../../src/cli/io';
import { runCli } from '../../src/cli/main';
import { Datastore } from '../../src/runtime/datastore/datastore';
import { populate } from '../helpers/sample-runs';
import { mulberry32 } from '../../src/runtime/scope/seeded-random';

const REPO = path.resolve(__dirname, '..', '..');
const SEED = 20261125;
const CASE_TIME_LIMIT_MS = 15_000;

const random = mulberry32(SEED);
const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)];
const int = (n: number): number => Math.floor(random() * n);

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

const EXAMPLES = ['hello', 'foreach', 'churn'].map((name) => ({
  name,
  text: fs.readFileSync(path.join(REPO, 'examples', `${name}.ipynb`), 'utf8'),
}));
const example = (): { name: string; json: JsonObject } => {
  const chosen = pick(EXAMPLES);
  return { name: chosen.name, json: JSON.parse(chosen.text) };
};

// ---------------------------------------------------------------- hostile values and names

const HOSTILE_NAMES = [
  '../etc',
  '../../x',
  '..',
  '.',
  '/abs/path',
  'C:\\win',
  'a/b',
  'a\\b',
  'nul\u0000byte',
  '',
  ' ',
  'x'.repeat(5000),
  '__proto__',
  'constructor',
  'prototype',
  'ünïcode',
  '😀',
  'a\nb',
  '$(rm -rf /)',
  '<script>alert(1)</script>',
  '%2e%2e%2f',
  '\u202e',
];
const WRONG_VALUES: Json[] = [
  null,
  0,
  -1,
  1e308,
  4.5,
  '',
  'text',
  true,
  [],
  [null],
  {},
  { __proto__: { polluted: true } } as unknown as Json,
  'x'.repeat(200_000),
];

function deepArray(depth: number): Json {
  let value: Json = [];
  for (let i = 0; i < depth; i++) {
    value = [value];
  }
  return value;
}

/** Every path in a JSON tree, so a mutation can land anywhere (not just where we thought of). */
function paths(root: Json): (string | number)[][] {
  const out: (string | number)[][] = [];
  const walk = (value: Json, at: (string | number)[]) => {
    out.push(at);
    if (Array.isArray(value)) {
      value.forEach((item, i) => walk(item, [...at, i]));
    } else if (value && typeof value === 'object') {
      for (const key of Object.keys(value)) {
        walk(value[key], [...at, key]);
      }
    }
  };
  walk(root, []);
  return out;
}

function setAt(root: JsonObject, at: (string | number)[], value: Json | undefined): Json {
  if (at.length === 0) {
    return value === undefined ? null : value;
  }
  let parent: Json = root;
  for (const key of at.slice(0, -1)) {
    parent = (parent as Record<string, Json>)[key as string];
  }
  const last = at[at.length - 1];
  if (value === undefined) {
    if (Array.isArray(parent)) {
      parent.splice(last as number, 1);
    } else {
      delete (parent as JsonObject)[last as string];
    }
  } else {
    (parent as Record<string | number, Json>)[last] = value;
  }
  return root;
}

// ---------------------------------------------------------------- notebook cases

interface NotebookCase {
  kind: string;
  label: string;
  bytes: Buffer;
  args: (file: string) => string[];
}

const NOTEBOOK_COMMANDS: ((file: string) => string[])[] = [
  (f) => ['lint', f],
  (f) => ['lint', f, '--json'],
  (f) => ['show', f],
  (f) => ['show', f, '--format', 'mermaid'],
  (f) => ['show', f, '--format', 'dot'],
  (f) => ['show', f, '--format', 'json'],
  (f) => ['export', f, '-o', '-'],
];

const bytesOf = (json: Json): Buffer => Buffer.from(JSON.stringify(json, null, 1));

function jsonPathMutation(): NotebookCase {
  const { name, json } = example();
  const all = paths(json);
  const at = pick(all);
  const op = pick(['delete', 'wrong', 'wrap', 'hostile', 'deep', 'duplicate'] as const);
  let value: Json | undefined;
  if (op === 'delete') {
    value = undefined;
  } else if (op === 'wrong') {
    value = pick(WRONG_VALUES);
  } else if (op === 'hostile') {
    value = pick(HOSTILE_NAMES);
  } else if (op === 'deep') {
    value = deepArray(50 + int(400));
  } else {
    let current: Json = json;
    for (const key of at) {
      current = (current as Record<string, Json>)[key as string];
    }
    value = op === 'wrap' ? [current] : { dup: current, again: current };
  }
  const mutated = setAt(json, at, value);
  return {
    kind: 'json path',
    label: `${name}: ${op} at /${at.join('/')}`,
    bytes: bytesOf(mutated),
    args: pick(NOTEBOOK_COMMANDS),
  };
}

function nbformatShape(): NotebookCase {
  const { name, json } = example();
  const change = pick([
    () => Buffer.from(pick(['', ' ', '\n', '[]', '"nb"', '42', 'null', 'true', '{', '{"cells": [}'])),
    () => bytesOf({ ...json, nbformat: pick([3, 5, 0, -4, '4', 4.5, null, 1e9]) as Json }),
    () => bytesOf({ ...json, nbformat_minor: pick([-1, 99, '5', null, 1.5]) as Json }),
    () => bytesOf({ ...json, cells: pick([{}, 'cells', 7, null, [[]], [1, 2]]) as Json }),
    () => {
      const copy = { ...json };
      delete copy[pick(['cells', 'nbformat', 'metadata', 'nbformat_minor'])];
      return bytesOf(copy);
    },
    () => Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), bytesOf(json)]),
    () => Buffer.from(JSON.stringify(json), 'utf16le'),
    () => Buffer.from(`{"__proto__": {"polluted": 1}, ${JSON.stringify(json).slice(1)}`),
    () => Buffer.from(JSON.stringify(json).replace('"cells"', '"cells": [], "cells"')),
  ]);
  return { kind: 'nbformat', label: `${name}: shape change`, bytes: change(), args: pick(NOTEBOOK_COMMANDS) };
}

const TAG_POOL = [
  'step:start',
  'step:a',
  'step:b',
  'step:join',
  'step:end',
  'step:',
  'step:Bad',
  'step:a b',
  'next:a,b',
  'next:a',
  'next:b',
  'next:a,a',
  'next:end',
  'next:start',
  'next:nowhere',
  'next:',
  'next:,',
  'foreach:items',
  'foreach:',
  'foreach:__proto__',
  'parameters',
  'skip',
  'retry:-1',
  'retry:999999999999',
  'timeout:0',
  'timeout:NaN',
  'resources:cpu=2,memory=64',
  'resources:memory=64',
  'resources:gpu=-1',
  'resources:cpu=2,cpu=3',
  'catch:',
  'catch:__proto__',
  'env:A=1',
  'env:=',
  'env:PATH=/evil',
  'stp:a',
];

function hostileTags(): NotebookCase {
  const { name, json } = example();
  const cells = (json.cells as JsonObject[]).filter((c) => c.cell_type === 'code');
  const cell = pick(cells);
  const hostile = pick(HOSTILE_NAMES);
  const tag = pick(['step:', 'next:', 'foreach:', 'catch:', 'env:', 'retry:', 'timeout:']) + hostile;
  const target = pick(['tag', 'flow', 'parameter', 'tags-extra'] as const);
  if (target === 'tag') {
    cell.metadata = { tags: [tag] };
  } else if (target === 'flow') {
    (json.metadata as JsonObject).cellflow = { flow: hostile };
  } else if (target === 'parameter') {
    const safe = hostile.replace(/\n/g, ' ');
    (json.cells as JsonObject[]).unshift({
      cell_type: 'code',
      id: 'params',
      metadata: { tags: ['parameters'] },
      source: pick([`const ${safe} = 1;`, `const a = ${JSON.stringify(safe)};\nconst a = 2;`, `let x = ;`]),
      outputs: [],
      execution_count: null,
    });
  } else {
    const tags = Array.from({ length: 1 + int(5) }, () => pick(TAG_POOL));
    cell.metadata = { tags: [...tags, tag] };
  }
  return {
    kind: 'hostile names',
    label: `${name}: ${target} ${JSON.stringify(hostile).slice(0, 40)}`,
    bytes: bytesOf(json),
    args: pick(NOTEBOOK_COMMANDS),
  };
}

function contradictoryTags(): NotebookCase {
  const { name, json } = example();
  const cells = (json.cells as JsonObject[]).filter((c) => c.cell_type === 'code');
  const changes = 1 + int(4);
  for (let i = 0; i < changes; i++) {
    const tags = Array.from({ length: 1 + int(4) }, () => pick(TAG_POOL));
    pick(cells).metadata = { tags };
  }
  return {
    kind: 'contradictory tags',
    label: `${name}: ${changes} cells retagged`,
    bytes: bytesOf(json),
    args: pick(NOTEBOOK_COMMANDS),
  };
}

function cycles(): NotebookCase {
  const { name, json } = example();
  const steps = (json.cells as { metadata?: { tags?: string[] } }[]).filter((c) =>
    c.metadata?.tags?.some((t) => t.startsWith('step:')),
  );
  const names = steps.map((c) => c.metadata!.tags!.find((t) => t.startsWith('step:'))!.slice(5));
  for (let i = 0; i < 1 + int(2); i++) {
    const cell = pick(steps);
    const targets = [...new Set(Array.from({ length: 1 + int(3) }, () => pick(names)))];
    cell.metadata!.tags = [
      ...cell.metadata!.tags!.filter((t) => !t.startsWith('next:')),
      `next:${targets.join(',')}`,
    ];
  }
  return { kind: 'cycles', label: `${name}: rewired`, bytes: bytesOf(json), args: pick(NOTEBOOK_COMMANDS) };
}

function invalidUtf8(): NotebookCase {
  const chosen = pick(EXAMPLES);
  const bytes = Buffer.from(chosen.text);
  const bad = pick([
    [0xff],
    [0xc0, 0xaf],
    [0xed, 0xa0, 0x80],
    [0xe2, 0x82],
    [0xf8, 0x88, 0x80, 0x80, 0x80],
    [0x80],
  ]);
  const at = int(bytes.length);
  return {
    kind: 'invalid UTF-8',
    label: `${chosen.name}: ${JSON.stringify(bad)} at ${at}`,
    bytes: Buffer.concat([bytes.subarray(0, at), Buffer.from(bad), bytes.subarray(at)]),
    args: pick(NOTEBOOK_COMMANDS),
  };
}

function byteNoise(): NotebookCase {
  const chosen = pick(EXAMPLES);
  const bytes = Buffer.from(chosen.text);
  const edits = 1 + int(8);
  for (let i = 0; i < edits; i++) {
    const at = int(bytes.length);
    bytes[at] = pick([0x22, 0x7b, 0x7d, 0x5b, 0x5d, 0x2c, 0x3a, 0x5c, 0x00, 0x0a, int(128)]);
  }
  return {
    kind: 'byte noise',
    label: `${chosen.name}: ${edits} edits`,
    bytes,
    args: pick(NOTEBOOK_COMMANDS),
  };
}

function huge(kind: number): NotebookCase {
  const { json } = example();
  const cells = json.cells as JsonObject[];
  const code = (id: string, tags: string[], source: string): JsonObject => ({
    cell_type: 'code',
    id,
    metadata: { tags },
    source,
    outputs: [],
    execution_count: null,
  });
  const variants: (() => void)[] = [
    () => cells.push(code('huge', [], 'self.v = 1;\n'.repeat(100_000))),
    () => cells.push(code('longline', [], `self.s = '${'a'.repeat(2_000_000)}';`)),
    () => cells.push(code('deep', [], '('.repeat(3000) + '1' + ')'.repeat(3000))),
    () =>
      cells.push(
        code(
          'tags',
          Array.from({ length: 20_000 }, (_, i) => `t${i}`),
          'self.t = 1;',
        ),
      ),
    () => {
      for (let i = 0; i < 2000; i++) {
        cells.push(code(`s${i}`, [`step:s${i}`, 'next:s0'], ''));
      }
    },
    () => (cells[0].source = Array.from({ length: 50_000 }, () => 'x').join('\n')),
  ];
  variants[kind % variants.length]();
  return { kind: 'huge', label: `huge variant ${kind}`, bytes: bytesOf(json), args: (f) => ['lint', f] };
}

function notebookCases(): NotebookCase[] {
  const cases: NotebookCase[] = [];
  const add = (n: number, make: () => NotebookCase) => {
    for (let i = 0; i < n; i++) {
      cases.push(make());
    }
  };
  add(500, jsonPathMutation);
  add(150, nbformatShape);
  add(200, hostileTags);
  add(150, contradictoryTags);
  add(100, cycles);
  add(60, invalidUtf8);
  add(200, byteNoise);
  for (let kind = 0; kind < 6; kind++) {
    cases.push(huge(kind));
  }
  return cases;
}

// ---------------------------------------------------------------- CLI argument cases

interface ArgsCase {
  kind: 'cli';
  label: string;
  args: string[];
}

/** Built against a datastore with real sample runs, so lookups of real and unknown things both occur. */
function argumentCases(known: { run: string; task: string }, notebook: string, work: string): ArgsCase[] {
  const traversal = () =>
    pick([
      '../x',
      'Hello/../../etc',
      '/etc/passwd',
      'Hello/run\u0000id',
      'Hello//start',
      'Hello/x/y/z/w',
      '',
      '..',
      'Hello/' + 'x'.repeat(300),
      `${known.run}/../start`,
      `${known.run}/start/1/extra`,
      'Hé/1',
      'Hello/<b>x</b>',
      'Nope/1700000000000-000000000000',
      `${known.run.split('/')[0]}/1700000000000-ffffffffffff`,
      `${known.run}/nostep/1`,
      `${known.run}/start/999`,
    ]);
  const badCount = () => pick(['0', '-1', 'abc', '1.5', '', '1e3', '0x10', ' 2', '99999999999999999999x']);
  const badInt = () => pick(['abc', '1.5', '', '--', 'NaN', 'Infinity', '1e3']);
  const generators: (() => string[])[] = [
    () => ['inspect', traversal()],
    () => ['inspect', known.run, '--artifact', pick(['nope', '../x', '', '__proto__'])],
    () => ['inspect', `${known.run}/start`, '--artifact', 'x'],
    () => ['logs', traversal()],
    () => ['logs', known.task, '--attempt', pick(['9', '-1', 'x', '1.5'])],
    () => ['logs', known.run],
    () => ['runs', pick(['../x', 'a/b', 'Nope', '\u0000', 'x'.repeat(200)])],
    () => ['runs', '--status', pick(['exploded', '', 'RUNNING', '__proto__'])],
    () => ['runs', '--limit', badCount()],
    () => ['runs', pick(['--bogus', '-z', '--limit'])],
    () => ['tag', pick(['add', 'remove']), traversal(), 'x'],
    () => ['tag', pick(['add', 'remove']), known.run],
    () => ['tag', pick(['frob', '', '--x'])],
    () => ['resume', traversal()],
    () => ['resume', known.run, '--from', pick(['nostep', '../x', ''])],
    () => ['resume', known.run, '--max-workers', badCount()],
    () => ['run', pick([path.join(work, 'missing.ipynb'), work, '', '/dev/null/x.ipynb'])],
    () => ['run', notebook, '--max-workers', badCount()],
    () => ['run', notebook, '--seed', badInt()],
    () => ['run', notebook, '--param', pick(['=1', 'noequals', 'unknown=1', '__proto__=1', 'constructor=2'])],
    () => ['run', notebook, pick(['--bogus', '-x', '--param'])],
    () => ['step', traversal(), 'start', '1'],
    () => ['step', known.run, pick(['nostep', '../x', '']), '1'],
    () => ['step', known.run, 'start', pick(['../1', '', 'a/b'])],
    () => ['step', known.run, 'end', '9', '--split-index', badInt()],
    () => ['card', traversal()],
    () => ['notebook', pick([traversal(), `${known.run}/start`])],
    () => [
      'notebook',
      known.run,
      '-o',
      pick(['/proc/nope/x.ipynb', path.join(work, 'no', 'dir', 'x.ipynb'), work]),
    ],
    () => ['card', known.run, '--rows', badInt()],
    () => [
      'card',
      known.run,
      '--out',
      pick(['/proc/nope/x.html', path.join(work, 'no', 'dir', 'x.html'), work]),
    ],
    () => ['fsck', '--datastore', pick([path.join(work, 'missing'), path.join(work, 'file.txt')])],
    () => ['fsck', pick(['extra', '--bogus'])],
    () => ['show', notebook, '--format', pick(['svg', '', 'JSON', '../x'])],
    () => ['export', notebook, '-o', pick([path.join(work, 'no', 'dir', 'x.flow.ts'), work, '/proc/x.ts'])],
    () => ['lint'],
    () => [pick(['frobnicate', 'RUN', '--nope', 'run2', '', '\u0000'])],
  ];
  return Array.from({ length: 650 }, () => {
    const args = pick(generators)();
    return { kind: 'cli' as const, label: JSON.stringify(args).slice(0, 200), args };
  });
}

// ---------------------------------------------------------------- running the cases

let work: string;
let notebookFile: string;
let savedHome: string | undefined;
let NOTEBOOKS: NotebookCase[];
let ARGS: ArgsCase[];

beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'cellflow-fuzz-'));
  const home = path.join(work, 'store');
  savedHome = process.env.CELLFLOW_HOME;
  process.env.CELLFLOW_HOME = home;
  const runs = await populate(Datastore.open({ root: home }));
  const run = `Hello/${runs.newest}`;
  fs.writeFileSync(path.join(work, 'file.txt'), 'not a datastore');
  notebookFile = path.join(work, 'valid.ipynb');
  fs.copyFileSync(path.join(REPO, 'examples', 'hello.ipynb'), notebookFile);
  NOTEBOOKS = notebookCases();
  ARGS = argumentCases({ run, task: `${run}/start/1` }, notebookFile, work);
});
afterAll(() => {
  if (savedHome === undefined) {
    delete process.env.CELLFLOW_HOME;
  } else {
    process.env.CELLFLOW_HOME = savedHome;
  }
  fs.rmSync(work, { recursive: true, force: true });
});

const STACK_OR_CRASH =
  /\n\s+at .+:\d+:\d+|internal error|TypeError|RangeError|ReferenceError|Maximum call stack|heap out of memory/;

async function runCase(args: string[]): Promise<{ code: number; err: string; out: string }> {
  const io = memoryIO();
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`hung for ${CASE_TIME_LIMIT_MS} ms`)), CASE_TIME_LIMIT_MS);
  });
  // Commands that print results write to process.stdout; keep jest's output readable.
  const write = process.stdout.write;
  process.stdout.write = (() => true) as typeof process.stdout.write;
  try {
    const code = await Promise.race([runCli(args, io), hang]);
    return { code, err: io.err, out: io.out };
  } finally {
    process.stdout.write = write;
    clearTimeout(timer);
  }
}

const tally = new Map<string, { cases: number; exit2: number; exit0: number }>();
function count(kind: string, code: number): void {
  const row = tally.get(kind) ?? { cases: 0, exit2: 0, exit0: 0 };
  row.cases++;
  if (code === 2) {
    row.exit2++;
  }
  if (code === 0) {
    row.exit0++;
  }
  tally.set(kind, row);
}

test('at least 2,000 generated cases from a fixed seed', () => {
  expect(NOTEBOOKS.length + ARGS.length).toBeGreaterThanOrEqual(2000);
});

test('notebook cases: exit 2 with a message naming the notebook (or 0 when still valid), never a crash or hang', async () => {
  const file = path.join(work, 'case.ipynb');
  const failures: string[] = [];
  for (const c of NOTEBOOKS) {
    fs.writeFileSync(file, c.bytes);
    const args = c.args(file);
    let outcome: { code: number; err: string; out: string };
    try {
      outcome = await runCase(args);
    } catch (error) {
      failures.push(`${c.label} (${args.join(' ')}): ${(error as Error).message}`);
      continue;
    }
    count(c.kind, outcome.code);
    // `lint --json` reports lint problems on stdout; everything else goes to stderr.
    const message = outcome.out + outcome.err;
    const ok =
      (outcome.code === 0 || (outcome.code === 2 && message.includes(path.basename(file)))) &&
      !STACK_OR_CRASH.test(outcome.err);
    if (!ok) {
      failures.push(`${c.label} (${args.join(' ')}): exit ${outcome.code}\n${outcome.err.slice(0, 600)}`);
    }
  }
  expect(failures.slice(0, 10)).toEqual([]);
  const bad = [...tally.values()].reduce((sum, row) => sum + row.exit2, 0);
  expect(bad / NOTEBOOKS.length).toBeGreaterThan(0.75);
}, 300_000);

test('CLI argument cases: every one exits 2 with a message, never a crash or hang', async () => {
  const failures: string[] = [];
  for (const c of ARGS) {
    let outcome: { code: number; err: string };
    try {
      outcome = await runCase(c.args);
    } catch (error) {
      failures.push(`${c.label}: ${(error as Error).message}`);
      continue;
    }
    count('cli', outcome.code);
    if (outcome.code !== 2 || outcome.err.trim() === '' || STACK_OR_CRASH.test(outcome.err)) {
      failures.push(`${c.label}: exit ${outcome.code}\n${outcome.err.slice(0, 600)}`);
    }
  }
  expect(failures.slice(0, 10)).toEqual([]);
}, 120_000);

function spawnCli(args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(REPO, 'bin', 'cellflow.js'), ...args], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, CELLFLOW_HOME: process.env.CELLFLOW_HOME },
    });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stderr }));
  });
}

test('a sample of 20 run as real processes gives the same exit code and message', async () => {
  const sample: { label: string; args: string[] }[] = [];
  NOTEBOOKS.filter((_, i) => i % 137 === 11)
    .slice(0, 10)
    .forEach((c, i) => {
      const file = path.join(work, `spawned-${i}.ipynb`);
      fs.writeFileSync(file, c.bytes);
      sample.push({ label: c.label, args: c.args(file) });
    });
  ARGS.filter((_, i) => i % 53 === 5)
    .slice(0, 10)
    .forEach((c) => sample.push(c));
  expect(sample).toHaveLength(20);
  for (let i = 0; i < sample.length; i += 4) {
    await Promise.all(
      sample.slice(i, i + 4).map(async (c) => {
        const inProcess = await runCase(c.args);
        const real = await spawnCli(c.args);
        expect({ label: c.label, code: real.code, stderr: real.stderr }).toEqual({
          label: c.label,
          code: inProcess.code,
          stderr: inProcess.err,
        });
      }),
    );
  }
  const rows = [...tally.entries()].map(
    ([kind, r]) => `${kind}: ${r.cases} cases, ${r.exit2} exit 2, ${r.exit0} exit 0`,
  );
  console.log(`fuzz outcomes (seed ${SEED}):\n${rows.join('\n')}`);
}, 120_000);
