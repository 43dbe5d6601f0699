// Hostile content: names that try path traversal, payloads that try to run code or pollute
// prototypes when decoded, secrets in the environment, and HTML in artifacts, logs, tags and
// parameters. One real run of a hostile notebook feeds the datastore, the card, the kernel's
// text/html fallback and the secret sweep; the rest drives the real CLI and codecs.
import { randomBytes } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import * as v8 from 'v8';
import { JSDOM } from 'jsdom';
import { cellflow } from '../helpers/cli';
import { removeTempDir, tempDir, writeNotebook, notebookJson } from '../helpers/notebook';
import { memoryIO } from '../../src/cli/io';
import { runCli } from '../../src/cli/main';
import { Run } from '../../src/client/run';
import { Task } from '../../src/client/task';
import { decodeArtifact, encodeArtifact } from '../../src/runtime/codecs/codecs';
import { checkName, Datastore, parsePathspec } from '../../src/runtime/datastore/datastore';
import { ObjectStore } from '../../src/runtime/datastore/objects';
import type { Codec } from '../../src/runtime/records';
import { richDisplay } from '../../kernel/display';

const HTML_ATTACKS = {
  artifactName: '<img src=x onerror=alert(1)>',
  artifactValue: '<script>alert(2)</script>',
  param: '<svg onload=alert(3)>',
  log: '<script>alert(4)</script><iframe src=javascript:alert(5)>',
  tag: '<b onclick=alert(6)>tag</b>',
};
const SECRETS = {
  CELLFLOW_TEST_API_TOKEN: `tok-${randomBytes(12).toString('hex')}`,
  AWS_SECRET_ACCESS_KEY: `aws-${randomBytes(12).toString('hex')}`,
  DATABASE_PASSWORD: `pw-${randomBytes(12).toString('hex')}`,
  DATABASE_URL: `postgres://admin:url-${randomBytes(12).toString('hex')}@db.example.com/prod`,
};

let work: string;
let home: string;
let pathspec: string;
let startTask: string;

beforeAll(async () => {
  work = tempDir('cellflow-hostile-');
  home = path.join(work, 'store');
  const nb = path.join(work, 'hostile.ipynb');
  const text = notebookJson(
    [
      { tags: ['parameters'], source: `const label = ${JSON.stringify(HTML_ATTACKS.param)};` },
      {
        tags: ['step:start'],
        source: [
          "self['../../evil'] = 1;",
          "self['/abs/path'] = 2;",
          "self['nul\\u0000name'] = 3;",
          `self[${JSON.stringify(HTML_ATTACKS.artifactName)}] = ${JSON.stringify(HTML_ATTACKS.artifactValue)};`,
          `self.cfg = JSON.parse('{"__proto__": {"polluted": "yes"}, "a": 1}');`,
          `console.log(${JSON.stringify(HTML_ATTACKS.log)});`,
        ].join('\n'),
      },
      {
        tags: ['step:end'],
        source: "self.seen = ({} as any).polluted ?? 'clean';\nself.keys = Object.keys(self.cfg);",
      },
    ],
    '../../escape',
  );
  fs.writeFileSync(nb, text);
  const idFile = path.join(work, 'hostile.id');
  const result = await cellflow(['run', nb, '--tag', HTML_ATTACKS.tag, '--run-id-file', idFile], {
    env: { CELLFLOW_HOME: home, ...SECRETS },
  });
  if (result.code !== 0) {
    throw new Error(`hostile run failed:\n${result.stdout}\n${result.stderr}`);
  }
  pathspec = fs.readFileSync(idFile, 'utf8').trim();
  const [flow, runId] = pathspec.split('/');
  startTask = `${pathspec}/start/${Datastore.open({ root: home }).listTasks(flow, runId, 'start')[0].taskId}`;
});
afterAll(() => removeTempDir(work));

function filesUnder(dir: string): string[] {
  return (fs.readdirSync(dir, { recursive: true }) as string[])
    .map((entry) => path.join(dir, entry))
    .filter((file) => fs.lstatSync(file).isFile());
}

