// Builds the flow graph from the grouped notebook and checks its structure the way Metaflow's linter
// does (one entry, one end, everything reachable, cycles only through a switch, foreach has one
// successor, every split closed by a join of matching arity before the end, joins close the innermost
// open split).
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
import type { CellRef, Diagnostic, FlowGraph, GraphNode, NodeKind, NotebookFlow, StepSource } from './model';
import { editDistance } from './tags';

export interface GraphBuild {
  /** Present whenever the flow has at least one step; may be incomplete when there are errors. */
  graph?: FlowGraph;
  diagnostics: Diagnostic[];
}

interface Frame {
  split: string;
  kind: 'split' | 'foreach';
  /** The successor of the split this path went through. */
  branch: string;
}

const list = (names: string[]): string => names.map((n) => `'${n}'`).join(', ');

function cellText(cell: CellRef): string {
  return `cell ${cell.index}, id ${cell.id}`;
}

/** True when the step's code reads a free `inputs`: it asks to be a join. */
export function readsInputs(step: StepSource): boolean {
  const facts = step.code.map((chunk) => analyzeCode(chunk.source));
  return facts.some((f) => f.reads.has('inputs')) && !facts.some((f) => f.declaredAnywhere.has('inputs'));
}

export function buildGraph(flow: NotebookFlow): GraphBuild {
  const diagnostics: Diagnostic[] = [];
  const steps = flow.steps;
  if (steps.length === 0) {
    diagnostics.push({
      severity: 'error',
      rule: 'no-steps',
      message:
        "the notebook has no steps: tag the first code cell of each step 'step:NAME' (e.g. step:start ... step:end)",
    });
    return { diagnostics };
  }
  const byName = new Map(steps.map((s) => [s.name, s]));
  const error = (rule: string, step: StepSource, message: string, hint?: string): void => {
    diagnostics.push({
      severity: 'error',
      rule,
      message,
      cell: step.cell,
      step: step.name,
      ...(hint ? { hint } : {}),
    });
  };

  // ---- successors, entry and end
  const next = new Map<string, string[]>();
  const isSwitch = (name: string): boolean => byName.get(name)?.switch !== undefined;
  steps.forEach((step, i) => {
    const implicit = i + 1 < steps.length ? [steps[i + 1].name] : [];
    if (!step.next) {
      next.set(step.name, implicit);
      return;
    }
    const known = step.next.filter((target) => {
      if (byName.has(target)) {
        return true;
      }
      const guess = [...byName.keys()].find(
        (name) => Math.abs(name.length - target.length) <= 2 && editDistance(name, target) <= 2,
      );
      error(
        'unknown-next-target',
        step,
        `step '${step.name}' has next:${target}, but there is no step '${target}'`,
        guess ? `Did you mean '${guess}'?` : `Known steps: ${list([...byName.keys()])}.`,
      );
      return false;
    });
    // All targets unknown: fall back to notebook order so one typo gives one message.
    next.set(step.name, known.length > 0 ? known : implicit);
  });
  const entry = steps[0];
  const last = steps[steps.length - 1];
  const endName = last.next && (next.get(last.name) ?? []).length > 0 ? '' : last.name;
  if (endName === '') {
    error(
      'no-end',
      last,
      `the last step '${last.name}' has ${last.next!.map((t) => `next:${t}`).join(' ')}, so the flow has no end step`,
      'The last step in the notebook is the end: remove its next: tag, or add an end step after it.',
    );
  }
  const parents = new Map<string, string[]>(steps.map((s) => [s.name, []]));
  for (const step of steps) {
    for (const target of next.get(step.name)!) {
      parents.get(target)!.push(step.name);
    }
  }
  for (const parent of parents.get(entry.name)!) {
    error(
      'entry-has-parents',
      byName.get(parent)!,
      `step '${parent}' goes to '${entry.name}', the entry step: the first step of the notebook cannot have parents`,
    );
  }

  for (const step of steps) {
    if (step.switch === undefined) {
      continue;
    }
    const successors = next.get(step.name)!;
    if (step.foreach) {
      error(
        'switch-with-foreach',
        step,
        `step '${step.name}' has both switch:${step.switch} and foreach:${step.foreach}: a step either fans out over every element or picks one successor`,
        'Split it in two: the foreach step, then a step in the body (or after the join) with the switch.',
      );
    } else if (successors.length < 2) {
      error(
        'switch-successors',
        step,
        `step '${step.name}' has switch:${step.switch} but ${successors.length === 0 ? 'no successor' : `one successor ('${successors[0]}')`}: a switch picks one of two or more next: steps`,
        `Add a next:STEP tag for every case, e.g. next:${successors[0] ?? 'a'} next:other; self.${step.switch} names the one to run.`,
      );
    }
  }

  /** Back edges of loops (from → targets), found once the graph is known to be reachable. */
  const loops = new Map<string, string[]>();
  const forward = (name: string): string[] => {
    const back = loops.get(name);
    return back ? next.get(name)!.filter((t) => !back.includes(t)) : next.get(name)!;
  };
  const forwardParents = (name: string): string[] =>
    parents.get(name)!.filter((p) => !loops.get(p)?.includes(name));
  /** Decided while walking the graph; before that, two parents make a join as they would in a DAG. */
  const joins = new Map<string, boolean>();
  const isJoin = (name: string): boolean => {
    const decided = joins.get(name);
    if (decided !== undefined) {
      return decided;
    }
    const count = forwardParents(name).length;
    return count >= 2 || (count === 1 && readsInputs(byName.get(name)!));
  };
  const frames = new Map<string, Frame[]>();
  const closes = new Map<string, string>();
  const branchesOf = new Map<string, Record<string, string>>();
  const build = (): FlowGraph => {
    const nodes: Record<string, GraphNode> = {};
    for (const step of steps) {
      const successors = next.get(step.name)!;
      const join = isJoin(step.name);
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
      const stack = frames.get(step.name) ?? [];
      nodes[step.name] = {
        name: step.name,
        kind,
        next: successors,
        parents: parents.get(step.name)!,
        ...(step.foreach ? { foreach: step.foreach } : {}),
        ...(step.switch !== undefined ? { switch: step.switch } : {}),
        ...(loops.has(step.name) ? { loops: loops.get(step.name) } : {}),
        isJoin: join,
        ...(closes.has(step.name) ? { closes: closes.get(step.name) } : {}),
        ...(branchesOf.has(step.name) ? { branches: branchesOf.get(step.name) } : {}),
        foreachDepth: stack.filter((f) => f.kind === 'foreach').length,
        cell: step.cell,
        options: step.options,
      };
    }
    return { entry: entry.name, end: endName, order: steps.map((s) => s.name), nodes };
  };
  if (diagnostics.length > 0) {
    return { graph: build(), diagnostics };
  }

  // ---- reachability and cycles
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
  for (const step of steps) {
    if (!reached.has(step.name)) {
      error(
        'unreachable-step',
        step,
        `step '${step.name}' is never reached from the entry step '${entry.name}'`,
        `Name it in the next: tag of the step that should run before it.`,
      );
    }
  }
  // A cycle is a loop only if a switch on it can leave: drop the switch edges and nothing may cycle.
  const plainNext = new Map(steps.map((s) => [s.name, isSwitch(s.name) ? [] : next.get(s.name)!]));
  const cycle = findCycle(
    steps.map((s) => s.name),
    plainNext,
  );
  if (cycle) {
    error(
      'cycle',
      byName.get(cycle[cycle.length - 2])!,
      `steps form a cycle: ${cycle.join(' → ')}; a flow is acyclic unless the loop goes through a switch`,
      `To loop, make a step of the cycle a switch: tag it switch:ARTIFACT with one next: per case, one of which leaves the loop.`,
    );
  }
  if (diagnostics.length > 0) {
    return { graph: build(), diagnostics };
  }
  for (const [from, to] of backEdges(entry.name, next)) {
    loops.set(from, [...(loops.get(from) ?? []), to]);
  }
  // Every step must be able to finish the flow: a loop whose cases all stay inside it never ends.
  if (endName !== '') {
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
    if (stuck.length > 0) {
      const names = stuck.map((s) => s.name);
      error(
        'cannot-reach-end',
        stuck[0],
        names.length === 1
          ? `step '${names[0]}' can never reach the end step '${endName}': every path from it loops back without leaving`
          : `steps ${list(names)} can never reach the end step '${endName}': every path from them loops back without leaving`,
        'Give a switch in the loop a next: case that leads out of it, towards the end.',
      );
    }
  }
  if (diagnostics.length > 0) {
    return { graph: build(), diagnostics };
  }

  // ---- foreach fan-out and split/join balance, in topological order
  for (const step of steps) {
    const successors = next.get(step.name)!;
    if (step.foreach && successors.length !== 1) {
      error(
        'foreach-successors',
        step,
        successors.length === 0
          ? `step '${step.name}' has foreach:${step.foreach} but is the end step: a foreach needs one step to run per element`
          : `step '${step.name}' has foreach:${step.foreach} and ${successors.length} successors (${list(successors)}): a foreach runs exactly one step per element`,
      );
    }
  }
  if (diagnostics.length > 0) {
    return { graph: build(), diagnostics };
  }

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
  const forwardNext = new Map(steps.map((s) => [s.name, forward(s.name)]));
  const forwardParentsOf = new Map(steps.map((s) => [s.name, forwardParents(s.name)]));
  for (const name of topologicalOrder(
    steps.map((s) => s.name),
    forwardNext,
    forwardParentsOf,
  )) {
    // One unbalanced split derails every join after it: report the first, not its echoes.
    if (diagnostics.length > 0) {
      break;
    }
    const step = byName.get(name)!;
    const from = forwardParentsOf.get(name)!;
    if (name === entry.name) {
      frames.set(name, []);
      continue;
    }
    const paths = from.map((p) => ({ parent: p, frames: outFrames(p, name) }));
    // Parents on the same path (the cases of a switch) make a plain step; parents from different
    // branches make a join, as does code that reads `inputs`.
    const samePath = paths.every((p) => sameFrames(p.frames, paths[0].frames));
    joins.set(name, !samePath || readsInputs(step));
    if (name === endName && isJoin(name)) {
      error(
        'end-is-join',
        step,
        from.length >= 2
          ? `the end step '${name}' has ${from.length} parents (${list(from)}): the end step cannot be a join`
          : `the end step '${name}' reads 'inputs', which makes it a join: the end step cannot be a join`,
        'Add a join step before the end step.',
      );
      frames.set(name, []);
      continue;
    }
    if (!isJoin(name)) {
      frames.set(name, paths[0].frames);
    } else {
      frames.set(name, checkJoin(step, paths));
    }
    if (name === endName) {
      const open = frames.get(name)!;
      if (open.length > 0) {
        const innermost = open[open.length - 1];
        const split = byName.get(innermost.split)!;
        error(
          'split-not-joined',
          step,
          `the end step '${name}' is reached while the ${innermost.kind} at step '${split.name}' (${cellText(split.cell)}) is still open`,
          innermost.kind === 'split'
            ? `Add a join step whose parents are the branches ${list(next.get(split.name)!)} before the end.`
            : `Add a join step (one that reads 'inputs') after the foreach body, before the end.`,
        );
      }
    }
  }

  // A loop goes back within the split or foreach element it is in, and not into a join (which waits
  // for every branch, not for one task coming round again).
  for (const [from, targets] of loops) {
    if (diagnostics.length > 0) {
      break;
    }
    for (const target of targets) {
      if (target === entry.name || !frames.has(from) || !frames.has(target)) {
        continue;
      }
      const inner = frames.get(from)!;
      const outer = frames.get(target)!;
      if (isJoin(target)) {
        error(
          'loop-into-join',
          byName.get(from)!,
          `step '${from}' loops back to '${target}', a join: a loop cannot go back into a join, which waits for one task from every branch`,
          `Loop back to the step that opens the split, or to a step after the join.`,
        );
      } else if (!sameFrames(inner, outer)) {
        const open = inner.length > outer.length ? inner[inner.length - 1] : outer[outer.length - 1];
        error(
          'loop-crosses-split',
          byName.get(from)!,
          `step '${from}' loops back to '${target}' across the ${open.kind} at step '${open.split}': a loop stays inside one branch (or one foreach element), or around the whole ${open.kind} and its join`,
        );
      }
    }
  }

  function checkJoin(step: StepSource, paths: { parent: string; frames: Frame[] }[]): Frame[] {
    const name = step.name;
    const bare = paths.find((p) => p.frames.length === 0);
    if (bare) {
      error(
        'join-without-split',
        step,
        paths.length === 1
          ? `step '${name}' reads 'inputs', which makes it a join, but no foreach is open before it`
          : `step '${name}' is a join (parents ${list(paths.map((p) => p.parent))}), but its parent '${bare.parent}' is not inside any split`,
        paths.length === 1
          ? "Read artifacts through 'self' here, or fan out with foreach:ARTIFACT before it."
          : undefined,
      );
      return [];
    }
    const tops = paths.map((p) => p.frames[p.frames.length - 1]);
    const split = tops[0].split;
    const outer = paths[0].frames.slice(0, -1);
    if (tops.some((t) => t.split !== split)) {
      const described = paths.map((p, i) => `'${p.parent}' (inside '${tops[i].split}')`).join(', ');
      error(
        'join-mixes-splits',
        step,
        `step '${name}' joins paths from different splits: ${described}; a join closes the innermost open split`,
        'Join the inner split first, then join the outer one.',
      );
      return outer;
    }
    const expected = next.get(split)!;
    const branches = tops.map((t) => t.branch);
    // A switch inside a branch gives that branch several possible last steps, of which one runs.
    const arityOk =
      expected.every((b) => branches.includes(b)) && branches.every((b) => expected.includes(b));
    if (!arityOk) {
      const kind = tops[0].kind === 'foreach' ? `foreach at '${split}'` : `split at '${split}'`;
      const opened = tops[0].kind === 'foreach' ? 1 : expected.length;
      error(
        'join-arity',
        step,
        `step '${name}' joins ${paths.length} path${paths.length === 1 ? '' : 's'} (from ${list(paths.map((p) => p.parent))}), but the ${kind} opened ${opened} (${list(expected)}); a join takes exactly one path from each branch`,
      );
      return outer;
    }
    if (tops[0].kind === 'foreach' && paths[0].parent === split) {
      error(
        'empty-foreach',
        step,
        `the foreach at '${split}' goes straight to its join '${name}': there is no step to run once per element`,
        `Add a step between '${split}' and '${name}'.`,
      );
    }
    closes.set(name, split);
    if (tops[0].kind === 'split' && branches.length > expected.length) {
      branchesOf.set(name, Object.fromEntries(paths.map((p, i) => [p.parent, branches[i]])));
    }
    return outer;
  }

  return { graph: build(), diagnostics };
}

