import { parseTag } from '../../src/core/tags';
import {
  checkStepForm,
  EMPTY_FORM,
  formFromTags,
  readCellTags,
  rewriteCellTags,
  type StepFormValues,
  suggestStepName,
  tagsFromForm,
} from '../../src/lab/step-form';

const context = {
  otherSteps: [
    { name: 'start', cellIndex: 1 },
    { name: 'a', cellIndex: 2 },
    { name: 'b', cellIndex: 3 },
  ],
};

function step(values: Partial<StepFormValues>): StepFormValues {
  return { ...EMPTY_FORM, role: 'step', name: 'train', ...values };
}

test('tags → form → tags gives back the canonical tags, and unrelated tags stay', () => {
  const raw = [
    'hide-input',
    'step:join',
    'next:end',
    'retry:2',
    'timeout:30',
    'resources:cpu=2',
    'resources:memory=512',
    'resources:gpu=1',
    'catch:error',
    'env:MODE=fast',
    'env:SEED=7',
  ];
  const values = formFromTags(readCellTags(raw));
  expect(values).toEqual({
    role: 'step',
    name: 'join',
    next: 'end',
    foreach: '',
    switchOn: '',
    retry: '2',
    timeout: '30',
    cpu: '2',
    memory: '512',
    gpu: '1',
    catchArtifact: 'error',
    env: 'MODE=fast\nSEED=7',
  });
  expect(rewriteCellTags(raw, values)).toEqual(raw);
});

test('making a cell a step writes step and next tags core parses back to the same values', () => {
  const tags = rewriteCellTags(['keep-me'], step({ name: 'fit', next: 'a, b' }));
  expect(tags).toEqual(['keep-me', 'step:fit', 'next:a', 'next:b']);
  for (const tag of tags) {
    expect(parseTag(tag).problem).toBeUndefined();
  }
  expect(formFromTags(readCellTags(tags)).next).toBe('a, b');
});

test('parameters, skip and none replace the step tags; malformed cellflow tags are replaced too', () => {
  const raw = ['step:old', 'retry:x', 'stp:typo', 'mine'];
  expect(rewriteCellTags(raw, { ...EMPTY_FORM, role: 'parameters' })).toEqual([
    'stp:typo',
    'mine',
    'parameters',
  ]);
  expect(rewriteCellTags(raw, { ...EMPTY_FORM, role: 'skip' })).toEqual(['stp:typo', 'mine', 'skip']);
  expect(rewriteCellTags(raw, { ...EMPTY_FORM, role: 'none' })).toEqual(['stp:typo', 'mine']);
});

test('a foreach step with options', () => {
  expect(tagsFromForm(step({ name: 'fan', foreach: 'grid', retry: '1', cpu: '0.5' }))).toEqual([
    { kind: 'step', name: 'fan' },
    { kind: 'foreach', artifact: 'grid' },
    { kind: 'retry', count: 1 },
    { kind: 'resources', key: 'cpu', amount: 0.5 },
  ]);
});

test('valid values have no messages; non-step roles need nothing', () => {
  expect(checkStepForm(step({ next: 'a' }), context)).toEqual({ errors: {}, warnings: {} });
  expect(checkStepForm({ ...EMPTY_FORM, role: 'skip', name: 'NOT valid' }, context).errors).toEqual({});
});

test.each([
  [{ name: '' }, 'name', /empty step name/],
  [{ name: 'Train' }, 'name', /lowercase letters.*Did you mean 'step:train'/],
  [{ name: 'a' }, 'name', /^Step 'a' already exists \(cell 2\)\.$/],
  [{ next: 'a, Bad' }, 'next', /step name 'Bad'/],
  [{ next: 'train' }, 'next', /^A step cannot be its own successor, unless it is a switch \(a loop\)\.$/],
  [{ switchOn: '1x', next: 'a, b' }, 'switchOn', /artifact name '1x'/],
  [{ switchOn: 'mode', next: 'a' }, 'switchOn', /^A switch picks one of two or more next steps/],
  [
    { switchOn: 'mode', foreach: 'grid', next: 'a' },
    'switchOn',
    /^A step is a switch or a foreach, not both\.$/,
  ],
  [{ next: 'a, a' }, 'next', /^Step 'a' is named twice\.$/],
  [{ foreach: '1x' }, 'foreach', /artifact name '1x'/],
  [{ foreach: 'grid', next: 'a, b' }, 'foreach', /^A foreach step has exactly one successor\.$/],
  [{ retry: 'x' }, 'retry', /retry must be a whole number/],
  [{ retry: '101' }, 'retry', /from 0 to 100/],
  [{ timeout: '0' }, 'timeout', /timeout must be a positive number/],
  [{ cpu: '-1' }, 'cpu', /cpu must be a positive number/],
  [{ memory: '1.5' }, 'memory', /memory must be a positive whole number of MB/],
  [{ gpu: 'many' }, 'gpu', /gpu must be a whole number/],
  [{ catchArtifact: 'no-dash' }, 'catchArtifact', /artifact name 'no-dash'/],
  [{ env: 'MODE=fast\nnot a pair' }, 'env', /^Line 2: write KEY=VALUE\.$/],
  [{ env: '1BAD=x' }, 'env', /^Line 1: .*KEY made of letters/],
  [{ env: 'A=1\nA=2' }, 'env', /^Line 2: A is set twice\.$/],
] as [Partial<StepFormValues>, string, RegExp][])('%j → %s error', (values, field, message) => {
  const { errors } = checkStepForm(step(values), context);
  expect(Object.keys(errors)).toEqual([field]);
  expect(errors[field as keyof typeof errors]).toMatch(message);
});

test('a successor that does not exist yet is a warning, not an error', () => {
  const check = checkStepForm(step({ next: 'a, later' }), context);
  expect(check.errors).toEqual({});
  expect(check.warnings.next).toBe("No step named 'later' yet.");
});

test('suggested names are free', () => {
  expect(suggestStepName(context)).toBe('step_1');
  expect(suggestStepName({ otherSteps: [{ name: 'step_1', cellIndex: 0 }] })).toBe('step_2');
});

test('a switch step: its tag round-trips, and it may loop on itself', () => {
  const values = step({ name: 'train', next: 'train, report', switchOn: 'then' });
  expect(checkStepForm(values, context).errors).toEqual({});
  const tags = rewriteCellTags([], values);
  expect(tags).toEqual(['step:train', 'next:train', 'next:report', 'switch:then']);
  expect(formFromTags(readCellTags(tags))).toEqual(values);
});