describe('path traversal', () => {
  test('a hostile flow name and artifact names stay data: nothing is written outside the datastore', async () => {
    expect(pathspec.split('/')[0]).toBe('______escape');
    expect(fs.readdirSync(work).sort()).toEqual(['hostile.id', 'hostile.ipynb', 'store']);
    expect(fs.readdirSync(path.dirname(work)).filter((name) => /^(escape|evil|abs)$/.test(name))).toEqual([]);
    for (const file of filesUnder(home)) {
      expect(path.resolve(file).startsWith(path.resolve(home) + path.sep)).toBe(true);
      expect(path.relative(home, file)).not.toMatch(/evil|abs|nul|img/);
    }
    const task = Task.get(startTask, Datastore.open({ root: home }));
    expect(await task.data('../../evil')).toBe(1);
    expect(await task.data('/abs/path')).toBe(2);
    expect(await task.data('nul\u0000name')).toBe(3);
  });

  test('traversal in step names, parameters, tags, pathspecs and task ids is rejected with exit 2', async () => {
    const cases: { args: string[]; message: RegExp }[] = [];
    for (const [i, step] of ['../x', '/abs', 'a\u0000b', '..', 'a/b'].entries()) {
      const nb = writeNotebook(work, `bad-step-${i}.ipynb`, [
        { tags: [`step:${step}`], source: 'self.x = 1;' },
        { tags: ['step:end'], source: '' },
      ]);
      cases.push({ args: ['lint', nb], message: /cell 0 \(id c0\).*step:/ });
    }
    const hello = writeNotebook(work, 'params.ipynb', [
      { tags: ['parameters'], source: 'const alpha = 1;' },
      { tags: ['step:start'], source: 'self.y = self.alpha;' },
      { tags: ['step:end'], source: '' },
    ]);
    cases.push(
      { args: ['run', hello, '--param', '../x=1'], message: /\.\.\/x/ },
      { args: ['run', hello, '--param', '__proto__=1'], message: /__proto__/ },
      { args: ['tag', 'add', pathspec, 'a\u0000b'], message: /invalid tag/ },
      { args: ['inspect', '../../etc/passwd'], message: /invalid (pathspec|flow name)/ },
      { args: ['inspect', `${pathspec}/../start`], message: /invalid/ },
      { args: ['logs', `${pathspec}/start/../../x`], message: /invalid/ },
      { args: ['card', '/etc/passwd'], message: /invalid/ },
      { args: ['notebook', '../../etc/passwd'], message: /invalid/ },
      { args: ['step', pathspec, '../start', '1'], message: /invalid step name|no step/ },
      { args: ['step', pathspec, 'start', '../1', '--input-paths', ''], message: /invalid task id/ },
      { args: ['resume', `${pathspec.split('/')[0]}/..`], message: /invalid run id|expected/ },
    );
    const saved = process.env.CELLFLOW_HOME;
    // `step` moves into the notebook's directory, as a task process does; this test runs it in-process.
    const savedCwd = process.cwd();
    process.env.CELLFLOW_HOME = home;
    try {
      for (const c of cases) {
        const io = memoryIO();
        const code = await runCli(c.args, io);
        expect({ args: c.args, code, matches: c.message.test(io.err), err: io.err.slice(0, 300) }).toEqual({
          args: c.args,
          code: 2,
          matches: true,
          err: expect.any(String),
        });
        expect(io.err).not.toMatch(/\n\s+at /);
      }
    } finally {
      process.chdir(savedCwd);
      if (saved === undefined) {
        delete process.env.CELLFLOW_HOME;
      } else {
        process.env.CELLFLOW_HOME = saved;
      }
    }
    for (const name of ['..', '.', '../x', 'a/b', '/abs', 'a\u0000b', '', 'x'.repeat(129)]) {
      expect(() => checkName('step name', name)).toThrow(/invalid step name/);
    }
    expect(() => parsePathspec('Flow/../x')).toThrow(/invalid/);
    expect(() => new ObjectStore(path.join(work, 'objects')).pathOf('../../etc/passwd')).toThrow(
      /not a sha256 object name/,
    );
  });
});

