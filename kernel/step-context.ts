// Flow semantics for interactive cells, with the runtime's own pieces (createSelf, createJoinInput,
// mergeArtifacts, codecs): a step cell runs on a copy of its parent step's latest interactive
// artifacts, a join gets `inputs` from its parents' latest results, a foreach body gets one element,
// and the step's artifacts are kept after every successful cell of the step.
import { analyzeCode } from '../src/core/analysis';
import type {
  Current,
  CurrentForeachFrame,
  FlowGraph,
  JoinInput,
  JoinInputs,
  JsonValue,
  MergeOptions,
  Parameter,
} from '../src/core/model';
import {
  childForeachStack,
  closesForeach,
  foreachElementsRef,
  foreachMoveOf,
  foreachSelf,
  inheritedParent,
  innermostFrame,
  startingArtifacts,
} from '../src/core/step-semantics';
import {
  bindMergeArtifacts,
  chosenCase,
  createJoinInput,
  createSelf,
  foreachElements,
  isOneShotIterator,
  joinInputList,
  registerJoinInput,
  type SelfState,
  taskRandom,
} from '../src/runtime/scope';
import { type ArtifactIndex, currentUser } from '../src/runtime';
import { emptyReadLog, recordReads, type ReadLog } from '../src/runtime/repro/capture';
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
  /** The seq of the split step's result the element came from (a re-run split starts afresh). */
  splitSeq?: number;
}

/** A join that closes a foreach joined only the elements that ran in this kernel. */
export interface PartialJoin {
  split: string;
  /** Indices of the elements joined. */
  ran: number[];
  count: number;
  /** The join the partial result comes from (itself, or an upstream join). */
  join: string;
}

/** Why a step's result no longer matches what a flow run would give. */
export type StaleReason = 'parameters' | 'upstream';

export interface InteractiveStepState {
  step: string;
  stale: boolean;
  reason?: StaleReason;
  /** Absent for a case not taken that never ran here. */
  ranAt?: string;
  /** A switch's case that its latest interactive run did not choose (a flow run would skip it). */
  notTaken?: { switch: string; taken: string };
  /** A switch step: the case its latest run chose. */
  switchTaken?: string;
  /** A foreach body: the element it ran on. */
  element?: { split: string; index: number; count: number };
  partial?: PartialJoin;
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
  /** A foreach over a non-array iterable: its elements, stored once. */
  foreachValues?: ArtifactIndex[string];
  /** sha256 of each parameter's value the step was built with (a changed parameter makes it stale). */
  params: Record<string, string>;
  partial?: PartialJoin;
  /** A switch step: the case `self.ARTIFACT` named when it ran. */
  switchTaken?: string;
  flow: string;
  graph?: FlowGraph;
  cell?: ResolvedCell['cell'];
  /** Paths the step's cells read (saveInteractive records them as the task's data inputs). */
  reads?: ReadLog;
}

export interface StepBindings {
  self: Record<string, unknown>;
  inputs: JoinInputs;
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
  params: Record<string, string>;
  partial?: PartialJoin;
  flow: string;
  graph?: FlowGraph;
  cell?: ResolvedCell['cell'];
  bindings: StepBindings;
  reads: ReadLog;
}

/** What the kernel tells the user about a step cell it is about to run (printed with the cell). */
export type StepNote = string;

interface Observed {
  next?: string[];
  foreach?: string;
}

export class StepContext {
  readonly results = new Map<string, StepResult>();
  /** A foreach body's results per element index, so a join can gather every element that ran. */
  private readonly elements = new Map<string, Map<number, StepResult>>();
  /** Parameter values the parameters cell set in this kernel (else the notebook's defaults). */
  private parameterValues: Record<string, JsonValue> | undefined;
  /** The notebook's declared parameters, as last seen (their defaults count until the cell runs). */
  private declared: Parameter[] = [];
  /** What the kernel says about the step cell it is entering (the foreach element, a partial join). */
  notes: StepNote[] = [];
  /** What the kernel says after a step cell succeeded (the case a switch chose). */
  doneNotes: StepNote[] = [];
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

