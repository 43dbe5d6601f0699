// The tag grammar (DESIGN.md "Tag grammar"): parse one tag, format it back, and read a cell's tags
// into what the flow needs. Tags cellflow does not own are kept as `other`; a tag that looks like a
// misspelt cellflow tag (`stp:train`, `Next:a`) is an error with a "did you mean" hint, because
// silently ignoring it would change the flow.
import type { Resources, StepOptions, Tag } from './model';

const STEP_NAME = /^[a-z_][a-z0-9_]*$/;
const MAX_STEP_NAME = 64;
const ARTIFACT_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const ENV_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;
const MAX_RETRY = 100;
/** Names that would corrupt a plain JavaScript object keyed by step or artifact name. */
const RESERVED_NAMES = new Set(['__proto__', 'constructor', 'prototype']);

/** Keywords written `keyword:value`, and keywords written alone. */
const VALUED = ['step', 'next', 'foreach', 'retry', 'timeout', 'resources', 'catch', 'env'] as const;
const BARE = ['parameters', 'skip'] as const;

export interface TagProblem {
  /** `invalid-tag` (a cellflow tag with a malformed value) or `misspelled-tag`. */
  rule: 'invalid-tag' | 'misspelled-tag';
  message: string;
  hint?: string;
}

export type TagParse = { tag: Tag; problem?: undefined } | { tag?: undefined; problem: TagProblem };

export function isValidStepName(name: string): boolean {
  return STEP_NAME.test(name) && name.length <= MAX_STEP_NAME && !RESERVED_NAMES.has(name);
}

export function isValidArtifactName(name: string): boolean {
  return ARTIFACT_NAME.test(name) && !RESERVED_NAMES.has(name);
}

function invalid(message: string, hint?: string): TagParse {
  return { problem: { rule: 'invalid-tag', message, hint } };
}

function stepNameProblem(name: string, tag: string): string | undefined {
  if (name === '') return `tag '${tag}' has an empty step name`;
  if (RESERVED_NAMES.has(name)) return `step name '${name}' is reserved`;
  if (!isValidStepName(name)) {
    return `step name '${name}' in tag '${tag}' is invalid: use lowercase letters, digits and '_', starting with a letter or '_', at most ${MAX_STEP_NAME} characters`;
  }
  return undefined;
}

function stepNameHint(keyword: string, name: string): string | undefined {
  const fixed = name
    .toLowerCase()
    .replace(/[^a-z0-9_]/g, '_')
    .replace(/^(?=[0-9])/, '_');
  return isValidStepName(fixed) && fixed !== name ? `Did you mean '${keyword}:${fixed}'?` : undefined;
}

function artifactNameProblem(name: string, tag: string): string | undefined {
  if (name === '') return `tag '${tag}' has an empty artifact name`;
  if (!isValidArtifactName(name)) {
    return `artifact name '${name}' in tag '${tag}' is invalid: use letters, digits and '_', not starting with a digit`;
  }
  return undefined;
}

function parseResources(value: string, tag: string): TagParse {
  const resources: Resources = {};
  const keys = { cpu: 'cpu', memory: 'memoryMb', gpu: 'gpu' } as const;
  for (const part of value.split(',')) {
    const [key, amount, ...rest] = part.split('=').map((s) => s.trim());
    if (!(key in keys)) {
      const guess = closest(key ?? '', Object.keys(keys));
      return invalid(
        `tag '${tag}' names an unknown resource '${key}': use cpu=N, memory=MB, gpu=N`,
        guess ? `Did you mean '${guess}'?` : undefined,
      );
    }
    const field = keys[key as keyof typeof keys];
    if (resources[field] !== undefined) return invalid(`tag '${tag}' gives resource '${key}' twice`);
    const number = Number(amount);
    const whole = key !== 'cpu';
    const pattern = whole ? /^\d+$/ : /^\d+(\.\d+)?$/;
    if (amount === undefined || rest.length > 0 || !pattern.test(amount) || (key !== 'gpu' && number <= 0)) {
      const what =
        key === 'cpu'
          ? 'a positive number'
          : key === 'memory'
            ? 'a positive whole number of MB'
            : 'a whole number';
      return invalid(`tag '${tag}': ${key} must be ${what}, got '${amount ?? ''}'`);
    }
    resources[field] = number;
  }
  return { tag: { kind: 'resources', resources } };
}