function sameFrames(a: Frame[], b: Frame[]): boolean {
  return (
    a.length === b.length &&
    a.every((f, i) => f.split === b[i].split && f.kind === b[i].kind && f.branch === b[i].branch)
  );
}

/** Depth-first walk from `start` (successors in order); calls `onBack` for every edge to a step still
 * on the walk's path. Iterative: flows may have thousands of steps. */
function walk(
  start: string,
  next: Map<string, string[]>,
  state: Map<string, 'open' | 'done'>,
  onBack: (path: string[], target: string) => boolean | void,
): void {
  if (state.has(start)) {
    return;
  }
  state.set(start, 'open');
  const path: { name: string; child: number }[] = [{ name: start, child: 0 }];
  while (path.length > 0) {
    const top = path[path.length - 1];
    const targets = next.get(top.name)!;
    if (top.child >= targets.length) {
      state.set(top.name, 'done');
      path.pop();
      continue;
    }
    const target = targets[top.child++];
    if (state.get(target) === 'open') {
      if (
        onBack(
          path.map((p) => p.name),
          target,
        )
      ) {
        return;
      }
    } else if (!state.has(target)) {
      state.set(target, 'open');
      path.push({ name: target, child: 0 });
    }
  }
}

/** The first cycle found from any of `roots` (in order), as a path that ends where it begins. */
function findCycle(roots: string[], next: Map<string, string[]>): string[] | undefined {
  const state = new Map<string, 'open' | 'done'>();
  let cycle: string[] | undefined;
  for (const root of roots) {
    walk(root, next, state, (names, target) => {
      cycle = [...names.slice(names.indexOf(target)), target];
      return true;
    });
    if (cycle) {
      return cycle;
    }
  }
  return undefined;
}

/** The edges that go back to a step on the current path of a depth-first walk from the entry:
 * without them the graph is acyclic. */
export function backEdges(entry: string, next: Map<string, string[]>): [string, string][] {
  const edges: [string, string][] = [];
  walk(entry, next, new Map(), (names, target) => {
    edges.push([names[names.length - 1], target]);
  });
  return edges;
}

/** Kahn's algorithm, ties broken by notebook order so diagnostics come out in a stable order. */
export function topologicalOrder(
  order: string[],
  next: Map<string, string[]>,
  parents: Map<string, string[]>,
): string[] {
  const position = new Map(order.map((n, i) => [n, i]));
  const remaining = new Map(order.map((n) => [n, parents.get(n)!.length]));
  const result: string[] = [];
  const ready = order.filter((n) => remaining.get(n) === 0);
  while (ready.length > 0) {
    if (ready.length > 1) {
      ready.sort((a, b) => position.get(a)! - position.get(b)!);
    }
    const name = ready.shift()!;
    result.push(name);
    for (const target of next.get(name)!) {
      remaining.set(target, remaining.get(target)! - 1);
      if (remaining.get(target) === 0) {
        ready.push(target);
      }
    }
  }
  return result;
}