  /** The parameters cell ran: its values replace the previous ones (steps built on others go stale). */
  setParameters(values: Record<string, JsonValue>): void {
    this.parameterValues = { ...(this.parameterValues ?? {}), ...values };
  }

  get parameters(): Record<string, JsonValue> | undefined {
    return this.parameterValues;
  }

  /** `cellflow.useItem(i)`: the element the next foreach body cell runs on. */
  useItem(index: number): void {
    if (!Number.isInteger(index) || index < 0) {
      throw new StepContextError(`cellflow.useItem(${index}): the element index must be an integer >= 0.`);
    }
    this.chosenItem = index;
  }

  /** Builds `self`, `inputs`, `current` for a step cell; throws StepContextError with what is missing. */
  enter(cell: ResolvedCell, code: string, parameters: Parameter[]): StepBindings {
    const bindings = this.enterStep(cell, code, parameters);
    // What the cell reads while it runs belongs to its step (until commit, or the next step cell).
    this.stopReads?.();
    this.stopReads = recordReads(this.active!.reads);
    return bindings;
  }

  private stopReads: (() => ReadLog) | undefined;

  private enterStep(cell: ResolvedCell, code: string, parameters: Parameter[]): StepBindings {
    const step = cell.step!;
    this.observe(cell);
    if (parameters.length) {
      this.declared = parameters;
    }
    this.notes = [];
    if (!cell.startsStep) {
      if (this.active?.step === step) {
        return this.active.bindings;
      }
      const previous = this.results.get(step);
      if (!previous) {
        throw new StepContextError(
          `this cell continues step '${step}', which has not run in this kernel: run the step's first cell ` +
            `(tagged step:${step}) before its other cells.`,
        );
      }
      const declared = this.declared.length ? this.declared : parameters;
      const state = createSelf(
        previous.artifacts,
        (ref) => this.store.load(ref),
        this.foreachValue(previous.foreach),
        new Set(declared.map((p) => p.name)),
      );
      // A join's later cells see the same `inputs` as its first cell.
      const inputs = this.joinInputs(previous.isJoin ? this.joinedResults(previous.parents, previous) : []);
      this.active = this.activate(step, state, inputs, previous, cell, declared);
      return this.active.bindings;
    }

    const shape = this.shape(cell, code);
    const { isJoin } = shape;
    let parents = shape.parents;
    if (!isJoin && parents.length > 1) {
      // Several switch cases (or a loop's back edge) lead here; one runs: build on the one taken.
      const live = this.takenParent(step, parents);
      if (!live) {
        const names = parents.map((p) => `'${p}'`).join(', ');
        throw new StepContextError(
          `step '${step}' runs on the artifacts of one of ${names} (whichever ran before it), none of which has run in this kernel: run one of them first.`,
        );
      }
      parents = [live];
    }
    this.noteNotTaken(step, parents, cell.graph);
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

    const parent = parentResults[0];
    const parentStack = parent?.foreach ?? [];
    const splitArtifact = parent && !isJoin ? this.foreachArtifactOf(parent) : undefined;
    const move = foreachMoveOf({
      parentIsForeach: !!splitArtifact,
      closesForeach: isJoin && shape.closesForeach,
    });
    let foreach: ForeachFrame[];
    let joined = parentResults;
    let partial = parentResults.find((r) => r.partial)?.partial;
    if (move === 'enter') {
      const elements = this.foreachItems(parent) ?? [];
      const index = this.chosenItem ?? 0;
      this.chosenItem = undefined;
      if (index >= elements.length) {
        throw new StepContextError(
          `cellflow.useItem(${index}): self.${splitArtifact} of step '${parent.step}' has ` +
            `${elements.length} elements.`,
        );
      }
      foreach = childForeachStack(parentStack, move, {
        split: parent.step,
        index,
        count: elements.length,
        splitSeq: parent.seq,
      });
      if (elements.length > 1) {
        this.notes.push(
          `foreach body '${step}' runs on element ${index + 1} of ${elements.length} of self.${splitArtifact} ` +
            `(self.index = ${index}); a flow run runs all ${elements.length}. ` +
            `cellflow.useItem(i) before this cell runs another element; the join gathers every element run.`,
        );
      }
    } else {
      foreach = childForeachStack(parentStack, move);
      const frame = move === 'leave' ? innermostFrame(parentStack) : undefined;
      if (frame) {
        joined = this.elementsOf(parents[0], frame);
        const ran = joined.map((r) => r.foreach[r.foreach.length - 1].index);
        if (ran.length < frame.count) {
          partial = { split: frame.split, ran, count: frame.count, join: step };
          this.notes.push(
            `join '${step}' joins ${ran.length} of ${frame.count} elements of the foreach at '${frame.split}' ` +
              `(element${ran.length === 1 ? '' : 's'} ${ran.map((i) => i + 1).join(', ')}): its result is partial ` +
              `and may differ from a flow run, which joins all ${frame.count}.`,
          );
        } else {
          partial = undefined;
        }
      }
    }

    const declared = this.declared.length ? this.declared : parameters;
    const current = this.parameterArtifacts(declared);
    const inheritFrom = inheritedParent(isJoin, parentResults);
    const inherited = startingArtifacts({
      isJoin,
      parameters: current,
      parent: inheritFrom && this.withCurrentParameters(inheritFrom, current),
    });
    const params = Object.fromEntries(Object.entries(current).map(([name, ref]) => [name, ref.sha256]));
    const state = createSelf(
      inherited,
      load,
      this.foreachValue(foreach),
      new Set(declared.map((p) => p.name)),
    );
    const inputs = this.joinInputs(isJoin ? joined : []);
    this.active = this.activate(
      step,
      state,
      inputs,
      {
        basedOn,
        parents,
        isJoin,
        foreach,
        params,
        partial,
        flow: cell.graph ? (cell.flowName ?? 'interactive') : (parent?.flow ?? 'interactive'),
      },
      cell,
      declared,
    );
    return this.active.bindings;
  }

