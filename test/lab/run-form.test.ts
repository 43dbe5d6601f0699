import type { Parameter } from '../../src/core/model';
import {
  checkResumeForm,
  checkRunForm,
  initialRunForm,
  parameterFields,
  resumeRequestOf,
  runRequestOf,
} from '../../src/lab/run-form';

const cell = { index: 1, id: 'params' };
const parameters: Parameter[] = [
  { name: 'epochs', type: 'number', default: 200, cell, line: 1 },
  { name: 'label', type: 'string', default: 'fast', cell, line: 2 },
  { name: 'verbose', type: 'boolean', default: false, cell, line: 3 },
  { name: 'grid', type: 'json', default: [0.1, 0.5], cell, line: 4 },
  { name: 'limit', type: 'json', default: null, cell, line: 5 },
  Object.assign(
    { name: 'rate', type: 'number' as const, default: 0.5, cell, line: 6 },
    { help: 'learning rate' },
  ),
];

test('fields carry the type, the default as text, help text when core gives one, and optional for null', () => {
  const fields = parameterFields(parameters);
  expect(fields.map((f) => [f.name, f.type, f.defaultText, f.optional])).toEqual([
    ['epochs', 'number', '200', false],
    ['label', 'string', 'fast', false],
    ['verbose', 'boolean', 'false', false],
    ['grid', 'json', '[0.1,0.5]', false],
    ['limit', 'json', '', true],
    ['rate', 'number', '0.5', false],
  ]);
  expect(fields[5].help).toBe('learning rate');
  expect(fields[0].help).toBeUndefined();
});

test('the defaults are valid; each bad value gets the message for its field', () => {
  const fields = parameterFields(parameters);
  const values = initialRunForm(parameters, { maxWorkers: 2, datastore: '' });
  expect(values.maxWorkers).toBe('2');
  expect(checkRunForm(fields, values)).toEqual({});
  const bad = {
    ...values,
    params: { ...values.params, epochs: 'many', verbose: 'maybe', grid: '{"a":1}' },
    tags: 'ok\nbad,tag',
    seed: '1.5',
    maxWorkers: '0',
  };
  expect(checkRunForm(fields, bad)).toEqual({
    epochs: 'epochs is a number.',
    verbose: 'verbose is true or false.',
    grid: 'grid is a JSON array.',
    tags: 'tag "bad,tag": tags are one value each, without commas.',
    seed: 'the seed is a whole number (empty: drawn and recorded).',
    maxWorkers: 'max workers is a whole number of 1 or more (empty: the CPU count).',
  });
});

test('the run request sends only changed parameters, and the run options given', () => {
  const fields = parameterFields(parameters);
  const values = initialRunForm(parameters, { maxWorkers: 0, datastore: '' });
  expect(runRequestOf('nb.ipynb', fields, values)).toEqual({ op: 'run', notebook: 'nb.ipynb' });
  const changed = {
    ...values,
    params: { ...values.params, epochs: '20', verbose: 'Yes' },
    tags: 'exp-1\n\nbaseline ',
    seed: '7',
    maxWorkers: '3',
    datastore: 'runs',
  };
  expect(runRequestOf('nb.ipynb', fields, changed)).toEqual({
    op: 'run',
    notebook: 'nb.ipynb',
    params: { epochs: '20', verbose: 'true' },
    tags: ['exp-1', 'baseline'],
    seed: 7,
    maxWorkers: 3,
    datastore: 'runs',
  });
});

test('resume: from the first failed step by default, or a step of the run', () => {
  expect(resumeRequestOf('f/1', { fromStep: '', maxWorkers: '' }, '')).toEqual({
    op: 'resume',
    pathspec: 'f/1',
  });
  expect(resumeRequestOf('f/1', { fromStep: 'b', maxWorkers: '2' }, 'runs')).toEqual({
    op: 'resume',
    pathspec: 'f/1',
    fromStep: 'b',
    maxWorkers: 2,
    datastore: 'runs',
  });
  expect(checkResumeForm({ fromStep: 'zzz', maxWorkers: '' }, ['a', 'b'])).toEqual({
    fromStep: "the run has no step 'zzz'.",
  });
});
