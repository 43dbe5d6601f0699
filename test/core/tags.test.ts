import { formatTag, parseCellTags, parseTag } from '../../src/core/tags';

test('every cellflow tag parses and formats back to itself', () => {
  const tags = [
    'step:start',
    'step:train_2',
    'next:a,b',
    'foreach:grid',
    'parameters',
    'skip',
    'retry:3',
    'timeout:90',
    'timeout:2.5',
    'resources:cpu=2,memory=4096,gpu=1',
    'resources:memory=512',
    'resources:cpu=0.5',
    'catch:error',
    'env:MODE=fast',
    'env:EMPTY=',
    'env:URL=http://x?a=b',
    'hide-input',
  ];
  for (const raw of tags) {
    const parsed = parseTag(raw);
    expect(parsed.problem).toBeUndefined();
    expect(formatTag(parsed.tag!)).toBe(raw);
  }
  expect(parseTag('next: a , b').tag).toEqual({ kind: 'next', targets: ['a', 'b'] });
  expect(parseTag('resources:cpu=2,memory=4096,gpu=1').tag).toEqual({
    kind: 'resources',
    resources: { cpu: 2, memoryMb: 4096, gpu: 1 },
  });
  expect(parseTag('hide-input').tag).toEqual({ kind: 'other', raw: 'hide-input' });
});

test.each([
  ['step:', "tag 'step:' has an empty step name"],
  ['step:Train', "step name 'Train' in tag 'step:Train' is invalid"],
  ['step:9lives', "step name '9lives' in tag 'step:9lives' is invalid"],
  ['step:' + 'a'.repeat(65), 'at most 64 characters'],
  ['step:__proto__', "step name '__proto__' is reserved"],
  ['step', "tag 'step' needs a value: step:NAME"],
  ['next:a,,b', "tag 'next:a,,b' has an empty step name"],
  ['next:a,a', "tag 'next:a,a' names step 'a' twice"],
  ['foreach:1x', "artifact name '1x' in tag 'foreach:1x' is invalid"],
  ['retry:x', 'retry must be a whole number'],
  ['retry:-1', 'retry must be a whole number'],
  ['retry:101', 'from 0 to 100'],
  ['timeout:0', 'timeout must be a positive number'],
  ['timeout:soon', 'timeout must be a positive number'],
  ['resources:cpu=', "cpu must be a positive number, got ''"],
  ['resources:cpu=0', 'cpu must be a positive number'],
  ['resources:memory=1.5', 'memory must be a positive whole number of MB'],
  ['resources:gpu=-1', 'gpu must be a whole number'],
  ['resources:disk=10', "unknown resource 'disk'"],
  ['resources:cpu=1,cpu=2', "gives resource 'cpu' twice"],
  ['env:=x', 'use env:KEY=VALUE'],
  ['env:NOVALUE', 'use env:KEY=VALUE'],
  ['skip:now', "tag 'skip:now' takes no value"],
  ['parameters:x', "tag 'parameters:x' takes no value"],
])('%s is an invalid tag', (raw, message) => {
  const parsed = parseTag(raw);
  expect(parsed.problem?.rule).toBe('invalid-tag');
  expect(parsed.problem?.message).toContain(message);
});

test.each([
  ['stp:train', "Did you mean 'step:train'?"],
  ['Next:a', "Did you mean 'next:a'?"],
  ['STEP:train', "Did you mean 'step:train'?"],
  ['forech:grid', "Did you mean 'foreach:grid'?"],
  ['retyr:2', "Did you mean 'retry:2'?"],
  ['paramters', "Did you mean 'parameters'?"],
  ['Parameters', "Did you mean 'parameters'?"],
  ['skp', "Did you mean 'skip'?"],
  ['timout:5', "Did you mean 'timeout:5'?"],
])('near miss %s gets a hint', (raw, hint) => {
  const parsed = parseTag(raw);
  expect(parsed.problem?.rule).toBe('misspelled-tag');
  expect(parsed.problem?.hint).toBe(hint);
});

test('tags far from any keyword are left alone', () => {
  for (const raw of ['hide-input', 'remove-cell', 'text', 'injected-parameters', 'slow', 'draft:1']) {
    expect(parseTag(raw).tag).toEqual({ kind: 'other', raw });
  }
});

test('a step name hint lower-cases the name', () => {
  expect(parseTag('step:Train').problem?.hint).toBe("Did you mean 'step:train'?");
});

test('parseCellTags gathers a step cell with its options', () => {
  const cell = parseCellTags([
    'step:fit',
    'next:a,b',
    'retry:2',
    'timeout:30',
    'resources:cpu=2',
    'catch:err',
    'env:A=1',
    'hide-input',
  ]);
  expect(cell).toMatchObject({
    step: 'fit',
    next: ['a', 'b'],
    parameters: false,
    skip: false,
    options: { retry: 2, timeoutSeconds: 30, resources: { cpu: 2 }, catch: 'err', env: { A: '1' } },
    other: ['hide-input'],
    problems: [],
  });
});

test('parseCellTags reports conflicts and options without a step', () => {
  expect(parseCellTags(['step:a', 'step:b']).problems.map((p) => p.rule)).toEqual(['conflicting-tags']);
  expect(parseCellTags(['step:a', 'parameters']).problems.map((p) => p.rule)).toEqual(['conflicting-tags']);
  expect(parseCellTags(['retry:1', 'retry:2', 'step:a']).problems.map((p) => p.rule)).toEqual([
    'conflicting-tags',
  ]);
  expect(parseCellTags(['env:A=1', 'env:A=2', 'step:a']).problems[0].message).toContain("'A' a second time");
  const orphan = parseCellTags(['next:b', 'timeout:3']);
  expect(orphan.problems.map((p) => p.rule)).toEqual(['option-without-step']);
  expect(orphan.problems[0].message).toBe(
    "tags 'next:b', 'timeout:3' only apply to a step: put them on the cell tagged step:NAME",
  );
  expect(parseCellTags(['parameters', 'skip']).problems.map((p) => p.rule)).toEqual(['conflicting-tags']);
});