/** Parses the value of a tag whose keyword is exactly a cellflow keyword. */
function parseValued(keyword: (typeof VALUED)[number], value: string, tag: string): TagParse {
  switch (keyword) {
    case 'step': {
      const problem = stepNameProblem(value, tag);
      return problem ? invalid(problem, stepNameHint('step', value)) : { tag: { kind: 'step', name: value } };
    }
    case 'next': {
      const targets = value.split(',').map((s) => s.trim());
      for (const target of targets) {
        const problem = stepNameProblem(target, tag);
        if (problem) return invalid(problem);
      }
      const repeated = targets.find((t, i) => targets.indexOf(t) !== i);
      if (repeated) return invalid(`tag '${tag}' names step '${repeated}' twice`);
      return { tag: { kind: 'next', targets } };
    }
    case 'foreach':
    case 'catch': {
      const problem = artifactNameProblem(value, tag);
      if (problem) return invalid(problem);
      return {
        tag:
          keyword === 'foreach' ? { kind: 'foreach', artifact: value } : { kind: 'catch', artifact: value },
      };
    }
    case 'retry':
      if (!/^\d+$/.test(value) || Number(value) > MAX_RETRY) {
        return invalid(`tag '${tag}': retry must be a whole number of extra attempts from 0 to ${MAX_RETRY}`);
      }
      return { tag: { kind: 'retry', count: Number(value) } };
    case 'timeout':
      if (!/^\d+(\.\d+)?$/.test(value) || Number(value) <= 0) {
        return invalid(`tag '${tag}': timeout must be a positive number of seconds`);
      }
      return { tag: { kind: 'timeout', seconds: Number(value) } };
    case 'resources':
      return parseResources(value, tag);
    case 'env': {
      const eq = value.indexOf('=');
      const key = eq < 0 ? value : value.slice(0, eq);
      if (eq < 0 || !ENV_KEY.test(key)) {
        return invalid(`tag '${tag}': use env:KEY=VALUE with KEY made of letters, digits and '_'`);
      }
      return { tag: { kind: 'env', key, value: value.slice(eq + 1) } };
    }
  }
}

/** Parses one tag. Tags cellflow does not own come back as `{ kind: 'other' }`. */
export function parseTag(raw: string): TagParse {
  const colon = raw.indexOf(':');
  const keyword = colon < 0 ? raw : raw.slice(0, colon);
  const value = colon < 0 ? '' : raw.slice(colon + 1).trim();
  if ((VALUED as readonly string[]).includes(keyword)) {
    if (colon < 0) return invalid(`tag '${raw}' needs a value: ${keyword}:${placeholder(keyword)}`);
    return parseValued(keyword as (typeof VALUED)[number], value, raw);
  }
  if ((BARE as readonly string[]).includes(keyword)) {
    if (colon >= 0) return invalid(`tag '${raw}' takes no value: write '${keyword}'`);
    return { tag: keyword === 'skip' ? { kind: 'skip' } : { kind: 'parameters' } };
  }
  const suggestion = nearMiss(keyword, colon >= 0);
  if (suggestion) {
    const fixed = colon < 0 ? suggestion : `${suggestion}:${raw.slice(colon + 1).trim()}`;
    return {
      problem: {
        rule: 'misspelled-tag',
        message: `tag '${raw}' is not a cellflow tag, but looks like one`,
        hint: `Did you mean '${fixed}'?`,
      },
    };
  }
  return { tag: { kind: 'other', raw } };
}

function placeholder(keyword: string): string {
  const examples: Record<string, string> = {
    step: 'NAME',
    next: 'A,B',
    foreach: 'ARTIFACT',
    retry: 'N',
    timeout: 'SECONDS',
    resources: 'cpu=N,memory=MB,gpu=N',
    catch: 'ARTIFACT',
    env: 'KEY=VALUE',
  };
  return examples[keyword];
}

/** The cellflow keyword a tag's keyword is probably a misspelling of, if any. */
function nearMiss(keyword: string, hasValue: boolean): string | undefined {
  const candidates: readonly string[] = hasValue ? VALUED : BARE;
  const lower = keyword.trim().toLowerCase();
  if (candidates.includes(lower)) return lower;
  // Short keywords tolerate one edit, longer ones two: `stp`, `nxt`, `paramters`, `forech`.
  return closest(lower, candidates, (word) => (word.length <= 5 ? 1 : 2));
}

function closest(
  word: string,
  candidates: readonly string[],
  tolerance: (candidate: string) => number = () => 2,
): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    // The distance is at least the difference in length: skip the quadratic work when it cannot match.
    if (Math.abs(word.length - candidate.length) > tolerance(candidate)) continue;
    const distance = editDistance(word, candidate);
    if (distance <= tolerance(candidate) && distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

/** Edit distance counting insertions, deletions, substitutions and swaps of neighbours as one edit. */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}