  /**
   * A child starts from its parent's artifacts, but a parameter the parent left as it got it takes
   * the parameter's current value: parameters are the run's constants, and the parameters cell may
   * have re-run since the parent ran.
   */
  private withCurrentParameters(parent: StepResult, current: ArtifactIndex): ArtifactIndex {
    const inherited = { ...parent.artifacts };
    for (const [name, ref] of Object.entries(current)) {
      const had = inherited[name];
      if (!had || had.sha256 === parent.params[name]) {
        inherited[name] = ref;
      }
    }
    return inherited;
  }

  /** The results a join gets: for a foreach body, every element run on the current split, in order. */
  private joinedResults(parents: string[], join: StepResult): StepResult[] {
    const frame = this.results.get(parents[0])?.foreach.at(-1);
    if (
      parents.length === 1 &&
      frame &&
      join.foreach.length < (this.results.get(parents[0])?.foreach.length ?? 0)
    ) {
      return this.elementsOf(parents[0], frame);
    }
    return parents.map((p) => this.results.get(p)).filter((r): r is StepResult => r !== undefined);
  }

  private elementsOf(body: string, frame: ForeachFrame): StepResult[] {
    const depth = this.results.get(body)?.foreach.length ?? 0;
    const byIndex = this.elements.get(body) ?? new Map<number, StepResult>();
    return [...byIndex.values()]
      .filter((r) => {
        const f = r.foreach[depth - 1];
        return r.foreach.length === depth && f?.split === frame.split && f.splitSeq === frame.splitSeq;
      })
      .sort((a, b) => a.foreach[depth - 1].index - b.foreach[depth - 1].index);
  }

