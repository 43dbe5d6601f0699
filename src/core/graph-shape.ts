// Builds the flow graph from the grouped notebook, in stages that each need the one before to be sound
// (graph.ts runs the rules of graph-rules.ts between them). Nothing here reports: where the notebook
// breaks a stage's assumption, the stage records what it found and a rule says it.
//
// Joins: a step whose parents come from different branches of a split is a join. A step is also a
// join when its code reads `inputs` — the notebook counterpart of Metaflow's `def join(self, inputs)`
// — and it then closes the innermost open foreach. A step that several cases of a switch lead to is a
// plain step: only one of those parents runs.
//
// Switches and loops: a switch opens no split (one case runs), so the paths after it keep the frames
// they had. The edges a depth-first walk from the entry finds going back to a step still on its path
// are the loops' back edges; every cycle must contain a switch edge (else it could never end), and the
// split/join analysis runs on the graph without the back edges, which is acyclic.
import { analyzeCode } from './analysis';
import { backEdges, topologicalOrder } from './graph-order';
import type { FlowGraph, GraphNode, NodeKind, NotebookFlow, StepSource } from './model';

/** Stage 1: the graph as the tags declare it. */
export interface DeclaredGraph {
  steps: StepSource[];
  byName: Map<string, StepSource>;
  /** Successors; a step whose next: targets are all unknown falls back to notebook order. */
  next: Map<string, string[]>;
  parents: Map<string, string[]>;
  entry: StepSource;
  /** '' when the last step has a next: that goes somewhere (then there is no end). */
  endName: string;
  /** next: targets that name no step, in notebook order. */
  unknownTargets: { step: StepSource; target: string }[];
}

/** A split or foreach a path is inside of. */
export interface Frame {
  split: string;
  kind: 'split' | 'foreach';
  /** The successor of the split this path went through. */
  branch: string;
}

/** One way into a step: its parent and the frames the path is in after the parent. */
export interface Path {
  parent: string;
  frames: Frame[];
}

/**
 * Where the split/join balance breaks, found by the walk of stage 3 (at most one: the walk stops
 * there, since every join after an unbalanced split would be reported again). `kind` is the rule id.
 */
export type BalanceBreak =
  | { kind: 'end-is-join'; step: StepSource; parents: string[] }
  | { kind: 'join-without-split'; step: StepSource; paths: Path[]; bare: Path }
  | { kind: 'join-mixes-splits'; step: StepSource; paths: Path[]; tops: Frame[] }
  | { kind: 'join-arity'; step: StepSource; paths: Path[]; top: Frame; expected: string[] }
  | { kind: 'empty-foreach'; step: StepSource; split: string }
  | { kind: 'split-not-joined'; step: StepSource; open: Frame };

/** Stage 3: the frames each step runs in, which steps are joins and what they close. */
export interface Balance {
  frames: Map<string, Frame[]>;
  /** Join or not, for every step the walk reached. */
  joins: Map<string, boolean>;
  closes: Map<string, string>;
  /** A join reached through a switch inside a branch: which branch each parent is in. */
  branchesOf: Map<string, Record<string, string>>;
  broken?: BalanceBreak;
}

/** What the stages built so far; `loops` (stage 2) and `balance` (stage 3) once they ran. */
export interface GraphStages {
  declared: DeclaredGraph;
  /** Back edges of loops (from → targets). */
  loops?: Map<string, string[]>;
  balance?: Balance;
}

/** True when the step's code reads a free `inputs`: it asks to be a join. */
export function readsInputs(step: StepSource): boolean {
  const facts = step.code.map((chunk) => analyzeCode(chunk.source));
  return facts.some((f) => f.reads.has('inputs')) && !facts.some((f) => f.declaredAnywhere.has('inputs'));
}

