// The "Run as Flow…" and "Resume…" forms, without the DOM: one typed field per parameter of the
// notebook's parameters cell (its default and help text from core's parameter parsing), the run's
// tags, seed, max workers and datastore; every field checked as the user types, with the message the
// CLI would give; and the values turned into the comm request. Pure.
import type { JsonValue, Parameter } from '../core/model';
import type { Request } from '../core/protocol';

export interface RunFormValues {
  /** Parameter name → the text in its field (its default, formatted, until the user edits it). */
  params: Record<string, string>;
  /** Tags, one per line or comma-separated. */
  tags: string;
  seed: string;
  maxWorkers: string;
  datastore: string;
}

export interface ParameterField {
  name: string;
  type: Parameter['type'];
  /** The default as the field shows it. */
  defaultText: string;
  /** The `// comment` after the parameter, when core provides one. */
  help?: string;
  /** `null` default: optional, no value when left empty. */
  optional: boolean;
}

export type RunFormProblems = Partial<Record<string, string>>;

export function formatValue(value: JsonValue): string {
  if (typeof value === 'string') {
    return value;
  }
  if (value === null) {
    return '';
  }
  return JSON.stringify(value);
}

export function parameterFields(parameters: readonly Parameter[]): ParameterField[] {
  return parameters.map((p) => {
    const help = (p as Parameter & { help?: unknown }).help;
    return {
      name: p.name,
      type: p.type,
      defaultText: formatValue(p.default),
      ...(typeof help === 'string' && help ? { help } : {}),
      optional: p.default === null,
    };
  });
}

export function initialRunForm(
  parameters: readonly Parameter[],
  defaults: { maxWorkers: number; datastore: string },
): RunFormValues {
  return {
    params: Object.fromEntries(parameterFields(parameters).map((f) => [f.name, f.defaultText])),
    tags: '',
    seed: '',
    maxWorkers: defaults.maxWorkers > 0 ? String(defaults.maxWorkers) : '',
    datastore: defaults.datastore,
  };
}

const BOOLEAN_WORDS = new Set(['true', 'false', '1', '0', 'yes', 'no']);
const TAG = /^[^,\s][^,]*$/;

/** One message per field that would be refused (the key is the parameter's name, or the field). */
export function checkRunForm(fields: readonly ParameterField[], values: RunFormValues): RunFormProblems {
  const problems: RunFormProblems = {};
  for (const field of fields) {
    const text = values.params[field.name] ?? '';
    const problem = checkParameter(field, text);
    if (problem) {
      problems[field.name] = problem;
    }
  }
  const badTag = splitTags(values.tags).find((t) => !TAG.test(t) || t.length > 255);
  if (badTag !== undefined) {
    problems.tags = `tag "${badTag}": tags are one value each, without commas.`;
  }
  if (values.seed.trim() && !/^-?\d+$/.test(values.seed.trim())) {
    problems.seed = 'the seed is a whole number (empty: drawn and recorded).';
  }
  if (values.maxWorkers.trim() && !/^[1-9]\d*$/.test(values.maxWorkers.trim())) {
    problems.maxWorkers = 'max workers is a whole number of 1 or more (empty: the CPU count).';
  }
  return problems;
}

function checkParameter(field: ParameterField, raw: string): string | undefined {
  const text = raw.trim();
  if (text === '' && field.optional) {
    return undefined;
  }
  switch (field.type) {
    case 'number':
      return text !== '' && Number.isFinite(Number(text)) ? undefined : `${field.name} is a number.`;
    case 'boolean':
      return BOOLEAN_WORDS.has(text.toLowerCase()) ? undefined : `${field.name} is true or false.`;
    case 'string':
      return undefined;
    case 'json': {
      try {
        const value = JSON.parse(text) as unknown;
        const wantArray = field.defaultText.startsWith('[');
        if (value === null || typeof value !== 'object' || Array.isArray(value) !== wantArray) {
          return `${field.name} is a JSON ${wantArray ? 'array' : 'object'}.`;
        }
        return undefined;
      } catch {
        return `${field.name} is JSON (${field.defaultText.startsWith('[') ? 'an array' : 'an object'}).`;
      }
    }
  }
}

export function splitTags(text: string): string[] {
  return text
    .split(/\n/)
    .map((t) => t.trim())
    .filter((t) => t !== '');
}

export function isRunFormValid(problems: RunFormProblems): boolean {
  return Object.keys(problems).length === 0;
}

type RunRequest = Omit<Extract<Request, { op: 'run' }>, 'id'>;

/**
 * The `run` request: only parameters whose text differs from the default are sent (as `--param`), so
 * the record's params say what the user chose and the rest stays the notebook's.
 */
export function runRequestOf(
  notebook: string,
  fields: readonly ParameterField[],
  values: RunFormValues,
): RunRequest {
  const params: Record<string, string> = {};
  for (const field of fields) {
    const text = (values.params[field.name] ?? '').trim();
    if (text !== field.defaultText.trim()) {
      params[field.name] = normalise(field, text);
    }
  }
  const tags = splitTags(values.tags);
  const seed = values.seed.trim();
  const workers = values.maxWorkers.trim();
  const datastore = values.datastore.trim();
  return {
    op: 'run',
    notebook,
    ...(Object.keys(params).length ? { params } : {}),
    ...(tags.length ? { tags } : {}),
    ...(seed ? { seed: Number(seed) } : {}),
    ...(workers ? { maxWorkers: Number(workers) } : {}),
    ...(datastore ? { datastore } : {}),
  };
}

/** What the user typed, as the CLI's `--param` parser takes it (booleans as true/false). */
function normalise(field: ParameterField, text: string): string {
  if (field.type === 'boolean') {
    return ['true', '1', 'yes'].includes(text.toLowerCase()) ? 'true' : 'false';
  }
  return text;
}

// ---------------------------------------------------------------- resume

export interface ResumeFormValues {
  fromStep: string;
  maxWorkers: string;
}

type ResumeRequest = Omit<Extract<Request, { op: 'resume' }>, 'id'>;

export function resumeRequestOf(
  pathspec: string,
  values: ResumeFormValues,
  datastore: string,
): ResumeRequest {
  const workers = values.maxWorkers.trim();
  return {
    op: 'resume',
    pathspec,
    ...(values.fromStep ? { fromStep: values.fromStep } : {}),
    ...(workers ? { maxWorkers: Number(workers) } : {}),
    ...(datastore.trim() ? { datastore: datastore.trim() } : {}),
  };
}

export function checkResumeForm(values: ResumeFormValues, steps: readonly string[]): RunFormProblems {
  const problems: RunFormProblems = {};
  if (values.fromStep && !steps.includes(values.fromStep)) {
    problems.fromStep = `the run has no step '${values.fromStep}'.`;
  }
  if (values.maxWorkers.trim() && !/^[1-9]\d*$/.test(values.maxWorkers.trim())) {
    problems.maxWorkers = 'max workers is a whole number of 1 or more (empty: the CPU count).';
  }
  return problems;
}
