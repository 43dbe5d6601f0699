// Flow semantics for interactive cells, with the runtime's own pieces (createSelf, createJoinInput,
// mergeArtifacts, codecs): a step cell runs on a copy of its parent step's latest interactive
// artifacts, a join gets `inputs` from its parents' latest results, a foreach body gets one element,
// and the step's artifacts are kept after every successful cell of the step.
import type { Current, FlowGraph, JoinInput, JsonValue, MergeOptions, Parameter } from '../src/core/model';
import {
  createJoinInput,
  createSelf,
  mergeArtifacts,
  registerJoinInput,
  type SelfState,
} from '../src/runtime/artifact-scope';
import type { ArtifactIndex } from '../src/runtime/records';
import { taskRandom } from '../src/runtime/seeded-random';
import type { ResolvedCell } from './cell-resolver';
import type { InteractiveStore } from './interactive-store';

/** A step context cannot be built (parent not run yet, bad foreach element...): shown as the cell's error. */
export class StepContextError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StepContextError';
  }
}

export const INTERACTIVE_RUN_ID = 'interactive';
const INTERACTIVE_TASK_ID = '0';

interface ForeachFrame {
  split: string;
  index: number;
  count: number;
}

export interface StepResult {
  step: string;
  artifacts: ArtifactIndex;
  /** Order of completion: an upstream step with a higher seq than what a step was built from is newer. */
  seq: number;
  ranAt: string;
  /** The seq of each parent's result this step was built from (staleness). */
  basedOn: Record<string, number>;
  parents: string[];
  isJoin: boolean;
  foreach: ForeachFrame[];
  foreachCount?: number;
  flow: string;
  graph?: FlowGraph;
  cell?: ResolvedCell['cell'];
}

export interface StepBindings {
  self: Record<string, unknown>;
  inputs: JoinInput[];
  current: Current;
  mergeArtifacts(inputs: JoinInput[], options?: MergeOptions): void;
}

interface ActiveStep {
  step: string;
  state: SelfState;
  basedOn: Record<string, number>;
  parents: string[];
  isJoin: boolean;
  foreach: ForeachFrame[];
  foreachArtifact?: string;
  flow: string;
  graph?: FlowGraph;
  cell?: ResolvedCell['cell'];
  bindings: StepBindings;
}

interface Observed {
  next?: string[];
  foreach?: string;
}

export class StepContext {
  readonly results = new Map<string, StepResult>();
  /** Parameter values the parameters cell set in this kernel (else the notebook's defaults). */
  parameterValues: Record<string, JsonValue> | undefined;
  private active: ActiveStep | undefined;
  private seq = 0;
  private readonly observed = new Map<string, Observed>();
  private readonly firstRun: string[] = [];
  private chosenItem: number | undefined;

  constructor(private readonly store: InteractiveStore) {}

  /** The step of the most recent step cell: where an unknown untagged cell belongs. */
  get lastStep(): string | undefined {
    return this.active?.step;
  }

  /** `cellflow.useItem(i)`: the element the next foreach body cell runs on. */
  useItem(index: number): void {
    if (!Number.isInteger(index) || index < 0)
      throw new StepContextError(`cellflow.useItem(${index}): the element index must be an integer >= 0.`);
    this.chosenItem = index;
  }