  /**
   * Of the parents of a step that is not a join, the one a flow run would have come from: a parent
   * switch counts only if its latest run chose this step; the most recent such result wins.
   */
  private takenParent(step: string, parents: string[]): string | undefined {
    const ran = parents.map((p) => this.results.get(p)).filter((r): r is StepResult => r !== undefined);
    const taken = ran.filter(
      (r) => (r.switchTaken === undefined || r.switchTaken === step) && !this.offThePath(r),
    );
    const pick = (list: StepResult[]) => list.sort((a, b) => b.seq - a.seq)[0]?.step;
    return pick(taken) ?? pick(ran);
  }

  /** True when the result lies on a case its switch's latest run did not choose (at any distance). */
  private offThePath(result: StepResult, seen = new Set<string>()): boolean {
    if (seen.has(result.step)) {
      return false;
    }
    seen.add(result.step);
    return result.parents.some((p) => {
      const parent = this.results.get(p);
      if (!parent || p === result.step) {
        return false;
      }
      if (parent.switchTaken !== undefined && parent.switchTaken !== result.step) {
        return true;
      }
      return this.offThePath(parent, seen);
    });
  }

  /** A case its switch did not choose runs anyway, on the switch's artifacts, and says so. */
  private noteNotTaken(step: string, parents: string[], graph: FlowGraph | undefined): void {
    for (const p of parents) {
      const parent = this.results.get(p);
      const artifact = graph?.nodes[p]?.switch;
      if (!parent?.switchTaken || artifact === undefined || parent.switchTaken === step) {
        continue;
      }
      this.notes.push(
        `step '${step}' is a case the switch at '${p}' did not take in its latest run ` +
          `(self.${artifact} = '${parent.switchTaken}'): a flow run would skip it. It runs here anyway, ` +
          `on '${p}''s artifacts, and stays marked not taken until '${p}' chooses it.`,
      );
    }
  }

  /** After a step's cell succeeded: its artifacts become the step's latest interactive result. */
  commit(): StepResult | undefined {
    const active = this.active;
    this.stopReads?.();
    this.stopReads = undefined;
    this.doneNotes = [];
    if (!active) {
      return undefined;
    }
    let foreachCount: number | undefined;
    let foreachValues: ArtifactIndex[string] | undefined;
    if (active.foreachArtifact) {
      // As in a run (task-runner.ts): any iterable, materialised once.
      const value = active.state.self[active.foreachArtifact];
      let elements: unknown[];
      try {
        elements = foreachElements(active.foreachArtifact, value);
      } catch (error) {
        throw new StepContextError((error as Error).message);
      }
      foreachCount = elements.length;
      if (isOneShotIterator(value)) {
        active.state.self[active.foreachArtifact] = elements;
      } else if (!Array.isArray(value)) {
        foreachValues = this.store.save(active.foreachArtifact, elements);
      }
    }
    const artifacts = active.state.untouched();
    for (const [name, value] of active.state.touched()) {
      artifacts[name] = this.store.save(name, value);
    }
    const node = active.graph?.nodes[active.step];
    let switchTaken: string | undefined;
    // A later cell of the step may set the switch's artifact: only a value that is there is checked.
    if (node?.switch !== undefined && active.state.self[node.switch] !== undefined) {
      try {
        switchTaken = chosenCase(node, active.state.self[node.switch]);
      } catch (error) {
        throw new StepContextError((error as Error).message);
      }
      const skipped = node.next.filter((n) => n !== switchTaken).map((n) => `'${n}'`);
      this.doneNotes.push(
        `switch:${node.switch} chose '${switchTaken}'; not taken: ${skipped.join(', ')} (a flow run runs '${switchTaken}' next).`,
      );
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
      ...(foreachValues ? { foreachValues } : {}),
      params: active.params,
      ...(active.partial ? { partial: active.partial } : {}),
      ...(switchTaken !== undefined ? { switchTaken } : {}),
      flow: active.flow,
      graph: active.graph,
      cell: active.cell,
      reads: active.reads,
    };
    this.results.set(active.step, result);
    const frame = active.foreach.at(-1);
    if (frame) {
      const byIndex = this.elements.get(active.step) ?? new Map<number, StepResult>();
      byIndex.set(frame.index, result);
      this.elements.set(active.step, byIndex);
    }
    return result;
  }

