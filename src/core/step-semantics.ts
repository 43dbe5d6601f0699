// What a step starts with, decided once for every place that runs steps: the local scheduler,
// `cellflow step` (the unit an engine schedules), the engines' job and manifest builders, and the
// kernel's interactive step context. Pure: graph facts and plain values in, plain values out; the
// frame and artifact types are the caller's, so the runtime's records and the kernel's results share
// the rules without sharing a shape.
import type { FlowGraph } from './model';

type GraphNodes = FlowGraph['nodes'];

// ---------------------------------------------------------------- foreach position

/**
 * The foreach split a join closes, or undefined when `step` is not the join of a foreach (a plain
 * step, or the join of a `next:` split). Such a join gathers one task per element and its tasks
 * leave that foreach.
 */
export function foreachClosedBy(nodes: GraphNodes, step: string): string | undefined {
  const node = nodes[step];
  if (!node?.isJoin || node.closes === undefined) {
    return undefined;
  }
  return nodes[node.closes]?.foreach !== undefined ? node.closes : undefined;
}

/** True when `step` is the join that closes a foreach. */
export function closesForeach(nodes: GraphNodes, step: string): boolean {
  return foreachClosedBy(nodes, step) !== undefined;
}

/**
 * How a task's foreach stack follows from its parent task's: `enter` a foreach body (the parent is
 * the foreach split; one frame is pushed per element), `leave` it (the task is the join that closes
 * the innermost foreach; its frame is popped), or `stay` at the parent's position.
 */
export type ForeachMove = 'enter' | 'leave' | 'stay';

/** The move from what is known of the two steps (the kernel may know them from tags alone). */
export function foreachMoveOf(facts: { parentIsForeach: boolean; closesForeach: boolean }): ForeachMove {
  if (facts.parentIsForeach) {
    return 'enter';
  }
  return facts.closesForeach ? 'leave' : 'stay';
}

/** The move from a task of `parentStep` to a task of `step`, in the flow's graph. */
export function foreachMove(nodes: GraphNodes, parentStep: string, step: string): ForeachMove {
  return foreachMoveOf({
    parentIsForeach: nodes[parentStep]?.foreach !== undefined,
    closesForeach: closesForeach(nodes, step),
  });
}

/**
 * The foreach stack (outermost frame first) a task starts with, from its parent task's. `element`
 * is the frame of the element the task runs on, used only when it enters a foreach body. The
 * parent's stack is returned as it is when the task stays: stacks are never mutated.
 */
export function childForeachStack<F>(parentStack: F[], move: ForeachMove, element?: F): F[] {
  switch (move) {
    case 'enter':
      if (element === undefined) {
        throw new Error('a task that enters a foreach body needs the frame of its element');
      }
      return [...parentStack, element];
    case 'leave':
      return parentStack.slice(0, -1);
    case 'stay':
      return parentStack;
  }
}

/** The frame of the innermost foreach around a task, if any: its `self.input` and `self.index`. */
export function innermostFrame<F>(stack: readonly F[]): F | undefined {
  return stack[stack.length - 1];
}

/** `self.input` and `self.index` of a task in a foreach body (undefined outside any foreach). */
export function foreachSelf(
  stack: readonly { index: number; input: unknown }[],
): { input: unknown; index: number } | undefined {
  const frame = innermostFrame(stack);
  return frame ? { input: frame.input, index: frame.index } : undefined;
}

/**
 * The element index a task is started with (`cellflow step --split-index`): its innermost frame's,
 * when its parent is the split that pushed that frame (the first step of a foreach body); none for
 * any other task, whose position follows from its parents'.
 */
export function splitIndexOf(
  stack: readonly { step: string; index: number }[],
  parentStep: string | undefined,
): number | undefined {
  const frame = innermostFrame(stack);
  return frame && parentStep === frame.step ? frame.index : undefined;
}

/**
 * Where a foreach split's elements are stored: beside the artifact when it was not an array (a
 * string, Map, Set, table: `foreachValues`), else the artifact itself.
 */
export function foreachElementsRef<R>(
  split: { artifacts: Record<string, R>; foreachValues?: R },
  artifact: string | undefined,
): R | undefined {
  return split.foreachValues ?? (artifact !== undefined ? split.artifacts[artifact] : undefined);
}

// ---------------------------------------------------------------- starting artifacts

/**
 * The parent task whose artifacts a task inherits: a join inherits from none (its parents come in
 * through `inputs` and `mergeArtifacts`), the entry step has none, any other step has exactly one.
 */
export function inheritedParent<T>(isJoin: boolean, parents: readonly T[]): T | undefined {
  return isJoin ? undefined : parents[0];
}

/**
 * What `self` holds when a task starts, as an artifact map (name → stored reference): its parent's
 * artifacts, or the parameters alone for the entry step and for a join. A fresh map: the task's
 * changes never reach the parent's.
 */
export function startingArtifacts<R>(start: {
  isJoin: boolean;
  parameters: Record<string, R>;
  /** The inherited parent's artifacts (see inheritedParent); ignored for a join. */
  parent: Record<string, R> | undefined;
}): Record<string, R> {
  const from = start.isJoin ? undefined : start.parent;
  return { ...(from ?? start.parameters) };
}