  /** Builds `self`, `inputs`, `current` for a step cell; throws StepContextError with what is missing. */
  enter(cell: ResolvedCell, code: string, parameters: Parameter[]): StepBindings {
    const step = cell.step!;
    this.observe(cell);
    if (!cell.startsStep) {
      if (this.active?.step === step) return this.active.bindings;
      const previous = this.results.get(step);
      if (!previous)
        throw new StepContextError(
          `this cell continues step '${step}', which has not run in this kernel: run the step's first cell ` +
            `(tagged step:${step}) before its other cells.`,
        );
      const state = createSelf(
        previous.artifacts,
        (ref) => this.store.load(ref),
        this.foreachValue(previous.foreach),
      );
      // A join's later cells see the same `inputs` as its first cell.
      const inputs = previous.isJoin
        ? this.joinInputs(previous.parents.map((p) => this.results.get(p)!))
        : [];
      this.active = this.activate(step, state, inputs, previous, cell);
      return this.active.bindings;
    }

    const { parents, isJoin, closesForeach } = this.shape(cell, code);
    const missing = parents.filter((p) => !this.results.has(p));
    if (missing.length > 0) {
      const names = missing.map((p) => `'${p}'`).join(', ');
      throw new StepContextError(
        `step '${step}' runs on the artifacts of its parent step${missing.length > 1 ? 's' : ''} ${names}, ` +
          `which ${missing.length > 1 ? 'have' : 'has'} not run in this kernel: run ${names} first.`,
      );
    }
    const parentResults = parents.map((p) => this.results.get(p)!);
    const basedOn = Object.fromEntries(parentResults.map((r) => [r.step, r.seq]));
    const load = (ref: ArtifactIndex[string]) => this.store.load(ref);

    let foreach: ForeachFrame[] = parentResults[0]?.foreach ?? [];
    const parent = parentResults[0];
    const splitArtifact = parent && !isJoin ? this.foreachArtifactOf(parent) : undefined;
    if (splitArtifact) {
      const elements = load(parent.artifacts[splitArtifact]) as unknown[];
      const index = this.chosenItem ?? 0;
      this.chosenItem = undefined;
      if (!Array.isArray(elements) || index >= elements.length)
        throw new StepContextError(
          `cellflow.useItem(${index}): self.${splitArtifact} of step '${parent.step}' has ` +
            `${Array.isArray(elements) ? elements.length : 0} elements.`,
        );
      foreach = [...foreach, { split: parent.step, index, count: elements.length }];
    } else if (isJoin && closesForeach) {
      foreach = foreach.slice(0, -1);
    }

    const inherited: ArtifactIndex = isJoin
      ? this.parameterArtifacts(parameters)
      : { ...(parent?.artifacts ?? this.parameterArtifacts(parameters)) };
    const state = createSelf(inherited, load, this.foreachValue(foreach));
    const inputs = isJoin ? this.joinInputs(parentResults) : [];
    this.active = this.activate(
      step,
      state,
      inputs,
      {
        basedOn,
        parents,
        isJoin,
        foreach,
        flow: cell.graph ? (cell.flowName ?? 'interactive') : (parent?.flow ?? 'interactive'),
      },
      cell,
    );
    return this.active.bindings;
  }

  /** After a step's cell succeeded: its artifacts become the step's latest interactive result. */
  commit(): StepResult | undefined {
    const active = this.active;
    if (!active) return undefined;
    const artifacts = active.state.untouched();
    for (const [name, value] of active.state.touched()) artifacts[name] = this.store.save(name, value);
    let foreachCount: number | undefined;
    if (active.foreachArtifact) {
      const elements = active.state.self[active.foreachArtifact];
      if (!Array.isArray(elements) || elements.length === 0)
        throw new StepContextError(
          `foreach:${active.foreachArtifact} needs self.${active.foreachArtifact} to be a non-empty array.`,
        );
      foreachCount = elements.length;
    }
    const result: StepResult = {
      step: active.step,
      artifacts,
      seq: ++this.seq,
      ranAt: new Date().toISOString(),
      basedOn: active.basedOn,
      parents: active.parents,
      isJoin: active.isJoin,
      foreach: active.foreach,
      ...(foreachCount !== undefined ? { foreachCount } : {}),
      flow: active.flow,
      graph: active.graph,
      cell: active.cell,
    };
    this.results.set(active.step, result);
    return result;
  }

  /** Steps with results; stale when an upstream step re-ran after the step was built. */
  state(): { step: string; stale: boolean; ranAt: string }[] {
    const stale = (step: string, seen = new Set<string>()): boolean => {
      const result = this.results.get(step);
      if (!result || seen.has(step)) return false;
      seen.add(step);
      return result.parents.some((p) => {
        const parent = this.results.get(p);
        return !parent || parent.seq !== result.basedOn[p] || stale(p, seen);
      });
    };
    return [...this.results.values()]
      .sort((a, b) => a.seq - b.seq)
      .map((r) => ({ step: r.step, stale: stale(r.step), ranAt: r.ranAt }));
  }

  // ---------------------------------------------------------------- graph shape

