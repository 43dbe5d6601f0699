import { execFileSync } from 'child_process';
import * as arrow from 'apache-arrow';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { inspect } from 'util';
import * as vm from 'vm';
import { decodeArtifact, encodeArtifact, UnstorableArtifactError } from '../../src/runtime/codecs/codecs';
import { Datastore } from '../../src/runtime/datastore/datastore';
import { REPO_ROOT, runTsChild } from '../helpers/ts-child';
import { PYTHON } from '../helpers/python-peers';

function roundTrip(value: unknown) {
  const { codec, chunks } = encodeArtifact('x', value);
  return { codec, chunks, decoded: decodeArtifact(codec, Buffer.concat(chunks)) };
}

describe('codec choice and round trips', () => {
  it.each([
    ['an object of JSON values', { a: 1, b: 'two', c: [true, null, { d: 1.5 }], e: '\u{1F600}' }],
    ['a string', 'plain'],
    ['a number', 42],
    ['null', null],
    ['an empty array', []],
  ])('stores %s as json', (_label, value) => {
    const { codec, decoded } = roundTrip(value);
    expect(codec).toBe('json');
    expect(decoded).toEqual(value);
  });

  it.each([
    [
      'a Map',
      new Map<unknown, unknown>([
        ['k', 1],
        [2, { n: [1] }],
      ]),
    ],
    ['a Set', new Set([1, 'a', 3])],
    ['a Date', new Date('2024-05-01T12:34:56.789Z')],
    ['a BigInt', 2n ** 70n],
    ['a Float64Array', new Float64Array([1.5, -2.25, Math.PI])],
    ['an Int32Array', Int32Array.from([1, -2, 3])],
    ['a nested Date', { when: new Date(0), tags: ['a'] }],
    ['NaN', NaN],
    ['Infinity in an array', [1, Infinity]],
    ['undefined in an object', { a: undefined, b: 1 }],
    ['a sparse array', [1, , 3]], // eslint-disable-line no-sparse-arrays
    ['a RegExp', /ab+c/gi],
  ])('stores %s as v8 and reads it back unchanged', (_label, value) => {
    const { codec, decoded } = roundTrip(value);
    expect(codec).toBe('v8');
    // v8.deserialize builds objects in Node's main realm, not jest's sandbox, so compare what
    // inspect shows (types and contents) rather than constructors.
    expect(inspect(decoded, { depth: null })).toBe(inspect(value, { depth: null }));
    expect(Object.prototype.toString.call(decoded)).toBe(Object.prototype.toString.call(value));
  });

  it('keeps -0 and cycles through v8', () => {
    expect(roundTrip(-0)).toMatchObject({ codec: 'v8' });
    expect(Object.is(roundTrip(-0).decoded, -0)).toBe(true);
    const cyclic: { name: string; self?: unknown } = { name: 'loop' };
    cyclic.self = cyclic;
    const { codec, decoded } = roundTrip(cyclic);
    expect(codec).toBe('v8');
    expect((decoded as { self: unknown }).self).toBe(decoded);
  });

  it('stores Uint8Array and Buffer as raw bytes without copying them', () => {
    const bytes = new Uint8Array([0, 1, 2, 255]);
    const encoded = encodeArtifact('raw', bytes);
    expect(encoded.codec).toBe('bytes');
    expect(encoded.chunks[0]).toBe(bytes);
    const decoded = decodeArtifact('bytes', Buffer.concat(encoded.chunks));
    expect(Buffer.isBuffer(decoded)).toBe(true);
    expect([...(decoded as Buffer)]).toEqual([0, 1, 2, 255]);
    expect(roundTrip(Buffer.from('text')).decoded).toEqual(Buffer.from('text'));
  });

  it('treats values made in another realm (a kernel vm context) like local ones', () => {
    expect(encodeArtifact('x', vm.runInNewContext('({ a: 1, list: [1, 2] })')).codec).toBe('json');
    expect(encodeArtifact('x', vm.runInNewContext('new Uint8Array([1, 2])')).codec).toBe('bytes');
    expect(encodeArtifact('x', vm.runInNewContext('new Map([[1, 2]])')).codec).toBe('v8');
    expect(() => encodeArtifact('x', vm.runInNewContext('new (class Point { norm() {} })()'))).toThrow(
      /instance of Point/,
    );
  });

  it('does not let JSON "__proto__" keys change prototypes when decoding', () => {
    const decoded = decodeArtifact('json', Buffer.from('{"__proto__": {"polluted": true}}')) as object;
    expect(({} as { polluted?: boolean }).polluted).toBeUndefined();
    expect(Object.getPrototypeOf(decoded)).toBe(Object.prototype);
  });
});

