// `self` and `inputs` for a task: lazy views over artifact indexes. An artifact is decoded only when a
// step reads it, and one the step never touches is carried to the task's record by reference (same
// sha256, no bytes rewritten), as Metaflow does.
import type { JoinInput, JoinInputs, MergeOptions } from '../../core/model';
import type { ArtifactIndex, ArtifactRef } from '../records';

/** Own keys only: an artifact index is data, and `'constructor' in {}` must not find an artifact. */
const own = (index: ArtifactIndex, key: string): boolean => Object.prototype.hasOwnProperty.call(index, key);

/** Names that live on `self` in a foreach body but are positions, not artifacts. */
export const FOREACH_NAMES = new Set(['input', 'index']);

export type LoadArtifact = (ref: ArtifactRef, name: string) => unknown;

export interface SelfState {
  self: Record<string, unknown>;
  /** Artifacts inherited or merged and not read or written since: kept by reference. */
  untouched(): ArtifactIndex;
  /** Values the step read or wrote: encoded at the end (an unchanged value dedups to its old object). */
  touched(): Map<string, unknown>;
  /** Adds artifacts by reference without decoding them (mergeArtifacts). */
  adopt(name: string, ref: ArtifactRef): void;
  has(name: string): boolean;
}

/** Assigning a parameter in a step: the flow's inputs stay what the run was given. */
export class ReadOnlyParameterError extends Error {
  constructor(readonly parameter: string) {
    super(
      `self.${parameter} is a parameter of the flow and is read-only in steps; ` +
        `set it with --param ${parameter}=VALUE, or store a new value under another name.`,
    );
    this.name = 'ReadOnlyParameterError';
  }
}

/** `readOnly`: the flow's parameter names, which a step may read but never assign or delete. */
export function createSelf(
  inherited: ArtifactIndex,
  load: LoadArtifact,
  foreach?: { input: unknown; index: number },
  readOnly: ReadonlySet<string> = new Set(),
): SelfState {
  const refs: ArtifactIndex = { ...inherited };
  const values = new Map<string, unknown>();
  const target: Record<string, unknown> = {};

  const materialise = (name: string): unknown => {
    if (!values.has(name) && Object.prototype.hasOwnProperty.call(refs, name)) {
      values.set(name, load(refs[name], name));
      delete refs[name];
    }
    return values.get(name);
  };

  const self = new Proxy(target, {
    get(_t, key) {
      if (typeof key !== 'string') {
        return undefined;
      }
      if (foreach && FOREACH_NAMES.has(key)) {
        return key === 'input' ? foreach.input : foreach.index;
      }
      return materialise(key);
    },
    set(_t, key, value) {
      if (typeof key !== 'string') {
        return false;
      }
      if (foreach && FOREACH_NAMES.has(key)) {
        throw new Error(
          `self.${key} is the foreach element's ${key === 'input' ? 'value' : 'position'}; it is read-only.`,
        );
      }
      if (readOnly.has(key)) {
        throw new ReadOnlyParameterError(key);
      }
      delete refs[key];
      values.set(key, value);
      return true;
    },
    has(_t, key) {
      return (
        typeof key === 'string' &&
        (values.has(key) || own(refs, key) || (!!foreach && FOREACH_NAMES.has(key)))
      );
    },
    deleteProperty(_t, key) {
      if (typeof key === 'string' && readOnly.has(key)) {
        throw new ReadOnlyParameterError(key);
      }
      if (typeof key === 'string') {
        values.delete(key);
        delete refs[key];
      }
      return true;
    },
    ownKeys() {
      return [...new Set([...Object.keys(refs), ...values.keys()])];
    },
    getOwnPropertyDescriptor(_t, key) {
      if (typeof key !== 'string' || !(values.has(key) || own(refs, key))) {
        return undefined;
      }
      return { enumerable: true, configurable: true, writable: true, value: materialise(key) };
    },
  });

  return {
    self,
    untouched: () => ({ ...refs }),
    touched: () => new Map(values),
    adopt(name, ref) {
      values.delete(name);
      refs[name] = ref;
    },
    has: (name) => values.has(name) || own(refs, name),
  };
}

/** One parent task, read-only; `step` names the parent's step. */
export function createJoinInput(step: string, artifacts: ArtifactIndex, load: LoadArtifact): JoinInput {
  const cache = new Map<string, unknown>();
  const read = (key: string): unknown => {
    if (!cache.has(key)) {
      cache.set(key, load(artifacts[key], key));
    }
    return cache.get(key);
  };
  const view: object = new Proxy(
    {},
    {
      get(_t, key) {
        if (key === 'step') {
          return step;
        }
        if (typeof key !== 'string' || !own(artifacts, key)) {
          return undefined;
        }
        return read(key);
      },
      set() {
        throw new Error(`inputs are read-only: assign to self in a join.`);
      },
      has: (_t, key) => key === 'step' || (typeof key === 'string' && own(artifacts, key)),
      ownKeys: () => Object.keys(artifacts),
      getOwnPropertyDescriptor(_t, key) {
        if (typeof key !== 'string' || !own(artifacts, key)) {
          return undefined;
        }
        return { enumerable: true, configurable: true, writable: false, value: read(key) };
      },
    },
  );
  return view as JoinInput;
}

