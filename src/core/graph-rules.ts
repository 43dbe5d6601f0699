// The structural rules of a flow graph, after Metaflow's linter: each rule is one function that says
// what it checks and its message, and the rules run in phases, each phase over the stages of the build
// it needs (graph-shape.ts). A phase runs only when the phases before it found nothing: an unknown
// next: target or an unreachable step would otherwise be reported again by every rule after it.
import { findCycle } from './graph-order';
import { type Frame, type GraphStages, isJoin, sameFrames } from './graph-shape';
import type { CellRef, Diagnostic, StepSource } from './model';
import type { GraphRuleId } from './rule-ids';
import { editDistance } from './tags';

const list = (names: string[]): string => names.map((n) => `'${n}'`).join(', ');

function cellText(cell: CellRef): string {
  return `cell ${cell.index}, id ${cell.id}`;
}

function error(rule: GraphRuleId, step: StepSource, message: string, hint?: string): Diagnostic {
  return { severity: 'error', rule, message, cell: step.cell, step: step.name, ...(hint ? { hint } : {}) };
}

/** A rule over the whole graph. */
type GraphRule = (stages: GraphStages) => Diagnostic[];
/** A rule over one step; a phase runs a step's checks in order and keeps the first that fires. */
type StepCheck = (step: StepSource, stages: GraphStages) => Diagnostic | undefined;
/** A rule over one back edge of a loop. */
type LoopEdgeCheck = (from: string, target: string, stages: GraphStages) => Diagnostic | undefined;

// ---------------------------------------------------------------- the flow has steps

export function noSteps(): Diagnostic {
  return {
    severity: 'error',
    rule: 'no-steps',
    message:
      "the notebook has no steps: tag the first code cell of each step 'step:NAME' (e.g. step:start ... step:end)",
  };
}

// ---------------------------------------------------------------- phase 1: as declared

/** next: names a step that exists. */
const unknownNextTarget: GraphRule = ({ declared }) =>
  declared.unknownTargets.map(({ step, target }) => {
    const names = [...declared.byName.keys()];
    const guess = names.find(
      (name) => Math.abs(name.length - target.length) <= 2 && editDistance(name, target) <= 2,
    );
    return error(
      'unknown-next-target',
      step,
      `step '${step.name}' has next:${target}, but there is no step '${target}'`,
      guess ? `Did you mean '${guess}'?` : `Known steps: ${list(names)}.`,
    );
  });

/** The last step of the notebook is the end: it goes nowhere. */
const noEnd: GraphRule = ({ declared }) => {
  const last = declared.steps[declared.steps.length - 1];
  if (declared.endName !== '') {
    return [];
  }
  return [
    error(
      'no-end',
      last,
      `the last step '${last.name}' has ${last.next!.map((t) => `next:${t}`).join(' ')}, so the flow has no end step`,
      'The last step in the notebook is the end: remove its next: tag, or add an end step after it.',
    ),
  ];
};

/** Nothing goes to the first step. */
const entryHasParents: GraphRule = ({ declared }) =>
  declared.parents
    .get(declared.entry.name)!
    .map((parent) =>
      error(
        'entry-has-parents',
        declared.byName.get(parent)!,
        `step '${parent}' goes to '${declared.entry.name}', the entry step: the first step of the notebook cannot have parents`,
      ),
    );

/** A step fans out over every element or picks one successor, not both. */
const switchWithForeach: StepCheck = (step) =>
  step.switch !== undefined && step.foreach
    ? error(
        'switch-with-foreach',
        step,
        `step '${step.name}' has both switch:${step.switch} and foreach:${step.foreach}: a step either fans out over every element or picks one successor`,
        'Split it in two: the foreach step, then a step in the body (or after the join) with the switch.',
      )
    : undefined;

/** A switch has two or more successors to pick from. */
const switchSuccessors: StepCheck = (step, { declared }) => {
  const successors = declared.next.get(step.name)!;
  if (step.switch === undefined || successors.length >= 2) {
    return undefined;
  }
  return error(
    'switch-successors',
    step,
    `step '${step.name}' has switch:${step.switch} but ${successors.length === 0 ? 'no successor' : `one successor ('${successors[0]}')`}: a switch picks one of two or more next: steps`,
    `Add a next:STEP tag for every case, e.g. next:${successors[0] ?? 'a'} next:other; self.${step.switch} names the one to run.`,
  );
};

// ---------------------------------------------------------------- phase 2: reachable, cycles end

/** Every step is reached from the entry. */
const unreachableStep: GraphRule = ({ declared }) => {
  const { entry, next, steps } = declared;
  const reached = new Set<string>([entry.name]);
  const queue = [entry.name];
  while (queue.length > 0) {
    for (const target of next.get(queue.shift()!)!) {
      if (!reached.has(target)) {
        reached.add(target);
        queue.push(target);
      }
    }
  }
  return steps
    .filter((step) => !reached.has(step.name))
    .map((step) =>
      error(
        'unreachable-step',
        step,
        `step '${step.name}' is never reached from the entry step '${entry.name}'`,
        `Name it in the next: tag of the step that should run before it.`,
      ),
    );
};