describe('decoding never runs code', () => {
  test('a __proto__ key in a JSON artifact neither pollutes prototypes in the task nor in a reader', async () => {
    const ds = Datastore.open({ root: home });
    const [flow, runId] = pathspec.split('/');
    const end = ds.listTasks(flow, runId, 'end')[0];
    expect(ds.loadArtifactSync(end.artifacts.seen)).toBe('clean');
    expect(ds.loadArtifactSync(end.artifacts.keys)).toEqual(['__proto__', 'a']);
    const cfg = (await Task.get(startTask, ds).data('cfg')) as Record<string, unknown>;
    expect(Object.getPrototypeOf(cfg)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    const shown = await cellflow(['inspect', startTask, '--artifact', 'cfg', '--json'], {
      env: { CELLFLOW_HOME: home },
    });
    expect(shown.code).toBe(0);
    expect(JSON.parse(shown.stdout)).toEqual(JSON.parse('{"__proto__": {"polluted": "yes"}, "a": 1}'));
  });

  test('an artifact named __proto__ is refused by name instead of being silently lost', async () => {
    const nb = writeNotebook(work, 'proto.ipynb', [
      { tags: ['step:start'], source: "self['__proto__'] = { polluted: true };" },
      { tags: ['step:end'], source: '' },
    ]);
    const result = await cellflow(['run', nb, '-q'], {
      env: { CELLFLOW_HOME: path.join(work, 'proto-store') },
    });
    fs.rmSync(nb);
    fs.rmSync(path.join(work, 'proto-store'), { recursive: true, force: true });
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(
      "artifact '__proto__' cannot be stored: the name '__proto__' is reserved",
    );
  });

  test('1,200 crafted and mutated payloads (JSON, V8, bytes; Arrow crafted) decode to data or a plain error, never code', () => {
    const g = globalThis as Record<string, unknown>;
    const bait = 'globalThis.__cellflowPwned = true; process.exit(99)';
    const protoKey: Record<string, unknown> = {};
    Object.defineProperty(protoKey, '__proto__', { value: { polluted: true }, enumerable: true });
    const seeds: { codec: Codec; bytes: Buffer }[] = [
      {
        codec: 'json',
        bytes: Buffer.from(
          `{"__proto__": {"polluted": true}, "constructor": {"prototype": {"polluted": true}}, "code": "${bait}"}`,
        ),
      },
      {
        codec: 'v8',
        bytes: v8.serialize({ code: bait, when: new Date(0), map: new Map([[bait, new Set([1])]]) }),
      },
      { codec: 'v8', bytes: v8.serialize(protoKey) },
      { codec: 'v8', bytes: v8.serialize([new Uint8Array([1, 2]), new Error(bait), /x/g, 10n]) },
      ...['arrow', 'bytes'].map((codec) => ({
        codec: codec as Codec,
        bytes: Buffer.concat(
          encodeArtifact(
            't',
            codec === 'bytes' ? Buffer.from(bait) : require('apache-arrow').tableFromArrays({ s: [bait] }),
          ).chunks,
        ),
      })),
    ];
    let state = 20261125;
    const rand = (n: number) => {
      state = (Math.imul(state, 1103515245) + 12345) >>> 0;
      return state % n;
    };
    const before = Object.getOwnPropertyNames(Object.prototype).sort();
    let decoded = 0;
    let refused = 0;
    for (let i = 0; i < 1200; i++) {
      const seed = seeds[i % seeds.length];
      const bytes = Buffer.from(seed.bytes);
      // Arrow payloads are decoded as crafted, not mutated: apache-arrow's reader can spin forever on
      // some corrupted IPC bytes (a hang, not code execution). Reads verify the sha256 first, so only
      // an object planted with a matching name could reach it; see ARCHITECTURE.md "Guarantees".
      if (i >= seeds.length && seed.codec !== 'arrow') {
        for (let e = 0, n = 1 + rand(6); e < n; e++) {
          bytes[rand(bytes.length)] = rand(256);
        }
      }
      try {
        const value = decodeArtifact(seed.codec, bytes);
        decoded++;
        if (value && typeof value === 'object') {
          expect(typeof (value as { then?: unknown }).then).not.toBe('function');
          void JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? String(v) : v));
        }
      } catch (error) {
        refused++;
        // A plain Error (from Node's realm, not jest's): a parse failure, nothing else.
        expect(Object.prototype.toString.call(error)).toBe('[object Error]');
      }
    }
    expect(g.__cellflowPwned).toBeUndefined();
    expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(before);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(decoded).toBeGreaterThan(seeds.length);
    expect(refused).toBeGreaterThan(0);
  });
});