/** Stage 1: successors (notebook order unless next: says otherwise), parents, entry and end. */
export function declareGraph(flow: NotebookFlow): DeclaredGraph {
  const steps = flow.steps;
  const byName = new Map(steps.map((s) => [s.name, s]));
  const next = new Map<string, string[]>();
  const unknownTargets: DeclaredGraph['unknownTargets'] = [];
  steps.forEach((step, i) => {
    const implicit = i + 1 < steps.length ? [steps[i + 1].name] : [];
    if (!step.next) {
      next.set(step.name, implicit);
      return;
    }
    const known = step.next.filter((target) => {
      if (!byName.has(target)) {
        unknownTargets.push({ step, target });
      }
      return byName.has(target);
    });
    // All targets unknown: fall back to notebook order so one typo gives one message.
    next.set(step.name, known.length > 0 ? known : implicit);
  });
  const last = steps[steps.length - 1];
  const endName = last.next && (next.get(last.name) ?? []).length > 0 ? '' : last.name;
  const parents = new Map<string, string[]>(steps.map((s) => [s.name, []]));
  for (const step of steps) {
    for (const target of next.get(step.name)!) {
      parents.get(target)!.push(step.name);
    }
  }
  return { steps, byName, next, parents, entry: steps[0], endName, unknownTargets };
}

/** Stage 2, once every step is reachable and every cycle goes through a switch: the back edges. */
export function findLoops(declared: DeclaredGraph): Map<string, string[]> {
  const loops = new Map<string, string[]>();
  for (const [from, to] of backEdges(declared.entry.name, declared.next)) {
    loops.set(from, [...(loops.get(from) ?? []), to]);
  }
  return loops;
}

const forwardNextOf = (declared: DeclaredGraph, loops: Map<string, string[]>, name: string): string[] => {
  const back = loops.get(name);
  return back ? declared.next.get(name)!.filter((t) => !back.includes(t)) : declared.next.get(name)!;
};

const forwardParentsOf = (declared: DeclaredGraph, loops: Map<string, string[]>, name: string): string[] =>
  declared.parents.get(name)!.filter((p) => !loops.get(p)?.includes(name));

/** As the walk decided; before (or beyond) it, two forward parents make a join as they would in a DAG. */
export function isJoin(stages: GraphStages, name: string): boolean {
  const decided = stages.balance?.joins.get(name);
  if (decided !== undefined) {
    return decided;
  }
  const count = forwardParentsOf(stages.declared, stages.loops ?? new Map(), name).length;
  return count >= 2 || (count === 1 && readsInputs(stages.declared.byName.get(name)!));
}

/**
 * Stage 3, once each foreach has one successor: walks the forward graph in topological order, giving
 * each step the frames its paths are in, and checks each join closes the innermost open split with
 * one path per branch (or, for a foreach, its body). Stops where the balance first breaks.
 */
export function balanceSplits(declared: DeclaredGraph, loops: Map<string, string[]>): Balance {
  const { steps, byName, next, entry, endName } = declared;
  const balance: Balance = { frames: new Map(), joins: new Map(), closes: new Map(), branchesOf: new Map() };
  const { frames, joins } = balance;
  const outFrames = (parent: string, child: string): Frame[] => {
    const base = frames.get(parent)!;
    const step = byName.get(parent)!;
    if (step.foreach) {
      return [...base, { split: parent, kind: 'foreach', branch: child }];
    }
    // One case of a switch runs: the paths after it stay in the frames it is in.
    if (step.switch !== undefined) {
      return base;
    }
    if (next.get(parent)!.length >= 2) {
      return [...base, { split: parent, kind: 'split', branch: child }];
    }
    return base;
  };
  const forwardNext = new Map(steps.map((s) => [s.name, forwardNextOf(declared, loops, s.name)]));
  const forwardParents = new Map(steps.map((s) => [s.name, forwardParentsOf(declared, loops, s.name)]));
  const stages: GraphStages = { declared, loops, balance };
  for (const name of topologicalOrder(
    steps.map((s) => s.name),
    forwardNext,
    forwardParents,
  )) {
    if (balance.broken) {
      break;
    }
    const step = byName.get(name)!;
    const from = forwardParents.get(name)!;
    if (name === entry.name) {
      frames.set(name, []);
      continue;
    }
    const paths = from.map((p) => ({ parent: p, frames: outFrames(p, name) }));
    // Parents on the same path (the cases of a switch) make a plain step; parents from different
    // branches make a join, as does code that reads `inputs`.
    const samePath = paths.every((p) => sameFrames(p.frames, paths[0].frames));
    joins.set(name, !samePath || readsInputs(step));
    if (name === endName && isJoin(stages, name)) {
      balance.broken = { kind: 'end-is-join', step, parents: from };
      frames.set(name, []);
      continue;
    }
    frames.set(name, isJoin(stages, name) ? closeJoin(declared, balance, step, paths) : paths[0].frames);
    const open = frames.get(name)!;
    if (name === endName && open.length > 0) {
      balance.broken = { kind: 'split-not-joined', step, open: open[open.length - 1] };
    }
  }
  return balance;
}

