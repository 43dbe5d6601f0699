// Core's artifact comparison, shared by the run browser's Compare and `cellflow reproduce`: equal by
// sha256, a side without the artifact named as such, names in the order first seen.
import {
  artifactNames,
  artifactVerdict,
  hashVerdict,
  runsVerdict,
  sameArtifacts,
} from '../../src/core/run-compare';

const ref = (sha256: string) => ({ sha256, codec: 'json', bytes: 1 });

test('an artifact is equal when its hashes are, and a missing side is named, not called different', () => {
  expect(artifactVerdict(ref('aa'), ref('aa'))).toBe('equal');
  expect(artifactVerdict(ref('aa'), ref('bb'))).toBe('different');
  expect(artifactVerdict(ref('aa'), undefined)).toBe('only-a');
  expect(artifactVerdict(undefined, ref('bb'))).toBe('only-b');
});

test('hash sequences (a foreach step, task by task) compare as wholes', () => {
  expect(hashVerdict('aa,bb', 'aa,bb')).toBe('equal');
  expect(hashVerdict('aa,bb', 'aa,bb,cc')).toBe('different');
  expect(hashVerdict(undefined, 'aa')).toBe('only-b');
  expect(hashVerdict('', undefined)).toBe('only-a');
});

test('artifact names: every map once, first seen first; absent maps count as empty', () => {
  expect(artifactNames({ b: ref('1'), a: ref('2') }, undefined, { c: ref('3'), a: ref('4') })).toEqual([
    'b',
    'a',
    'c',
  ]);
  expect(artifactNames()).toEqual([]);
});

test('two tasks agree only with the same names and the same values', () => {
  expect(sameArtifacts({ x: ref('1'), y: ref('2') }, { y: ref('2'), x: ref('1') })).toBe(true);
  expect(sameArtifacts({}, {})).toBe(true);
  expect(sameArtifacts({ x: ref('1') }, { x: ref('9') })).toBe(false);
  expect(sameArtifacts({ x: ref('1') }, { x: ref('1'), extra: ref('2') })).toBe(false);
  expect(sameArtifacts({ x: ref('1'), gone: ref('2') }, { x: ref('1') })).toBe(false);
});

test('across several runs: equal only when every run holds the same hash, missing when any lacks it', () => {
  expect(runsVerdict(['aa', 'aa', 'aa'])).toBe('equal');
  expect(runsVerdict(['aa', 'aa', 'bb'])).toBe('different');
  expect(runsVerdict(['aa', undefined, 'aa'])).toBe('missing');
  expect(runsVerdict(['aa', undefined, 'bb'])).toBe('missing');
});