  /** Parents, join-ness and foreach closing: from the notebook's graph, else from the tags seen so far. */
  private shape(
    cell: ResolvedCell,
    code: string,
  ): { parents: string[]; isJoin: boolean; closesForeach: boolean } {
    const step = cell.step!;
    const node = cell.graph?.nodes[step];
    if (node) {
      const closes = node.closes ? cell.graph!.nodes[node.closes] : undefined;
      return { parents: node.parents, isJoin: node.isJoin, closesForeach: !!closes?.foreach };
    }
    // Without the notebook: parents are the steps whose next: named this one, else the step run before.
    let parents = [...this.observed].filter(([, o]) => o.next?.includes(step)).map(([name]) => name);
    if (parents.length === 0) {
      const at = this.firstRun.indexOf(step);
      const before = at > 0 ? this.firstRun[at - 1] : undefined;
      if (before && !this.observed.get(before)?.next) parents = [before];
    }
    const readsInputs = /\binputs\b/.test(code);
    const isJoin = parents.length >= 2 || (parents.length === 1 && readsInputs);
    const closesForeach = isJoin && parents.length === 1;
    return { parents, isJoin, closesForeach };
  }

  private observe(cell: ResolvedCell): void {
    const step = cell.step!;
    if (!this.firstRun.includes(step)) this.firstRun.push(step);
    if (!cell.tags || !cell.startsStep) return;
    const next = cell.tags.find((t) => t.startsWith('next:'));
    const foreach = cell.tags.find((t) => t.startsWith('foreach:'));
    this.observed.set(step, {
      ...(next
        ? {
            next: next
              .slice(5)
              .split(',')
              .map((s) => s.trim()),
          }
        : {}),
      ...(foreach ? { foreach: foreach.slice(8).trim() } : {}),
    });
  }

  private foreachArtifactOf(result: StepResult): string | undefined {
    return result.graph?.nodes[result.step]?.foreach ?? this.observed.get(result.step)?.foreach;
  }

  private foreachValue(frames: ForeachFrame[]): { input: unknown; index: number } | undefined {
    const frame = frames[frames.length - 1];
    if (!frame) return undefined;
    const split = this.results.get(frame.split);
    const artifact = split ? this.foreachArtifactOf(split) : undefined;
    if (!split || !artifact || !split.artifacts[artifact]) return undefined;
    return {
      input: (this.store.load(split.artifacts[artifact]) as unknown[])[frame.index],
      index: frame.index,
    };
  }

  private joinInputs(parents: (StepResult | undefined)[]): JoinInput[] {
    const load = (ref: ArtifactIndex[string]) => this.store.load(ref);
    return parents
      .filter((r): r is StepResult => r !== undefined)
      .map((r) => registerJoinInput(createJoinInput(r.step, r.artifacts, load), r.artifacts));
  }

  private parameterArtifacts(parameters: Parameter[]): ArtifactIndex {
    // The notebook's declared parameters at their defaults, overridden by what the parameters cell set.
    const values: Record<string, unknown> = Object.fromEntries(parameters.map((p) => [p.name, p.default]));
    Object.assign(values, this.parameterValues ?? {});
    const index: ArtifactIndex = {};
    for (const [name, value] of Object.entries(values)) index[name] = this.store.save(name, value);
    return index;
  }

  private activate(
    step: string,
    state: SelfState,
    inputs: JoinInput[],
    from: {
      basedOn: Record<string, number>;
      parents: string[];
      isJoin: boolean;
      foreach: ForeachFrame[];
      flow: string;
    },
    cell: ResolvedCell,
  ): ActiveStep {
    const graph = cell.graph;
    const current: Current = {
      flowName: from.flow,
      runId: INTERACTIVE_RUN_ID,
      stepName: step,
      taskId: INTERACTIVE_TASK_ID,
      attempt: 0,
      isInteractive: true,
      pathspec: `${from.flow}/${INTERACTIVE_RUN_ID}/${step}/${INTERACTIVE_TASK_ID}`,
      random: taskRandom(
        undefined,
        step,
        from.foreach.map((f) => f.index),
      ),
    };
    return {
      step,
      state,
      basedOn: from.basedOn,
      parents: from.parents,
      isJoin: from.isJoin,
      foreach: from.foreach,
      foreachArtifact: graph?.nodes[step]?.foreach ?? this.observed.get(step)?.foreach,
      flow: from.flow,
      graph,
      cell: cell.cell,
      bindings: {
        self: state.self,
        inputs,
        current,
        mergeArtifacts: (i, o) => mergeArtifacts(state, i, o),
      },
    };
  }
}