/** A cycle is a loop only if a switch on it can leave: drop the switch edges and nothing may cycle. */
const cycle: GraphRule = ({ declared }) => {
  const { steps, next, byName } = declared;
  const plainNext = new Map(
    steps.map((s) => [s.name, s.switch !== undefined ? [] : next.get(s.name)!] as const),
  );
  const found = findCycle(
    steps.map((s) => s.name),
    plainNext,
  );
  if (!found) {
    return [];
  }
  return [
    error(
      'cycle',
      byName.get(found[found.length - 2])!,
      `steps form a cycle: ${found.join(' → ')}; a flow is acyclic unless the loop goes through a switch`,
      `To loop, make a step of the cycle a switch: tag it switch:ARTIFACT with one next: per case, one of which leaves the loop.`,
    ),
  ];
};

// ---------------------------------------------------------------- phase 3: loops can leave

/** Every step can finish the flow: a loop whose cases all stay inside it never ends. */
const cannotReachEnd: GraphRule = ({ declared }) => {
  const { endName, parents, steps } = declared;
  if (endName === '') {
    return [];
  }
  const finishes = new Set<string>([endName]);
  const back = [endName];
  while (back.length > 0) {
    for (const parent of parents.get(back.shift()!)!) {
      if (!finishes.has(parent)) {
        finishes.add(parent);
        back.push(parent);
      }
    }
  }
  // One message for the whole trap: its steps are stuck together.
  const stuck = steps.filter((s) => !finishes.has(s.name));
  if (stuck.length === 0) {
    return [];
  }
  const names = stuck.map((s) => s.name);
  return [
    error(
      'cannot-reach-end',
      stuck[0],
      names.length === 1
        ? `step '${names[0]}' can never reach the end step '${endName}': every path from it loops back without leaving`
        : `steps ${list(names)} can never reach the end step '${endName}': every path from them loops back without leaving`,
      'Give a switch in the loop a next: case that leads out of it, towards the end.',
    ),
  ];
};

// ---------------------------------------------------------------- phase 4: foreach fan-out

/** A foreach runs exactly one step per element. */
const foreachSuccessors: StepCheck = (step, { declared }) => {
  const successors = declared.next.get(step.name)!;
  if (!step.foreach || successors.length === 1) {
    return undefined;
  }
  return error(
    'foreach-successors',
    step,
    successors.length === 0
      ? `step '${step.name}' has foreach:${step.foreach} but is the end step: a foreach needs one step to run per element`
      : `step '${step.name}' has foreach:${step.foreach} and ${successors.length} successors (${list(successors)}): a foreach runs exactly one step per element`,
  );
};

// ---------------------------------------------------------------- phase 5: split/join balance
// The walk of graph-shape.ts stops where the balance first breaks; each rule says one way it breaks.

/** The end step is no join. */
const endIsJoin: GraphRule = ({ balance }) => {
  const broken = balance?.broken;
  if (broken?.kind !== 'end-is-join') {
    return [];
  }
  const { step, parents } = broken;
  return [
    error(
      'end-is-join',
      step,
      parents.length >= 2
        ? `the end step '${step.name}' has ${parents.length} parents (${list(parents)}): the end step cannot be a join`
        : `the end step '${step.name}' reads 'inputs', which makes it a join: the end step cannot be a join`,
      'Add a join step before the end step.',
    ),
  ];
};

/** A join closes a split or foreach that is open. */
const joinWithoutSplit: GraphRule = ({ balance }) => {
  const broken = balance?.broken;
  if (broken?.kind !== 'join-without-split') {
    return [];
  }
  const { step, paths, bare } = broken;
  return [
    error(
      'join-without-split',
      step,
      paths.length === 1
        ? `step '${step.name}' reads 'inputs', which makes it a join, but no foreach is open before it`
        : `step '${step.name}' is a join (parents ${list(paths.map((p) => p.parent))}), but its parent '${bare.parent}' is not inside any split`,
      paths.length === 1
        ? "Read artifacts through 'self' here, or fan out with foreach:ARTIFACT before it."
        : undefined,
    ),
  ];
};

/** A join closes the innermost open split only. */
const joinMixesSplits: GraphRule = ({ balance }) => {
  const broken = balance?.broken;
  if (broken?.kind !== 'join-mixes-splits') {
    return [];
  }
  const { step, paths, tops } = broken;
  const described = paths.map((p, i) => `'${p.parent}' (inside '${tops[i].split}')`).join(', ');
  return [
    error(
      'join-mixes-splits',
      step,
      `step '${step.name}' joins paths from different splits: ${described}; a join closes the innermost open split`,
      'Join the inner split first, then join the outer one.',
    ),
  ];
};