describe('secrets in the environment', () => {
  test('no secret value from the environment appears anywhere in the datastore (records, objects, logs, caches)', () => {
    const files = filesUnder(home);
    expect(files.length).toBeGreaterThan(5);
    const leaks: string[] = [];
    for (const file of files) {
      const bytes = fs.readFileSync(file);
      for (const [name, value] of Object.entries(SECRETS)) {
        const secret = name === 'DATABASE_URL' ? value.split(':')[2].split('@')[0] : value;
        if (bytes.includes(secret)) {
          leaks.push(`${name} in ${path.relative(home, file)}`);
        }
      }
    }
    expect(leaks).toEqual([]);
    // The sweep can see what a task printed and what a run recorded: it would have seen a secret there.
    expect(files.some((file) => fs.readFileSync(file).includes(HTML_ATTACKS.log))).toBe(true);
    expect(files.some((file) => fs.readFileSync(file).includes(HTML_ATTACKS.param))).toBe(true);
  });
});

describe('HTML from artifacts, logs, names, tags and parameters is escaped', () => {
  function expectInert(html: string, mustShow: string[]): void {
    const dom = new JSDOM(html);
    const doc = dom.window.document;
    expect(doc.querySelectorAll('script, img, svg, iframe, object, embed').length).toBe(0);
    for (const element of doc.querySelectorAll('*')) {
      for (const attribute of element.getAttributeNames()) {
        expect(attribute).not.toMatch(/^on/i);
      }
      for (const attribute of ['href', 'src']) {
        expect(element.getAttribute(attribute) ?? '').not.toMatch(/javascript:/i);
      }
    }
    const text = doc.body.textContent ?? '';
    for (const shown of mustShow) {
      expect(text).toContain(shown);
    }
  }

  test('the card: a self-contained page with no active content', async () => {
    const out = path.join(work, 'card.html');
    const result = await cellflow(['card', startTask, '--out', out], { env: { CELLFLOW_HOME: home } });
    expect(result.code).toBe(0);
    const html = fs.readFileSync(out, 'utf8');
    fs.rmSync(out);
    expectInert(html, [HTML_ATTACKS.artifactName, HTML_ATTACKS.artifactValue, HTML_ATTACKS.param]);
    const runOut = path.join(work, 'run-card.html');
    const runCard = await cellflow(['card', pathspec, '--out', runOut], { env: { CELLFLOW_HOME: home } });
    expect(runCard.code).toBe(0);
    const runHtml = fs.readFileSync(runOut, 'utf8');
    fs.rmSync(runOut);
    expectInert(runHtml, [HTML_ATTACKS.tag, HTML_ATTACKS.param]);
  });

  test("the kernel's text/html fallback for a Run and a Task", () => {
    const ds = Datastore.open({ root: home });
    const run = richDisplay(Run.get(pathspec, ds))!;
    expectInert(run['text/html'] as string, [HTML_ATTACKS.tag]);
    const task = richDisplay(Task.get(startTask, ds))!;
    expectInert(task['text/html'] as string, [HTML_ATTACKS.artifactName]);
  });
});