describe('unstorable values', () => {
  it.each([
    ['a function', () => 1, /artifact 'model' cannot be stored: self\.model is a function/],
    ['a nested function', { fit: { fn() {} } }, /self\.model\.fit\.fn is a function/],
    ['a function inside a Map', new Map([['cb', () => 0]]), /self\.model\.get\("cb"\) is a function/],
    ['a symbol', [Symbol('s')], /self\.model\[0\] is a symbol/],
    [
      'a class instance',
      {
        m: new (class Model {
          predict() {}
        })(),
      },
      /self\.model\.m is an instance of Model/,
    ],
    ['a socket-like stream', { out: process.stdout }, /self\.model\.out is an instance of/],
    ['a WeakMap', new WeakMap(), /artifact 'model' cannot be stored: .*WeakMap/],
  ])('rejects %s, naming the artifact', (_label, value, message) => {
    let caught: unknown;
    try {
      encodeArtifact('model', value);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(UnstorableArtifactError);
    expect((caught as UnstorableArtifactError).artifact).toBe('model');
    expect((caught as Error).message).toMatch(message);
  });
});

describe('Arrow tables', () => {
  let root: string;
  beforeAll(() => (root = fs.mkdtempSync(path.join(os.tmpdir(), 'cellflow-codecs-'))));
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

  /** A table of several record batches; labels are plain Utf8, or dictionary-encoded per batch. */
  function multiBatchTable(batches: number, rowsPerBatch: number, dictionaryLabels = false): arrow.Table {
    const parts = Array.from({ length: batches }, (_, b) => {
      const labels = Array.from({ length: rowsPerBatch }, (_, i) => `row-${b * rowsPerBatch + i}`);
      return new arrow.Table({
        id: arrow.vectorFromArray(Int32Array.from({ length: rowsPerBatch }, (_, i) => b * rowsPerBatch + i)),
        score: arrow.vectorFromArray(Float64Array.from({ length: rowsPerBatch }, (_, i) => i / 2)),
        label: dictionaryLabels
          ? arrow.vectorFromArray(labels)
          : arrow.vectorFromArray(labels, new arrow.Utf8()),
      });
    });
    return parts.slice(1).reduce((table, part) => table.concat(part), parts[0]);
  }

  const readWithPyarrow = (reader: 'open_file' | 'open_stream', file: string) =>
    execFileSync(
      PYTHON,
      [
        '-c',
        [
          'import sys, pyarrow.ipc as ipc',
          `t = ipc.${reader}(sys.argv[1]).read_all()`,
          'print(t.num_rows, t.column_names, t.column("label")[t.num_rows - 1], t.column("id").to_pylist()[:3])',
        ].join('\n'),
        file,
      ],
      { encoding: 'utf8' },
    ).trim();

  it('encodes a Table as Arrow IPC chunks that view the table memory, and decodes it back', () => {
    const table = multiBatchTable(4, 1000);
    const { codec, chunks } = encodeArtifact('frame', table);
    expect(codec).toBe('arrow');
    expect(chunks.length).toBeGreaterThan(4);
    // The id column of the first batch is written straight from its own buffer, not from a copy.
    const idValues = table.batches[0].getChild('id')!.data[0].values;
    expect(chunks.some((chunk) => chunk.buffer === idValues.buffer)).toBe(true);
    const decoded = decodeArtifact('arrow', Buffer.concat(chunks)) as arrow.Table;
    expect(decoded).toBeInstanceOf(arrow.Table);
    expect(decoded.numRows).toBe(4000);
    expect(decoded.getChild('label')!.get(3999)).toBe('row-3999');
    expect(decoded.getChild('id')!.toArray()).toEqual(table.getChild('id')!.toArray());
  });

  it('writes an object file that pyarrow reads', async () => {
    const datastore = Datastore.open({ root });
    const ref = await datastore.saveArtifact('frame', multiBatchTable(3, 500));
    expect(ref.codec).toBe('arrow');
    expect(readWithPyarrow('open_file', datastore.objects.pathOf(ref.sha256))).toBe(
      "1500 ['id', 'score', 'label'] row-1499 [0, 1, 2]",
    );
    const back = (await datastore.loadArtifact(ref)) as arrow.Table;
    expect(back.numRows).toBe(1500);
  });

  it('falls back to the IPC stream format when batches carry different dictionaries', async () => {
    const datastore = Datastore.open({ root });
    const table = multiBatchTable(2, 10, true);
    expect(arrow.DataType.isDictionary(table.schema.fields[2].type)).toBe(true);
    const ref = await datastore.saveArtifact('frame', table);
    expect(ref.codec).toBe('arrow');
    expect(readWithPyarrow('open_stream', datastore.objects.pathOf(ref.sha256))).toBe(
      "20 ['id', 'score', 'label'] row-19 [0, 1, 2]",
    );
    const back = (await datastore.loadArtifact(ref)) as arrow.Table;
    expect(back.getChild('label')!.get(19)).toBe('row-19');
  });

  it("stores a Table made by a notebook project's own copy of apache-arrow", async () => {
    // A project with its own node_modules/apache-arrow (a copy, not a link: Node would dedupe a link).
    const project = path.join(root, 'project');
    const ownArrow = path.join(REPO_ROOT, 'node_modules', 'apache-arrow');
    fs.cpSync(ownArrow, path.join(project, 'node_modules', 'apache-arrow'), {
      recursive: true,
      filter: (src) => !/(\.map|\.mjs|\.ts|[\\/](src|bin|node_modules))$/.test(src),
    });
    const code = `
      const { createRequire } = require('module');
      const { encodeArtifact, decodeArtifact } = require('./src/runtime/codecs/codecs.ts');
      const theirs = createRequire(${JSON.stringify(path.join(project, 'flow.js'))})('apache-arrow');
      const ours = require('apache-arrow');
      const table = theirs.tableFromArrays({ n: Float64Array.from([1, 2, 3]) });
      const { codec, chunks } = encodeArtifact('frame', table);
      const back = decodeArtifact(codec, Buffer.concat(chunks));
      console.log(JSON.stringify({ foreign: theirs.Table !== ours.Table, codec, values: Array.from(back.getChild('n').toArray()) }));
    `;
    const out = await runTsChild(code, { NODE_PATH: path.join(REPO_ROOT, 'node_modules') });
    expect(JSON.parse(out)).toEqual({ foreign: true, codec: 'arrow', values: [1, 2, 3] });
  });

  it('refuses a Table nested in another value, saying how to store it', () => {
    expect(() => encodeArtifact('bundle', { table: arrow.tableFromArrays({ a: [1] }) })).toThrow(
      /self\.bundle\.table is an instance of Table.*store the Arrow Table as an artifact of its own/,
    );
  });
});
