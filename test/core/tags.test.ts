import { fixCellTags, formatTag, parseCellTags, parseTag, splitCommaTag } from '../../src/core/tags';

test('every cellflow tag parses and formats back to itself', () => {
  const tags = [
    'step:start',
    'step:train_2',
    'next:a',
    'foreach:grid',
    'parameters',
    'skip',
    'retry:3',
    'timeout:90',
    'timeout:2.5',
    'resources:gpu=1',
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
  expect(parseTag('next: a ').tag).toEqual({ kind: 'next', target: 'a' });
  expect(parseTag('resources:memory=4096').tag).toEqual({ kind: 'resources', key: 'memory', amount: 4096 });
  expect(parseTag('hide-input').tag).toEqual({ kind: 'other', raw: 'hide-input' });
});

test.each([
  ['step:', "tag 'step:' has an empty step name"],
  ['step:Train', "step name 'Train' in tag 'step:Train' is invalid"],
  ['step:9lives', "step name '9lives' in tag 'step:9lives' is invalid"],
  ['step:' + 'a'.repeat(65), 'at most 64 characters'],
  ['step:__proto__', "step name '__proto__' is reserved"],
  ['step', "tag 'step' needs a value: step:NAME"],
  ['next:', "tag 'next:' has an empty step name"],
  ['next:Bad', "step name 'Bad' in tag 'next:Bad' is invalid"],
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
  ['resources:cpu', "cpu must be a positive number, got ''"],
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
    'next:a',
    'next:b',
    'retry:2',
    'timeout:30',
    'resources:cpu=2',
    'resources:memory=512',
    'catch:err',
    'env:A=1',
    'hide-input',
  ]);
  expect(cell).toMatchObject({
    step: 'fit',
    next: ['a', 'b'],
    parameters: false,
    skip: false,
    options: {
      retry: 2,
      timeoutSeconds: 30,
      resources: { cpu: 2, memoryMb: 512 },
      catch: 'err',
      env: { A: '1' },
    },
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
  expect(parseCellTags(['step:a', 'next:b', 'next:b']).problems[0].message).toBe(
    "tag 'next:b' names step 'b' a second time",
  );
  expect(parseCellTags(['step:a', 'resources:cpu=1', 'resources:cpu=2']).problems[0].message).toBe(
    "tags 'resources:cpu=1' and 'resources:cpu=2' conflict: resource 'cpu' is set twice",
  );
  const orphan = parseCellTags(['next:b', 'timeout:3']);
  expect(orphan.problems.map((p) => p.rule)).toEqual(['option-without-step']);
  expect(orphan.problems[0].message).toBe(
    "tags 'next:b', 'timeout:3' only apply to a step: put them on the cell tagged step:NAME",
  );
  expect(parseCellTags(['parameters', 'skip']).problems.map((p) => p.rule)).toEqual(['conflicting-tags']);
});

test.each([
  ['next:a,b', ['next:a', 'next:b']],
  ['next: a , b ,c', ['next:a', 'next:b', 'next:c']],
  ['next:a,,a', ['next:a']],
  ['resources:cpu=2,memory=4096', ['resources:cpu=2', 'resources:memory=4096']],
  ['env:A=1,B=2', ['env:A=1', 'env:B=2']],
  ['owner:ana,bo', ['owner:ana', 'owner:bo']],
  ['hide-input,hide-output', ['hide-input', 'hide-output']],
])('comma tag %s is rewritten as %j', (raw, rewrite) => {
  expect(splitCommaTag(raw)).toEqual(rewrite);
  const parsed = parseTag(raw);
  expect(parsed.problem?.rule).toBe('comma-tag');
  expect(parsed.problem?.rewrite).toEqual(rewrite);
});

test('a comma tag says the exact rewrite, and is read as it so the graph is the one meant', () => {
  expect(parseTag('next:a,b').problem).toEqual({
    rule: 'comma-tag',
    message: "tag 'next:a,b' contains ',', which nbformat forbids in a tag: write one value per tag",
    hint: "Use the tags 'next:a' and 'next:b' instead ('cellflow lint --fix' rewrites it).",
    rewrite: ['next:a', 'next:b'],
  });
  const cell = parseCellTags(['step:s', 'next:a,b', 'resources:cpu=2,memory=64']);
  expect(cell.next).toEqual(['a', 'b']);
  expect(cell.options.resources).toEqual({ cpu: 2, memoryMb: 64 });
  expect(cell.problems.map((p) => [p.rule, p.tag])).toEqual([
    ['comma-tag', 'next:a,b'],
    ['comma-tag', 'resources:cpu=2,memory=64'],
  ]);
});

test('a comma no tags can replace is reported without a rewrite', () => {
  for (const raw of ['env:PATH=/a,/b', 'next:,', ',']) {
    expect(splitCommaTag(raw)).toBeUndefined();
    expect(parseTag(raw).problem?.rule).toBe('comma-tag');
    expect(parseTag(raw).problem?.rewrite).toBeUndefined();
  }
  expect(parseTag('env:PATH=/a,/b').problem?.hint).toBe(
    'An env: value cannot hold a comma; set that variable outside the notebook.',
  );
});

test('fixCellTags splits comma tags in place and adds no tag the cell already has', () => {
  expect(fixCellTags(['x', 'step:s', 'next:a,b', 'next:b', 'env:P=/a,/b'])).toEqual({
    tags: ['x', 'step:s', 'next:a', 'next:b', 'env:P=/a,/b'],
    changes: [{ from: 'next:a,b', to: ['next:a'] }],
    unfixable: ['env:P=/a,/b'],
  });
  expect(fixCellTags(['step:s', 'next:a'])).toEqual({
    tags: ['step:s', 'next:a'],
    changes: [],
    unfixable: [],
  });
});

test.each([
  ['retries:3', "Did you mean 'retry:3'?"],
  ['timeout_seconds:5', "Did you mean 'timeout:5'?"],
  ['environment:A=1', "Did you mean 'env:A=1'?"],
  ['foreach_over:grid', "Did you mean 'foreach:grid'?"],
  ['max_timeout:9', "Did you mean 'timeout:9'?"],
])('unknown tag %s on a step cell is a warning with a hint', (raw, hint) => {
  const problems = parseCellTags(['step:s', raw]).problems;
  expect(problems).toEqual([
    {
      rule: 'unknown-tag',
      severity: 'warning',
      tag: raw,
      message: `tag '${raw}' on a step cell is not a cellflow tag, so it is ignored`,
      hint,
    },
  ]);
});

test('unknown word:value tags warn only on step cells; plain tags never', () => {
  expect(parseCellTags(['retries:3']).problems).toEqual([]);
  expect(parseCellTags(['step:s', 'hide-input', 'slow']).problems).toEqual([]);
  expect(parseCellTags(['step:s', 'owner:ana']).problems[0].hint).toMatch(
    /^cellflow's tags are 'step:', 'next:'/,
  );
});