/** The inverse of parseTag: `formatTag(parseTag(t).tag)` gives back a canonical `t`. */
export function formatTag(tag: Tag): string {
  switch (tag.kind) {
    case 'step':
      return `step:${tag.name}`;
    case 'next':
      return `next:${tag.targets.join(',')}`;
    case 'foreach':
      return `foreach:${tag.artifact}`;
    case 'parameters':
    case 'skip':
      return tag.kind;
    case 'retry':
      return `retry:${tag.count}`;
    case 'timeout':
      return `timeout:${tag.seconds}`;
    case 'resources': {
      const { cpu, memoryMb, gpu } = tag.resources;
      const parts = [
        cpu !== undefined ? `cpu=${cpu}` : '',
        memoryMb !== undefined ? `memory=${memoryMb}` : '',
        gpu !== undefined ? `gpu=${gpu}` : '',
      ];
      return `resources:${parts.filter(Boolean).join(',')}`;
    }
    case 'catch':
      return `catch:${tag.artifact}`;
    case 'env':
      return `env:${tag.key}=${tag.value}`;
    case 'other':
      return tag.raw;
  }
}

export function defaultStepOptions(): StepOptions {
  return { retry: 0, resources: {}, env: {} };
}

/** What one cell's tags say, with every problem found in them. */
export interface CellTags {
  step?: string;
  next?: string[];
  foreach?: string;
  parameters: boolean;
  skip: boolean;
  options: StepOptions;
  /** True when the cell carries a per-step option or `next:`/`foreach:`: only valid on a `step:` cell. */
  hasStepOptions: boolean;
  other: string[];
  problems: TagProblemAt[];
}

export interface TagProblemAt {
  rule: 'invalid-tag' | 'misspelled-tag' | 'conflicting-tags' | 'option-without-step';
  tag: string;
  message: string;
  hint?: string;
}

/** Reads a cell's `metadata.tags`. Never throws: problems are collected for the linter. */
export function parseCellTags(tags: readonly string[]): CellTags {
  const result: CellTags = {
    parameters: false,
    skip: false,
    options: defaultStepOptions(),
    hasStepOptions: false,
    other: [],
    problems: [],
  };
  const seen = new Map<string, string>();
  const once = (kind: string, raw: string): boolean => {
    const earlier = seen.get(kind);
    if (earlier !== undefined) {
      result.problems.push({
        rule: 'conflicting-tags',
        tag: raw,
        message: `tags '${earlier}' and '${raw}' conflict: a cell takes one ${kind}: tag`,
      });
      return false;
    }
    seen.set(kind, raw);
    return true;
  };
  for (const raw of tags) {
    const parsed = parseTag(raw);
    if (parsed.problem) {
      result.problems.push({ ...parsed.problem, tag: raw });
      continue;
    }
    const tag = parsed.tag;
    switch (tag.kind) {
      case 'step':
        if (once('step', raw)) result.step = tag.name;
        break;
      case 'next':
        if (once('next', raw)) result.next = tag.targets;
        break;
      case 'foreach':
        if (once('foreach', raw)) result.foreach = tag.artifact;
        break;
      case 'parameters':
        result.parameters = true;
        break;
      case 'skip':
        result.skip = true;
        break;
      case 'retry':
        if (once('retry', raw)) result.options.retry = tag.count;
        break;
      case 'timeout':
        if (once('timeout', raw)) result.options.timeoutSeconds = tag.seconds;
        break;
      case 'resources':
        if (once('resources', raw)) result.options.resources = tag.resources;
        break;
      case 'catch':
        if (once('catch', raw)) result.options.catch = tag.artifact;
        break;
      case 'env':
        if (tag.key in result.options.env) {
          result.problems.push({
            rule: 'conflicting-tags',
            tag: raw,
            message: `tag '${raw}' sets environment variable '${tag.key}' a second time`,
          });
        } else {
          result.options.env[tag.key] = tag.value;
        }
        break;
      case 'other':
        result.other.push(raw);
        break;
    }
    if (!['step', 'parameters', 'skip', 'other'].includes(tag.kind)) result.hasStepOptions = true;
  }
  checkRoles(result, tags);
  return result;
}

/** A cell is at most one of: a step, the parameters, skipped; options need a step. */
function checkRoles(result: CellTags, tags: readonly string[]): void {
  const roles = [
    result.step !== undefined ? `step:${result.step}` : '',
    result.parameters ? 'parameters' : '',
    result.skip ? 'skip' : '',
  ].filter(Boolean);
  if (roles.length > 1) {
    result.problems.push({
      rule: 'conflicting-tags',
      tag: roles[1],
      message: `tags ${roles.map((r) => `'${r}'`).join(' and ')} conflict: a cell is a step, the parameters, or skipped`,
    });
  }
  if (result.hasStepOptions && result.step === undefined) {
    const optionTags = tags.filter((raw) => {
      const kind = parseTag(raw).tag?.kind;
      return kind !== undefined && !['step', 'parameters', 'skip', 'other'].includes(kind);
    });
    result.problems.push({
      rule: 'option-without-step',
      tag: optionTags[0] ?? '',
      message:
        optionTags.length > 1
          ? `tags ${optionTags.map((t) => `'${t}'`).join(', ')} only apply to a step: put them on the cell tagged step:NAME`
          : `tag '${optionTags[0]}' only applies to a step: put it on the cell tagged step:NAME`,
    });
  }
}
