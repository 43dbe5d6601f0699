// The tag grammar (DESIGN.md "Tag grammar"): parse one tag, format it back, and read a cell's tags
// into what the flow needs. One value per tag: nbformat's schema forbids ',' in a tag, so a branch
// repeats `next:` and each resource has its own `resources:` tag. A comma tag (the old `next:a,b`) is
// an error whose rewrite is known (splitCommaTag), and it is read as that rewrite, so the rest of the
// analysis sees the graph the author meant. Tags cellflow does not own are kept as `other`; a tag that
// looks like a misspelt cellflow tag (`stp:train`, `Next:a`) is an error with a "did you mean" hint,
// because silently ignoring it would change the flow.
import type { ResourceKey, Severity, StepOptions, Tag } from './model';
import type { NotebookRuleId } from './rule-ids';

const STEP_NAME = /^[a-z_][a-z0-9_]*$/;
const MAX_STEP_NAME = 64;
const ARTIFACT_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const ENV_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;
const MAX_RETRY = 100;
/** Names that would corrupt a plain JavaScript object keyed by step or artifact name. */
const RESERVED_NAMES = new Set(['__proto__', 'constructor', 'prototype']);

/** Keywords written `keyword:value`, and keywords written alone. */
const VALUED = [
  'step',
  'next',
  'foreach',
  'switch',
  'retry',
  'timeout',
  'resources',
  'catch',
  'env',
  'endpoint',
  'isolation',
] as const;
const BARE = ['parameters', 'skip'] as const;

export interface TagProblem {
  /** `invalid-tag` (a cellflow tag with a malformed value), `misspelled-tag`, or `comma-tag`. */
  rule: Extract<NotebookRuleId, 'invalid-tag' | 'misspelled-tag' | 'comma-tag'>;
  message: string;
  hint?: string;
  /** For `comma-tag`: the tags to use instead, when they can be written (see splitCommaTag). */
  rewrite?: string[];
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
  if (name === '') {
    return `tag '${tag}' has an empty step name`;
  }
  if (RESERVED_NAMES.has(name)) {
    return `step name '${name}' is reserved`;
  }
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
  if (name === '') {
    return `tag '${tag}' has an empty artifact name`;
  }
  if (!isValidArtifactName(name)) {
    return `artifact name '${name}' in tag '${tag}' is invalid: use letters, digits and '_', not starting with a digit`;
  }
  return undefined;
}

const RESOURCE_KEYS: readonly ResourceKey[] = ['cpu', 'memory', 'gpu'];

/** `resources:KEY=N`, one resource per tag. */
function parseResources(value: string, tag: string): TagParse {
  const eq = value.indexOf('=');
  const key = (eq < 0 ? value : value.slice(0, eq)).trim();
  const amount = eq < 0 ? undefined : value.slice(eq + 1).trim();
  if (!(RESOURCE_KEYS as readonly string[]).includes(key)) {
    const guess = closest(key, RESOURCE_KEYS);
    return invalid(
      `tag '${tag}' names an unknown resource '${key}': use resources:cpu=N, resources:memory=MB or resources:gpu=N`,
      guess ? `Did you mean '${guess}'?` : undefined,
    );
  }
  const number = Number(amount);
  const pattern = key === 'cpu' ? /^\d+(\.\d+)?$/ : /^\d+$/;
  if (amount === undefined || !pattern.test(amount) || (key !== 'gpu' && number <= 0)) {
    const what =
      key === 'cpu'
        ? 'a positive number'
        : key === 'memory'
          ? 'a positive whole number of MB'
          : 'a whole number';
    return invalid(`tag '${tag}': ${key} must be ${what}, got '${amount ?? ''}'`);
  }
  return { tag: { kind: 'resources', key: key as ResourceKey, amount: number } };
}

