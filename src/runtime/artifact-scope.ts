// `self` and `inputs` for a task: lazy views over artifact indexes. An artifact is decoded only when a
// step reads it, and one the step never touches is carried to the task's record by reference (same
// sha256, no bytes rewritten), as Metaflow does.
import type { JoinInput, MergeOptions } from '../core/model';
import type { ArtifactIndex, ArtifactRef } from './records';

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

export function createSelf(
  inherited: ArtifactIndex,
  load: LoadArtifact,
  foreach?: { input: unknown; index: number },
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
      if (typeof key !== 'string') return undefined;
      if (foreach && FOREACH_NAMES.has(key)) return key === 'input' ? foreach.input : foreach.index;
      return materialise(key);
    },
    set(_t, key, value) {
      if (typeof key !== 'string') return false;
      if (foreach && FOREACH_NAMES.has(key)) {
        throw new Error(
          `self.${key} is the foreach element's ${key === 'input' ? 'value' : 'position'}; it is read-only.`,
        );
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
      if (typeof key !== 'string' || !(values.has(key) || own(refs, key))) return undefined;
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
    if (!cache.has(key)) cache.set(key, load(artifacts[key], key));
    return cache.get(key);
  };
  const view: object = new Proxy(
    {},
    {
      get(_t, key) {
        if (key === 'step') return step;
        if (typeof key !== 'string' || !own(artifacts, key)) return undefined;
        return read(key);
      },
      set() {
        throw new Error(`inputs are read-only: assign to self in a join.`);
      },
      has: (_t, key) => key === 'step' || (typeof key === 'string' && own(artifacts, key)),
      ownKeys: () => Object.keys(artifacts),
      getOwnPropertyDescriptor(_t, key) {
        if (typeof key !== 'string' || !own(artifacts, key)) return undefined;
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
 * Metaflow's merge_artifacts: copy into `self` every artifact on which all inputs agree, comparing
 * content hashes (no decoding); an artifact that differs and is not excluded is an error.
 */
export function mergeArtifacts(state: SelfState, inputs: JoinInput[], options: MergeOptions = {}): void {
  const indexes = inputs.map((input) => {
    const index = inputArtifacts.get(input);
    if (!index) throw new Error('mergeArtifacts takes the `inputs` of this join step.');
    return index;
  });
  const exclude = new Set(options.exclude ?? []);
  const names = new Set(indexes.flatMap((index) => Object.keys(index)));
  const wanted = options.include ?? [...names].filter((name) => !exclude.has(name));
  for (const name of options.include ?? []) {
    if (indexes.some((index) => !index[name]))
      throw new Error(`mergeArtifacts: artifact '${name}' is missing in some inputs.`);
  }
  const conflicts: string[] = [];
  for (const name of wanted) {
    if (state.has(name) || FOREACH_NAMES.has(name)) continue; // already set by the join itself
    // As Metaflow: an artifact only some inputs carry is merged too, unless those disagree.
    const refs = indexes.map((index) => index[name]).filter(Boolean);
    if (refs.every((ref) => ref.sha256 === refs[0].sha256)) state.adopt(name, refs[0]);
    else conflicts.push(name);
  }
  if (conflicts.length > 0) {
    throw new Error(
      `mergeArtifacts: inputs disagree on ${conflicts.map((n) => `'${n}'`).join(', ')}; ` +
        `set ${conflicts.length > 1 ? 'them' : 'it'} in the join or pass { exclude: [...] }.`,
    );
  }
}