const inputArtifacts = new WeakMap<object, ArtifactIndex>();

export function registerJoinInput(input: JoinInput, artifacts: ArtifactIndex): JoinInput {
  inputArtifacts.set(input, artifacts);
  return input;
}

/**
 * A join's `inputs`: the parents' views in order, also addressable by step name (`inputs.train.x`,
 * as Metaflow's `inputs.train`); the names are not enumerable, so `inputs.map` and `for...of` see
 * only the tasks.
 */
export function joinInputList(views: JoinInput[]): JoinInputs {
  const list = [...views] as JoinInputs;
  for (const view of views) {
    if (!Object.prototype.hasOwnProperty.call(list, view.step) && !(view.step in Array.prototype)) {
      Object.defineProperty(list, view.step, { value: view, enumerable: false });
    }
  }
  return list;
}

export type MergeProblem = 'conflict' | 'missing' | 'usage';

/** What mergeArtifacts throws (Metaflow's UnhandledInMergeArtifacts / MissingInMergeArtifacts). */
export class MergeArtifactsError extends Error {
  constructor(
    readonly problem: MergeProblem,
    message: string,
    readonly artifacts: string[] = [],
  ) {
    super(message);
    this.name = 'MergeArtifactsError';
  }
}

/**
 * Metaflow's merge_artifacts: copy into `self` every artifact on which all inputs that carry it
 * agree, comparing content hashes (no decoding). Atomic: every check runs before anything is set,
 * so a conflict or a missing `include` throws and leaves `self` as it was.
 */
export function mergeArtifacts(state: SelfState, inputs: JoinInput[], options: MergeOptions = {}): void {
  const include = options.include ?? [];
  const exclude = new Set(options.exclude ?? []);
  if (include.length > 0 && exclude.size > 0) {
    throw new MergeArtifactsError('usage', 'mergeArtifacts: `include` and `exclude` are mutually exclusive.');
  }
  const indexes = [...inputs].map((input) => {
    const index = inputArtifacts.get(input);
    if (!index) {
      throw new MergeArtifactsError('usage', 'mergeArtifacts takes the `inputs` of this join step.');
    }
    return index;
  });
  const wanted = (name: string): boolean =>
    (include.length > 0 ? include.includes(name) : !exclude.has(name)) &&
    !state.has(name) && // set by the join itself: its value wins
    !FOREACH_NAMES.has(name);
  const toMerge = new Map<string, ArtifactRef>();
  const conflicts = new Set<string>();
  for (const index of indexes) {
    for (const name of Object.keys(index)) {
      if (!wanted(name)) {
        continue;
      }
      const first = toMerge.get(name);
      if (!first) {
        toMerge.set(name, index[name]);
      } else if (first.sha256 !== index[name].sha256) {
        conflicts.add(name);
      }
    }
  }
  if (conflicts.size > 0) {
    const names = [...conflicts];
    throw new MergeArtifactsError(
      'conflict',
      `mergeArtifacts: inputs disagree on ${names.map((n) => `'${n}'`).join(', ')}; nothing was merged. ` +
        `Set ${names.length > 1 ? 'them' : 'it'} in the join before the call, or pass { exclude: [...] }.`,
      names,
    );
  }
  const missing = include.filter((name) => !toMerge.has(name) && !state.has(name));
  if (missing.length > 0) {
    throw new MergeArtifactsError(
      'missing',
      `mergeArtifacts: include names ${missing.map((n) => `'${n}'`).join(', ')}, which no input has; nothing was merged.`,
      missing,
    );
  }
  for (const [name, ref] of toMerge) {
    state.adopt(name, ref);
  }
}

/** The `mergeArtifacts` a step is given: the real one in a join, one that says why elsewhere. */
export function bindMergeArtifacts(
  state: SelfState,
  step: string,
  isJoin: boolean,
): (inputs: JoinInput[], options?: MergeOptions) => void {
  return (inputs, options) => {
    if (!isJoin) {
      throw new MergeArtifactsError(
        'usage',
        `mergeArtifacts can only be called in a join, and step '${step}' is not one (a join has two or more parents, or closes a foreach).`,
      );
    }
    mergeArtifacts(state, inputs, options);
  };
}