/** A join takes one path from each branch of its split. */
const joinArity: GraphRule = ({ balance }) => {
  const broken = balance?.broken;
  if (broken?.kind !== 'join-arity') {
    return [];
  }
  const { step, paths, top, expected } = broken;
  const kind = top.kind === 'foreach' ? `foreach at '${top.split}'` : `split at '${top.split}'`;
  const opened = top.kind === 'foreach' ? 1 : expected.length;
  return [
    error(
      'join-arity',
      step,
      `step '${step.name}' joins ${paths.length} path${paths.length === 1 ? '' : 's'} (from ${list(paths.map((p) => p.parent))}), but the ${kind} opened ${opened} (${list(expected)}); a join takes exactly one path from each branch`,
    ),
  ];
};

/** A foreach has a step between it and its join. */
const emptyForeach: GraphRule = ({ balance }) => {
  const broken = balance?.broken;
  if (broken?.kind !== 'empty-foreach') {
    return [];
  }
  const { step, split } = broken;
  return [
    error(
      'empty-foreach',
      step,
      `the foreach at '${split}' goes straight to its join '${step.name}': there is no step to run once per element`,
      `Add a step between '${split}' and '${step.name}'.`,
    ),
  ];
};

/** Every split and foreach is joined before the end. */
const splitNotJoined: GraphRule = ({ declared, balance }) => {
  const broken = balance?.broken;
  if (broken?.kind !== 'split-not-joined') {
    return [];
  }
  const { step, open } = broken;
  const split = declared.byName.get(open.split)!;
  return [
    error(
      'split-not-joined',
      step,
      `the end step '${step.name}' is reached while the ${open.kind} at step '${split.name}' (${cellText(split.cell)}) is still open`,
      open.kind === 'split'
        ? `Add a join step whose parents are the branches ${list(declared.next.get(split.name)!)} before the end.`
        : `Add a join step (one that reads 'inputs') after the foreach body, before the end.`,
    ),
  ];
};

// ---------------------------------------------------------------- phase 6: where loops go back to
// A loop goes back within the split or foreach element it is in, and not into a join (which waits
// for every branch, not for one task coming round again).

/** A loop does not go back into a join. */
const loopIntoJoin: LoopEdgeCheck = (from, target, stages) =>
  isJoin(stages, target)
    ? error(
        'loop-into-join',
        stages.declared.byName.get(from)!,
        `step '${from}' loops back to '${target}', a join: a loop cannot go back into a join, which waits for one task from every branch`,
        `Loop back to the step that opens the split, or to a step after the join.`,
      )
    : undefined;

/** A loop stays inside one branch or foreach element, or goes round the whole split and its join. */
const loopCrossesSplit: LoopEdgeCheck = (from, target, stages) => {
  const frames = stages.balance!.frames;
  const inner = frames.get(from)!;
  const outer = frames.get(target)!;
  if (sameFrames(inner, outer)) {
    return undefined;
  }
  const open: Frame = inner.length > outer.length ? inner[inner.length - 1] : outer[outer.length - 1];
  return error(
    'loop-crosses-split',
    stages.declared.byName.get(from)!,
    `step '${from}' loops back to '${target}' across the ${open.kind} at step '${open.split}': a loop stays inside one branch (or one foreach element), or around the whole ${open.kind} and its join`,
  );
};

// ---------------------------------------------------------------- phases

/** Runs each step's checks in notebook order; per step, the first check that fires. */
function eachStep(...checks: StepCheck[]): GraphRule {
  return (stages) =>
    stages.declared.steps.flatMap((step) => {
      for (const check of checks) {
        const found = check(step, stages);
        if (found) {
          return [found];
        }
      }
      return [];
    });
}

/** Runs the checks on every back edge, a loop's edges together, and stops after the first loop that
 * fails (per edge, the first check that fires). */
function eachLoop(...checks: LoopEdgeCheck[]): GraphRule {
  return (stages) => {
    const { entry } = stages.declared;
    const frames = stages.balance!.frames;
    for (const [from, targets] of stages.loops!) {
      const found: Diagnostic[] = [];
      for (const target of targets) {
        if (target === entry.name || !frames.has(from) || !frames.has(target)) {
          continue;
        }
        const first = checks.map((check) => check(from, target, stages)).find((d) => d !== undefined);
        if (first) {
          found.push(first);
        }
      }
      if (found.length > 0) {
        return found;
      }
    }
    return [];
  };
}

/** The build stage a phase needs before it runs (graph.ts builds it). */
export type GraphStage = 'declared' | 'loops' | 'balance';

export interface GraphPhase {
  needs: GraphStage;
  rules: GraphRule[];
}

/** In order; a phase runs only when every phase before it found nothing. */
export const GRAPH_PHASES: GraphPhase[] = [
  {
    needs: 'declared',
    rules: [unknownNextTarget, noEnd, entryHasParents, eachStep(switchWithForeach, switchSuccessors)],
  },
  { needs: 'declared', rules: [unreachableStep, cycle] },
  { needs: 'loops', rules: [cannotReachEnd] },
  { needs: 'loops', rules: [eachStep(foreachSuccessors)] },
  {
    needs: 'balance',
    rules: [endIsJoin, joinWithoutSplit, joinMixesSplits, joinArity, emptyForeach, splitNotJoined],
  },
  { needs: 'balance', rules: [eachLoop(loopIntoJoin, loopCrossesSplit)] },
];