  /**
   * Steps with results; stale when a parameter changed since the step was built (its own or an
   * upstream step's) or an upstream step re-ran after it was built. A foreach body names the element it
   * ran; a join that gathered only some of a foreach's elements, and every step after it, is partial.
   */
  state(): InteractiveStepState[] {
    const current = this.parameterArtifacts(this.declared);
    const paramsChanged = (r: StepResult) =>
      Object.entries(current).some(
        ([name, ref]) => r.params[name] !== undefined && r.params[name] !== ref.sha256,
      );
    const memo = new Map<string, StaleReason | null>();
    const staleness = (step: string, seen = new Set<string>()): StaleReason | null => {
      if (memo.has(step)) {
        return memo.get(step)!;
      }
      const result = this.results.get(step);
      if (!result || seen.has(step)) {
        return null;
      }
      seen.add(step);
      let reason: StaleReason | null = paramsChanged(result) ? 'parameters' : null;
      for (const p of result.parents) {
        if (reason) {
          break;
        }
        // A loop builds on its own (or a later step's) last result: that is not staleness.
        if (p === step || this.results.get(p)?.graph?.nodes[p]?.loops?.includes(step)) {
          continue;
        }
        const parent = this.results.get(p);
        if (!parent || parent.seq !== result.basedOn[p]) {
          reason = 'upstream';
        } else if (staleness(p, seen) === 'parameters') {
          reason = 'parameters';
        } else if (staleness(p, seen)) {
          reason = 'upstream';
        }
      }
      memo.set(step, reason);
      return reason;
    };
    // The cases each switch's latest run did not choose: the branch not taken shows as skipped.
    const notTaken = new Map<string, { switch: string; taken: string }>();
    for (const r of this.results.values()) {
      const node = r.graph?.nodes[r.step];
      if (r.switchTaken === undefined || !node) {
        continue;
      }
      for (const other of node.next) {
        if (other !== r.switchTaken && other !== r.step) {
          notTaken.set(other, { switch: r.step, taken: r.switchTaken });
        }
      }
    }
    const states: InteractiveStepState[] = [...this.results.values()]
      .sort((a, b) => a.seq - b.seq)
      .map((r) => {
        const reason = staleness(r.step);
        const frame = r.foreach.at(-1);
        return {
          step: r.step,
          stale: reason !== null,
          ...(reason ? { reason } : {}),
          ranAt: r.ranAt,
          ...(frame ? { element: { split: frame.split, index: frame.index, count: frame.count } } : {}),
          ...(r.partial ? { partial: r.partial } : {}),
          ...(r.switchTaken !== undefined ? { switchTaken: r.switchTaken } : {}),
          ...(notTaken.has(r.step) ? { notTaken: notTaken.get(r.step) } : {}),
        };
      });
    for (const [step, why] of notTaken) {
      if (!this.results.has(step)) {
        states.push({ step, stale: false, notTaken: why });
      }
    }
    return states;
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
      return {
        parents: node.parents,
        isJoin: node.isJoin,
        closesForeach: closesForeach(cell.graph!.nodes, step),
      };
    }
    // Without the notebook: parents are the steps whose next: named this one, else the step run before.
    let parents = [...this.observed].filter(([, o]) => o.next?.includes(step)).map(([name]) => name);
    if (parents.length === 0) {
      const at = this.firstRun.indexOf(step);
      const before = at > 0 ? this.firstRun[at - 1] : undefined;
      if (before && !this.observed.get(before)?.next) {
        parents = [before];
      }
    }
    // A free read of `inputs` (the compiler's view, as core's graph has it), not the word in a
    // comment or a string.
    const readsInputs = codeReadsInputs(code);
    const isJoin = parents.length >= 2 || (parents.length === 1 && readsInputs);
    return { parents, isJoin, closesForeach: isJoin && parents.length === 1 };
  }

  private observe(cell: ResolvedCell): void {
    const step = cell.step!;
    if (!this.firstRun.includes(step)) {
      this.firstRun.push(step);
    }
    if (!cell.tags || !cell.startsStep) {
      return;
    }
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

  /** The elements a foreach step's result fans out over. */
  private foreachItems(split: StepResult): unknown[] | undefined {
    const artifact = this.foreachArtifactOf(split);
    const ref = foreachElementsRef(split, artifact);
    if (!artifact || !ref) {
      return undefined;
    }
    const value = this.store.load(ref);
    return Array.isArray(value) ? value : undefined;
  }

  private foreachFrames(frames: ForeachFrame[]): CurrentForeachFrame[] {
    return frames.map((frame) => {
      const split = this.results.get(frame.split);
      return {
        step: frame.split,
        index: frame.index,
        count: frame.count,
        input: split ? this.foreachItems(split)?.[frame.index] : undefined,
      };
    });
  }

  private foreachValue(frames: ForeachFrame[]): { input: unknown; index: number } | undefined {
    // Only the innermost element is read: `self.input` is its value.
    return foreachSelf(this.foreachFrames(frames.slice(-1)));
  }

  private joinInputs(parents: (StepResult | undefined)[]): JoinInputs {
    const load = (ref: ArtifactIndex[string]) => this.store.load(ref);
    return joinInputList(
      parents
        .filter((r): r is StepResult => r !== undefined)
        .map((r) => registerJoinInput(createJoinInput(r.step, r.artifacts, load), r.artifacts)),
    );
  }

  private parameterArtifacts(parameters: Parameter[]): ArtifactIndex {
    // The notebook's declared parameters at their defaults, overridden by what the parameters cell set.
    const values: Record<string, unknown> = Object.fromEntries(parameters.map((p) => [p.name, p.default]));
    Object.assign(values, this.parameterValues ?? {});
    const index: ArtifactIndex = {};
    for (const [name, value] of Object.entries(values)) {
      index[name] = this.store.save(name, value);
    }
    return index;
  }

  private activate(
    step: string,
    state: SelfState,
    inputs: JoinInputs,
    from: {
      basedOn: Record<string, number>;
      parents: string[];
      isJoin: boolean;
      foreach: ForeachFrame[];
      params: Record<string, string>;
      partial?: PartialJoin;
      flow: string;
    },
    cell: ResolvedCell,
    parameters: Parameter[],
  ): ActiveStep {
    const graph = cell.graph;
    const user = currentUser();
    const current: Current = {
      flowName: from.flow,
      runId: INTERACTIVE_RUN_ID,
      originRunId: null,
      stepName: step,
      taskId: INTERACTIVE_TASK_ID,
      attempt: 0,
      isInteractive: true,
      pathspec: `${from.flow}/${INTERACTIVE_RUN_ID}/${step}/${INTERACTIVE_TASK_ID}`,
      foreachStack: this.foreachFrames(from.foreach),
      parameterNames: parameters.map((p) => p.name),
      user,
      namespace: `user:${user}`,
      tags: [],
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
      params: from.params,
      ...(from.partial ? { partial: from.partial } : {}),
      flow: from.flow,
      graph,
      cell: cell.cell,
      // A step's later cell adds to what its earlier cells read.
      reads: copyReadLog((from as { reads?: ReadLog }).reads),
      bindings: {
        self: state.self,
        inputs,
        current,
        mergeArtifacts: bindMergeArtifacts(state, step, from.isJoin),
      },
    };
  }
}

function copyReadLog(log: ReadLog | undefined): ReadLog {
  const copy = emptyReadLog();
  for (const key of ['files', 'directories', 'written'] as const) {
    for (const p of log?.[key] ?? []) {
      copy[key].add(p);
    }
  }
  return copy;
}

/** A free read of `inputs` in a step's code (a declared local `inputs` does not count). */
function codeReadsInputs(code: string): boolean {
  const facts = analyzeCode(code);
  return facts.reads.has('inputs') && !facts.declaredAnywhere.has('inputs');
}