/** Parses the value of a tag whose keyword is exactly a cellflow keyword. */
function parseValued(keyword: (typeof VALUED)[number], value: string, tag: string): TagParse {
  switch (keyword) {
    case 'step': {
      const problem = stepNameProblem(value, tag);
      return problem ? invalid(problem, stepNameHint('step', value)) : { tag: { kind: 'step', name: value } };
    }
    case 'next': {
      const problem = stepNameProblem(value, tag);
      return problem
        ? invalid(problem, stepNameHint('next', value))
        : { tag: { kind: 'next', target: value } };
    }
    case 'foreach':
    case 'switch':
    case 'catch': {
      const problem = artifactNameProblem(value, tag);
      if (problem) {
        return invalid(problem);
      }
      return { tag: { kind: keyword, artifact: value } };
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
    case 'endpoint': {
      // The name is both the exported function's name and the URL path `/NAME`: an identifier.
      const problem = artifactNameProblem(value, tag)?.replace('artifact name', 'endpoint name');
      return problem ? invalid(problem) : { tag: { kind: 'endpoint', name: value } };
    }
    case 'isolation': {
      if (value === 'thread' || value === 'process') {
        return { tag: { kind: 'isolation', mode: value } };
      }
      const guess = closest(value, ['thread', 'process']);
      return invalid(
        `tag '${tag}': isolation must be 'thread' (a fresh worker thread per task, the default) or 'process' (a fresh OS process per task)`,
        guess ? `Did you mean 'isolation:${guess}'?` : undefined,
      );
    }
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

/**
 * The tags that replace a comma tag, one value each: `next:a,b` → `next:a`, `next:b`;
 * `resources:cpu=2,memory=4096` → `resources:cpu=2`, `resources:memory=4096`; any `word:x,y` →
 * `word:x`, `word:y`; `a,b` → `a`, `b`. Empty parts and repeats are dropped. Undefined when the tag
 * has no comma, or when no tags can say the same (an `env:` value that itself holds a comma, or
 * nothing but commas).
 */
export function splitCommaTag(raw: string): string[] | undefined {
  if (!raw.includes(',')) {
    return undefined;
  }
  const colon = raw.indexOf(':');
  const keyword = colon < 0 ? '' : raw.slice(0, colon + 1);
  const values = (colon < 0 ? raw : raw.slice(colon + 1))
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean);
  if (values.length === 0) {
    return undefined;
  }
  if (keyword === 'env:' && !values.every((v) => /^[A-Za-z_][A-Za-z0-9_]*=/.test(v))) {
    return undefined;
  }
  const tags = values.map((v) => keyword + v);
  return tags.filter((t, i) => tags.indexOf(t) === i);
}

/** `'a'`, `'a' and 'b'`, `'a', 'b' and 'c'`. */
function quotedList(items: readonly string[]): string {
  const quoted = items.map((t) => `'${t}'`);
  return quoted.length <= 1
    ? quoted.join('')
    : `${quoted.slice(0, -1).join(', ')} and ${quoted[quoted.length - 1]}`;
}

function commaProblem(raw: string): TagParse {
  const rewrite = splitCommaTag(raw);
  const message = `tag '${raw}' contains ',', which nbformat forbids in a tag: write one value per tag`;
  if (!rewrite) {
    const hint = raw.startsWith('env:')
      ? 'An env: value cannot hold a comma; set that variable outside the notebook.'
      : 'Remove it.';
    return { problem: { rule: 'comma-tag', message, hint } };
  }
  const hint = `Use ${rewrite.length === 1 ? 'the tag' : 'the tags'} ${quotedList(rewrite)} instead ('cellflow lint --fix' rewrites it).`;
  return { problem: { rule: 'comma-tag', message, hint, rewrite } };
}

/** Parses one tag. Tags cellflow does not own come back as `{ kind: 'other' }`. */
export function parseTag(raw: string): TagParse {
  if (raw.includes(',')) {
    return commaProblem(raw);
  }
  const colon = raw.indexOf(':');
  const keyword = colon < 0 ? raw : raw.slice(0, colon);
  const value = colon < 0 ? '' : raw.slice(colon + 1).trim();
  if ((VALUED as readonly string[]).includes(keyword)) {
    if (colon < 0) {
      return invalid(`tag '${raw}' needs a value: ${keyword}:${placeholder(keyword)}`);
    }
    return parseValued(keyword as (typeof VALUED)[number], value, raw);
  }
  if ((BARE as readonly string[]).includes(keyword)) {
    if (colon >= 0) {
      return invalid(`tag '${raw}' takes no value: write '${keyword}'`);
    }
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
    next: 'NAME',
    foreach: 'ARTIFACT',
    switch: 'ARTIFACT',
    retry: 'N',
    timeout: 'SECONDS',
    resources: 'cpu=N',
    catch: 'ARTIFACT',
    env: 'KEY=VALUE',
    endpoint: 'NAME',
    isolation: 'process',
  };
  return examples[keyword];
}

/** The cellflow keyword a tag's keyword is probably a misspelling of, if any. */
function nearMiss(keyword: string, hasValue: boolean): string | undefined {
  const candidates: readonly string[] = hasValue ? VALUED : BARE;
  const lower = keyword.trim().toLowerCase();
  if (candidates.includes(lower)) {
    return lower;
  }
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
    if (Math.abs(word.length - candidate.length) > tolerance(candidate)) {
      continue;
    }
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
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.length][b.length];
}

/** The inverse of parseTag: `formatTag(parseTag(t).tag)` gives back a canonical `t`. Never a comma. */
export function formatTag(tag: Tag): string {
  switch (tag.kind) {
    case 'step':
      return `step:${tag.name}`;
    case 'next':
      return `next:${tag.target}`;
    case 'foreach':
      return `foreach:${tag.artifact}`;
    case 'switch':
      return `switch:${tag.artifact}`;
    case 'parameters':
    case 'skip':
      return tag.kind;
    case 'retry':
      return `retry:${tag.count}`;
    case 'timeout':
      return `timeout:${tag.seconds}`;
    case 'resources':
      return `resources:${tag.key}=${tag.amount}`;
    case 'catch':
      return `catch:${tag.artifact}`;
    case 'env':
      return `env:${tag.key}=${tag.value}`;
    case 'endpoint':
      return `endpoint:${tag.name}`;
    case 'isolation':
      return `isolation:${tag.mode}`;
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
  /** The `next:` targets, in tag order (a branch repeats the tag). */
  next?: string[];
  foreach?: string;
  /** `switch:ARTIFACT`: the artifact whose value names the one successor that runs. */
  switch?: string;
  parameters: boolean;
  skip: boolean;
  /** `endpoint:NAME`: the cell defines a served function (DESIGN "Serving"), not step code. */
  endpoint?: string;
  options: StepOptions;
  /** True when the cell carries a per-step option or `next:`/`foreach:`/`switch:`: only valid on a `step:` cell. */
  hasStepOptions: boolean;
  other: string[];
  problems: TagProblemAt[];
}

export type TagRule = Extract<
  NotebookRuleId,
  | TagProblem['rule']
  | 'conflicting-tags'
  | 'option-without-step'
  /** A `word:value` tag on a step cell that is no cellflow tag (a warning: it may be another tool's). */
  | 'unknown-tag'
>;

export interface TagProblemAt {
  rule: TagRule;
  severity: Severity;
  tag: string;
  message: string;
  hint?: string;
  /** For `comma-tag`: the tags to use instead. */
  rewrite?: string[];
}

const KEYWORD_TAGS = (VALUED as readonly string[]).map((k) => `${k}:`).concat(BARE);

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
  const conflict = (raw: string, message: string): void => {
    result.problems.push({ rule: 'conflicting-tags', severity: 'error', tag: raw, message });
  };
  const seen = new Map<string, string>();
  const once = (kind: string, raw: string): boolean => {
    const earlier = seen.get(kind);
    if (earlier !== undefined) {
      conflict(raw, `tags '${earlier}' and '${raw}' conflict: a cell takes one ${kind}: tag`);
      return false;
    }
    seen.set(kind, raw);
    return true;
  };
  const resources = new Map<ResourceKey, string>();
  // A comma tag is reported once and then read as its rewrite, so the graph is the one meant.
  const expanded: string[] = [];
  for (const raw of tags) {
    const parsed = raw.includes(',') ? parseTag(raw) : undefined;
    if (parsed?.problem) {
      result.problems.push({ ...parsed.problem, severity: 'error', tag: raw });
      expanded.push(...(parsed.problem.rewrite ?? []));
    } else {
      expanded.push(raw);
    }
  }
  for (const raw of expanded) {
    const parsed = parseTag(raw);
    if (parsed.problem) {
      result.problems.push({ ...parsed.problem, severity: 'error', tag: raw });
      continue;
    }
    const tag = parsed.tag;
    switch (tag.kind) {
      case 'step':
        if (once('step', raw)) {
          result.step = tag.name;
        }
        break;
      case 'next':
        result.next ??= [];
        if (result.next.includes(tag.target)) {
          conflict(raw, `tag '${raw}' names step '${tag.target}' a second time`);
        } else {
          result.next.push(tag.target);
        }
        break;
      case 'foreach':
        if (once('foreach', raw)) {
          result.foreach = tag.artifact;
        }
        break;
      case 'switch':
        if (once('switch', raw)) {
          result.switch = tag.artifact;
        }
        break;
      case 'parameters':
        result.parameters = true;
        break;
      case 'skip':
        result.skip = true;
        break;
      case 'retry':
        if (once('retry', raw)) {
          result.options.retry = tag.count;
        }
        break;
      case 'timeout':
        if (once('timeout', raw)) {
          result.options.timeoutSeconds = tag.seconds;
        }
        break;
      case 'resources': {
        const earlier = resources.get(tag.key);
        if (earlier !== undefined) {
          conflict(raw, `tags '${earlier}' and '${raw}' conflict: resource '${tag.key}' is set twice`);
          break;
        }
        resources.set(tag.key, raw);
        if (tag.key === 'memory') {
          result.options.resources.memoryMb = tag.amount;
        } else {
          result.options.resources[tag.key] = tag.amount;
        }
        break;
      }
      case 'catch':
        if (once('catch', raw)) {
          result.options.catch = tag.artifact;
        }
        break;
      case 'env':
        if (tag.key in result.options.env) {
          conflict(raw, `tag '${raw}' sets environment variable '${tag.key}' a second time`);
        } else {
          result.options.env[tag.key] = tag.value;
        }
        break;
      case 'isolation':
        if (once('isolation', raw)) {
          result.options.isolation = tag.mode;
        }
        break;
      case 'endpoint':
        if (once('endpoint', raw)) {
          result.endpoint = tag.name;
        }
        break;
      case 'other':
        result.other.push(raw);
        break;
    }
    if (!NOT_STEP_OPTIONS.includes(tag.kind)) {
      result.hasStepOptions = true;
    }
  }
  checkRoles(result, expanded);
  if (result.step !== undefined) {
    for (const raw of result.other) {
      const problem = unknownTagProblem(raw);
      if (problem) {
        result.problems.push(problem);
      }
    }
  }
  return result;
}

/**
 * A `word:value` tag on a step cell that cellflow does not know: most likely a misspelt option
 * (`retries:3`), farther from a keyword than parseTag's near misses. A warning, because other tools
 * may own such tags.
 */
function unknownTagProblem(raw: string): TagProblemAt | undefined {
  const colon = raw.indexOf(':');
  if (colon <= 0 || !/^[A-Za-z][A-Za-z0-9_-]*$/.test(raw.slice(0, colon))) {
    return undefined;
  }
  const word = raw.slice(0, colon).toLowerCase();
  const guess =
    (VALUED as readonly string[]).find(
      (k) =>
        word.startsWith(k) || (word.length >= 3 && k.startsWith(word)) || (k.length >= 4 && word.includes(k)),
    ) ?? closest(word, VALUED, () => 3);
  return {
    rule: 'unknown-tag',
    severity: 'warning',
    tag: raw,
    message: `tag '${raw}' on a step cell is not a cellflow tag, so it is ignored`,
    hint: guess
      ? `Did you mean '${guess}:${raw.slice(colon + 1).trim()}'?`
      : `cellflow's tags are ${KEYWORD_TAGS.map((k) => `'${k}'`).join(', ')}.`,
  };
}

/** Tag kinds that are a cell's role (or not cellflow's), rather than an option of a step. */
const NOT_STEP_OPTIONS = ['step', 'parameters', 'skip', 'endpoint', 'other'];

/** A cell is at most one of: a step, the parameters, skipped, an endpoint; options need a step. */
function checkRoles(result: CellTags, tags: readonly string[]): void {
  const roles = [
    result.step !== undefined ? `step:${result.step}` : '',
    result.parameters ? 'parameters' : '',
    result.skip ? 'skip' : '',
    result.endpoint !== undefined ? `endpoint:${result.endpoint}` : '',
  ].filter(Boolean);
  if (roles.length > 1) {
    result.problems.push({
      rule: 'conflicting-tags',
      severity: 'error',
      tag: roles[1],
      message: `tags ${roles.map((r) => `'${r}'`).join(' and ')} conflict: a cell is a step, the parameters, an endpoint, or skipped`,
    });
  }
  if (result.hasStepOptions && result.step === undefined) {
    const optionTags = tags.filter((raw) => {
      const kind = parseTag(raw).tag?.kind;
      return kind !== undefined && !NOT_STEP_OPTIONS.includes(kind);
    });
    result.problems.push({
      rule: 'option-without-step',
      severity: 'error',
      tag: optionTags[0] ?? '',
      message:
        optionTags.length > 1
          ? `tags ${optionTags.map((t) => `'${t}'`).join(', ')} only apply to a step: put them on the cell tagged step:NAME`
          : `tag '${optionTags[0]}' only applies to a step: put it on the cell tagged step:NAME`,
    });
  }
}

/**
 * A cell's tags with every comma tag replaced, in place, by its rewrite (tags already on the cell
 * are not added twice). `changes` lists what was replaced; `unfixable` the comma tags left as they
 * were because no tags can say the same.
 */
export function fixCellTags(tags: readonly string[]): {
  tags: string[];
  changes: { from: string; to: string[] }[];
  unfixable: string[];
} {
  const changes: { from: string; to: string[] }[] = [];
  const unfixable: string[] = [];
  const out: string[] = [];
  for (const raw of tags) {
    if (!raw.includes(',')) {
      out.push(raw);
      continue;
    }
    const rewrite = splitCommaTag(raw);
    if (!rewrite) {
      unfixable.push(raw);
      out.push(raw);
      continue;
    }
    const added = rewrite.filter((t) => !out.includes(t) && !tags.includes(t));
    changes.push({ from: raw, to: added });
    out.push(...added);
  }
  return { tags: out, changes, unfixable };
}
