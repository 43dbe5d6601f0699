// The step editor's form as data: a cell's cellflow tags ↔ the form's text fields, and the messages
// shown as the user types. Pure; validity and the tag strings come from core's tag grammar.
import type { Tag } from '../core/model';
import { fixCellTags, formatTag, parseTag } from '../core';

export type CellRole = 'step' | 'parameters' | 'skip' | 'none';

/** What the form's fields hold, as typed (numbers stay text until validated). */
export interface StepFormValues {
  role: CellRole;
  name: string;
  /** Successors as typed, separated by commas or spaces (one `next:` tag each); empty: the next step in notebook order. */
  next: string;
  foreach: string;
  /** `switch:ARTIFACT`: the artifact whose value names the one next step that runs. */
  switchOn: string;
  retry: string;
  timeout: string;
  cpu: string;
  memory: string;
  gpu: string;
  catchArtifact: string;
  /** One KEY=VALUE per line. */
  env: string;
}

export type StepFormField = Exclude<keyof StepFormValues, 'role'>;
export type StepFormMessages = Partial<Record<StepFormField, string>>;

export interface StepFormCheck {
  /** Block saving. */
  errors: StepFormMessages;
  /** Shown, but the tags are still written (e.g. a successor that does not exist yet). */
  warnings: StepFormMessages;
}

/** The other steps of the notebook, to catch duplicate names and unknown successors. */
export interface StepFormContext {
  otherSteps: { name: string; cellIndex: number }[];
}

export const EMPTY_FORM: StepFormValues = {
  role: 'none',
  name: '',
  next: '',
  foreach: '',
  switchOn: '',
  retry: '',
  timeout: '',
  cpu: '',
  memory: '',
  gpu: '',
  catchArtifact: '',
  env: '',
};

/** Fills the form from a cell's parsed tags; tags cellflow does not own are not the form's business. */
export function formFromTags(tags: Tag[]): StepFormValues {
  const values: StepFormValues = { ...EMPTY_FORM };
  const env: string[] = [];
  const next: string[] = [];
  for (const tag of tags) {
    switch (tag.kind) {
      case 'step':
        values.role = 'step';
        values.name = tag.name;
        break;
      case 'parameters':
        if (values.role === 'none') {
          values.role = 'parameters';
        }
        break;
      case 'skip':
        if (values.role === 'none') {
          values.role = 'skip';
        }
        break;
      case 'next':
        next.push(tag.target);
        break;
      case 'foreach':
        values.foreach = tag.artifact;
        break;
      case 'switch':
        values.switchOn = tag.artifact;
        break;
      case 'retry':
        values.retry = String(tag.count);
        break;
      case 'timeout':
        values.timeout = String(tag.seconds);
        break;
      case 'resources':
        values[tag.key] = String(tag.amount);
        break;
      case 'catch':
        values.catchArtifact = tag.artifact;
        break;
      case 'env':
        env.push(`${tag.key}=${tag.value}`);
        break;
      default:
        break;
    }
  }
  values.env = env.join('\n');
  values.next = next.join(', ');
  return values;
}

/** A name the form proposes for a new step: `step_N`, free in the notebook. */
export function suggestStepName(context: StepFormContext): string {
  const taken = new Set(context.otherSteps.map((s) => s.name));
  for (let n = 1; ; n++) {
    if (!taken.has(`step_${n}`)) {
      return `step_${n}`;
    }
  }
}

export function checkStepForm(values: StepFormValues, context: StepFormContext): StepFormCheck {
  const errors: StepFormMessages = {};
  const warnings: StepFormMessages = {};
  if (values.role !== 'step') {
    return { errors, warnings };
  }

  // Each field must make a tag core accepts: its message is the one `cellflow lint` would give.
  const name = values.name.trim();
  errors.name = tagProblem(`step:${name}`);
  if (!errors.name) {
    const twin = context.otherSteps.find((s) => s.name === name);
    if (twin) {
      errors.name = `Step '${name}' already exists (cell ${twin.cellIndex}).`;
    }
  }

  const targets = splitList(values.next);
  for (const target of targets) {
    errors.next ??= tagProblem(`next:${target}`);
  }
  const twice = targets.find((t, i) => targets.indexOf(t) !== i);
  if (!errors.next && twice) {
    errors.next = `Step '${twice}' is named twice.`;
  }
  // A switch may loop on itself (one of its cases runs it again); any other step cannot.
  if (!errors.next && name && targets.includes(name) && !values.switchOn.trim()) {
    errors.next = 'A step cannot be its own successor, unless it is a switch (a loop).';
  }
  if (!errors.next) {
    const known = new Set(context.otherSteps.map((s) => s.name));
    const unknown = targets.filter((t) => !known.has(t));
    if (unknown.length) {
      warnings.next = `No step named ${unknown.map((t) => `'${t}'`).join(', ')} yet.`;
    }
  }

  const foreach = values.foreach.trim();
  if (foreach) {
    errors.foreach = tagProblem(`foreach:${foreach}`);
  }
  if (foreach && !errors.foreach && targets.length > 1) {
    errors.foreach = 'A foreach step has exactly one successor.';
  }
  const switchOn = values.switchOn.trim();
  if (switchOn) {
    errors.switchOn = tagProblem(`switch:${switchOn}`);
  }
  if (switchOn && !errors.switchOn && foreach) {
    errors.switchOn = 'A step is a switch or a foreach, not both.';
  } else if (switchOn && !errors.switchOn && targets.length < 2) {
    errors.switchOn = 'A switch picks one of two or more next steps: name them all in Next steps.';
  }

  for (const [field, keyword] of [
    ['retry', 'retry'],
    ['timeout', 'timeout'],
    ['catchArtifact', 'catch'],
  ] as const) {
    const value = values[field].trim();
    if (value) {
      errors[field] = tagProblem(`${keyword}:${value}`);
    }
  }
  for (const [field, key] of [
    ['cpu', 'cpu'],
    ['memory', 'memory'],
    ['gpu', 'gpu'],
  ] as const) {
    const value = values[field].trim();
    if (value) {
      errors[field] = tagProblem(`resources:${key}=${value}`);
    }
  }

  const lines = envLines(values.env);
  for (const line of lines) {
    const problem = line.hasEquals ? tagProblem(`env:${line.key}=${line.value}`) : 'write KEY=VALUE.';
    if (problem) {
      errors.env = `Line ${line.line}: ${problem}`;
      break;
    }
  }
  const repeated = lines.find((l, i) => lines.findIndex((m) => m.key === l.key) !== i);
  if (!errors.env && repeated) {
    errors.env = `Line ${repeated.line}: ${repeated.key} is set twice.`;
  }

  return { errors: dropEmpty(errors), warnings };
}