/** The frames after a join: its paths' frames without the innermost one it closes. */
function closeJoin(declared: DeclaredGraph, balance: Balance, step: StepSource, paths: Path[]): Frame[] {
  const bare = paths.find((p) => p.frames.length === 0);
  if (bare) {
    balance.broken = { kind: 'join-without-split', step, paths, bare };
    return [];
  }
  const tops = paths.map((p) => p.frames[p.frames.length - 1]);
  const split = tops[0].split;
  const outer = paths[0].frames.slice(0, -1);
  if (tops.some((t) => t.split !== split)) {
    balance.broken = { kind: 'join-mixes-splits', step, paths, tops };
    return outer;
  }
  const expected = declared.next.get(split)!;
  const branches = tops.map((t) => t.branch);
  // A switch inside a branch gives that branch several possible last steps, of which one runs.
  const arityOk = expected.every((b) => branches.includes(b)) && branches.every((b) => expected.includes(b));
  if (!arityOk) {
    balance.broken = { kind: 'join-arity', step, paths, top: tops[0], expected };
    return outer;
  }
  if (tops[0].kind === 'foreach' && paths[0].parent === split) {
    balance.broken = { kind: 'empty-foreach', step, split };
  }
  balance.closes.set(step.name, split);
  if (tops[0].kind === 'split' && branches.length > expected.length) {
    balance.branchesOf.set(step.name, Object.fromEntries(paths.map((p, i) => [p.parent, branches[i]])));
  }
  return outer;
}

export function sameFrames(a: Frame[], b: Frame[]): boolean {
  return (
    a.length === b.length &&
    a.every((f, i) => f.split === b[i].split && f.kind === b[i].kind && f.branch === b[i].branch)
  );
}

/** The FlowGraph from whatever stages ran (an incomplete one when a rule stopped the build). */
export function assembleGraph(stages: GraphStages): FlowGraph {
  const { steps, next, parents, entry, endName } = stages.declared;
  const loops = stages.loops ?? new Map<string, string[]>();
  const balance = stages.balance;
  const nodes: Record<string, GraphNode> = {};
  for (const step of steps) {
    const successors = next.get(step.name)!;
    const join = isJoin(stages, step.name);
    const kind: NodeKind =
      step.name === endName
        ? 'end'
        : step.name === entry.name
          ? 'entry'
          : join
            ? 'join'
            : step.foreach
              ? 'foreach'
              : step.switch !== undefined && successors.length >= 2
                ? 'switch'
                : successors.length >= 2
                  ? 'split'
                  : 'linear';
    const stack = balance?.frames.get(step.name) ?? [];
    nodes[step.name] = {
      name: step.name,
      kind,
      next: successors,
      parents: parents.get(step.name)!,
      ...(step.foreach ? { foreach: step.foreach } : {}),
      ...(step.switch !== undefined ? { switch: step.switch } : {}),
      ...(loops.has(step.name) ? { loops: loops.get(step.name) } : {}),
      isJoin: join,
      ...(balance?.closes.has(step.name) ? { closes: balance.closes.get(step.name) } : {}),
      ...(balance?.branchesOf.has(step.name) ? { branches: balance.branchesOf.get(step.name) } : {}),
      foreachDepth: stack.filter((f) => f.kind === 'foreach').length,
      cell: step.cell,
      options: step.options,
    };
  }
  return { entry: entry.name, end: endName, order: steps.map((s) => s.name), nodes };
}