export function isValid(check: StepFormCheck): boolean {
  return Object.keys(check.errors).length === 0;
}

/** The cellflow tags the form stands for, in a fixed order (role, wiring, options). */
export function tagsFromForm(values: StepFormValues): Tag[] {
  switch (values.role) {
    case 'none':
      return [];
    case 'parameters':
      return [{ kind: 'parameters' }];
    case 'skip':
      return [{ kind: 'skip' }];
    case 'step':
      break;
  }
  const tags: Tag[] = [{ kind: 'step', name: values.name.trim() }];
  for (const target of splitList(values.next)) {
    tags.push({ kind: 'next', target });
  }
  if (values.foreach.trim()) {
    tags.push({ kind: 'foreach', artifact: values.foreach.trim() });
  }
  if (values.switchOn.trim()) {
    tags.push({ kind: 'switch', artifact: values.switchOn.trim() });
  }
  if (values.retry.trim()) {
    tags.push({ kind: 'retry', count: Number(values.retry) });
  }
  if (values.timeout.trim()) {
    tags.push({ kind: 'timeout', seconds: Number(values.timeout) });
  }
  for (const key of ['cpu', 'memory', 'gpu'] as const) {
    if (values[key].trim()) {
      tags.push({ kind: 'resources', key, amount: Number(values[key]) });
    }
  }
  if (values.catchArtifact.trim()) {
    tags.push({ kind: 'catch', artifact: values.catchArtifact.trim() });
  }
  for (const { key, value } of envLines(values.env)) {
    tags.push({ kind: 'env', key, value });
  }
  return tags;
}

/** Core's message for a tag it rejects, with its hint. */
function tagProblem(tag: string): string | undefined {
  const { problem } = parseTag(tag);
  return problem ? [problem.message, problem.hint].filter(Boolean).join('. ') : undefined;
}

function dropEmpty(messages: StepFormMessages): StepFormMessages {
  return Object.fromEntries(Object.entries(messages).filter(([, m]) => m)) as StepFormMessages;
}

function splitList(text: string): string[] {
  return text
    .split(/[,\s]+/)
    .map((s) => s.trim())
    .filter(Boolean);
}

function envLines(text: string): { line: number; key: string; value: string; hasEquals: boolean }[] {
  return text
    .split('\n')
    .map((raw, i) => ({ raw: raw.trim(), line: i + 1 }))
    .filter(({ raw }) => raw)
    .map(({ raw, line }) => {
      const eq = raw.indexOf('=');
      return {
        line,
        key: (eq < 0 ? raw : raw.slice(0, eq)).trim(),
        value: eq < 0 ? '' : raw.slice(eq + 1),
        hasEquals: eq >= 0,
      };
    });
}

/** Parsed tags of a cell, skipping ones core rejects (the linter reports those); an old comma tag
 * (`next:a,b`) is read as the tags it stands for, so the form shows what the author meant. */
export function readCellTags(raw: readonly string[]): Tag[] {
  return fixCellTags(raw).tags.flatMap((t) => parseTag(t).tag ?? []);
}

/**
 * A cell's new tags: the ones cellflow does not own, as they were (misspelt cellflow tags too: they
 * may be the user's own, and lint points at them), then the form's tags in canonical form. Valid or
 * malformed cellflow tags are replaced by the form. Comma tags are split first: nothing the editor
 * writes has a comma, so the notebook stays valid for nbformat.
 */
export function rewriteCellTags(raw: readonly string[], values: StepFormValues): string[] {
  const kept = fixCellTags(raw).tags.filter((t) => {
    const { tag, problem } = parseTag(t);
    return tag?.kind === 'other' || problem?.rule === 'misspelled-tag';
  });
  const tags = [...kept, ...tagsFromForm(values).map(formatTag)];
  return tags.filter((t, i) => tags.indexOf(t) === i);
}
