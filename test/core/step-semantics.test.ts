// The step semantics the scheduler, `cellflow step`, the engines and the kernel share
// (src/core/step-semantics.ts): the foreach stack a task gets from its parent's, which joins close a
// foreach, and what `self` starts with. The graphs come from notebooks, as every caller's do.
import { analyzeNotebook } from '../../src/core';
import type { FlowGraph } from '../../src/core/model';
import {
  childForeachStack,
  closesForeach,
  foreachClosedBy,
  foreachElementsRef,
  foreachMove,
  foreachMoveOf,
  foreachSelf,
  inheritedParent,
  innermostFrame,
  splitIndexOf,
  startingArtifacts,
} from '../../src/core/step-semantics';
import { notebook, type Cell } from './nb';

function graphOf(cells: Cell[]): FlowGraph {
  const analysis = analyzeNotebook(notebook(cells), 'g.ipynb');
  expect(analysis.diagnostics).toEqual([]);
  return analysis.graph!;
}

interface Frame {
  step: string;
  index: number;
  count: number;
}

/** The stack each step of `path` starts with, taking element `index` of every foreach entered. */
function stacksAlong(graph: FlowGraph, path: string[], index = 1, count = 3): Record<string, Frame[]> {
  const stacks: Record<string, Frame[]> = { [path[0]]: [] };
  for (let i = 1; i < path.length; i++) {
    const [parent, step] = [path[i - 1], path[i]];
    const move = foreachMove(graph.nodes, parent, step);
    const element = move === 'enter' ? { step: parent, index, count } : undefined;
    stacks[step] = childForeachStack(stacks[parent], move, element);
  }
  return stacks;
}

const params = { alpha: { sha256: 'p' } };
const parentArtifacts = { alpha: { sha256: 'p' }, model: { sha256: 'm' } };

describe('linear', () => {
  const g = graphOf([
    [['step:start'], 'self.x = 1;'],
    [['step:a'], 'self.y = 2;'],
    [['step:end'], ''],
  ]);

  test('every task stays at its parent’s position (no foreach)', () => {
    expect(foreachMove(g.nodes, 'start', 'a')).toBe('stay');
    expect(foreachMove(g.nodes, 'a', 'end')).toBe('stay');
    expect(stacksAlong(g, ['start', 'a', 'end'])).toEqual({ start: [], a: [], end: [] });
    expect(g.order.filter((s) => closesForeach(g.nodes, s))).toEqual([]);
  });

  test('the entry step starts from the parameters, the others from their one parent', () => {
    expect(inheritedParent(g.nodes.start.isJoin, [])).toBeUndefined();
    expect(startingArtifacts({ isJoin: false, parameters: params, parent: undefined })).toEqual(params);
    expect(inheritedParent(g.nodes.a.isJoin, ['start/1'])).toBe('start/1');
    const started = startingArtifacts({ isJoin: false, parameters: params, parent: parentArtifacts });
    expect(started).toEqual(parentArtifacts);
    // A fresh map: what the task sets never reaches its parent's.
    expect(started).not.toBe(parentArtifacts);
    expect(startingArtifacts({ isJoin: false, parameters: params, parent: undefined })).not.toBe(params);
  });

  test('outside a foreach there is no self.input and no --split-index', () => {
    expect(foreachSelf([])).toBeUndefined();
    expect(innermostFrame([])).toBeUndefined();
    expect(splitIndexOf([], 'start')).toBeUndefined();
  });
});

describe('branch and join', () => {
  const g = graphOf([
    [['step:start', 'next:a', 'next:b'], ''],
    [['step:a', 'next:join'], ''],
    [['step:b', 'next:join'], ''],
    [['step:join'], 'mergeArtifacts(inputs);'],
    [['step:end'], ''],
  ]);

  test('the join of a next: split closes no foreach: every task keeps its position', () => {
    expect(g.nodes.join.closes).toBe('start');
    expect(foreachClosedBy(g.nodes, 'join')).toBeUndefined();
    expect(closesForeach(g.nodes, 'join')).toBe(false);
    expect(foreachMove(g.nodes, 'a', 'join')).toBe('stay');
    expect(stacksAlong(g, ['start', 'b', 'join', 'end']).join).toEqual([]);
  });

  test('a join inherits no parent: it starts from the parameters, its parents come through inputs', () => {
    expect(inheritedParent(g.nodes.join.isJoin, ['a/2', 'b/3'])).toBeUndefined();
    expect(startingArtifacts({ isJoin: true, parameters: params, parent: parentArtifacts })).toEqual(params);
  });
});

describe('foreach and join', () => {
  const g = graphOf([
    [['step:start', 'foreach:xs'], 'self.xs = [1, 2, 3];'],
    [['step:body'], 'self.y = self.input * 2;'],
    [['step:join'], 'self.ys = inputs.map((i) => i.y);'],
    [['step:end'], ''],
  ]);

  test('the body enters the foreach (one frame per element); the join leaves it', () => {
    expect(foreachMove(g.nodes, 'start', 'body')).toBe('enter');
    expect(foreachMove(g.nodes, 'body', 'join')).toBe('leave');
    expect(foreachMove(g.nodes, 'join', 'end')).toBe('stay');
    expect(foreachClosedBy(g.nodes, 'join')).toBe('start');
    expect(closesForeach(g.nodes, 'join')).toBe(true);
    expect(stacksAlong(g, ['start', 'body', 'join', 'end'])).toEqual({
      start: [],
      body: [{ step: 'start', index: 1, count: 3 }],
      join: [],
      end: [],
    });
  });

  test('the body’s self.input and self.index are its element’s; --split-index is given to it alone', () => {
    const body = [{ step: 'start', index: 1, count: 3, input: 2 }];
    expect(foreachSelf(body)).toEqual({ input: 2, index: 1 });
    expect(splitIndexOf(body, 'start')).toBe(1);
    // A later step of the same body follows from its parent, not from an index.
    expect(splitIndexOf(body, 'body')).toBeUndefined();
  });

  test('entering needs the element’s frame; staying hands the parent’s stack on as it is', () => {
    expect(() => childForeachStack([], 'enter')).toThrow('needs the frame of its element');
    const stack = [{ step: 'start', index: 0, count: 3 }];
    expect(childForeachStack(stack, 'stay')).toBe(stack);
    expect(childForeachStack(stack, 'leave')).toEqual([]);
    expect(stack).toHaveLength(1);
  });

  test('the elements come from foreachValues when the split stored them beside a non-array', () => {
    const split = { artifacts: { xs: 'xs-ref' }, foreachValues: 'values-ref' };
    expect(foreachElementsRef(split, 'xs')).toBe('values-ref');
    expect(foreachElementsRef({ artifacts: { xs: 'xs-ref' } }, 'xs')).toBe('xs-ref');
    expect(foreachElementsRef({ artifacts: { xs: 'xs-ref' } }, undefined)).toBeUndefined();
  });
});

describe('nested foreach', () => {
  const g = graphOf([
    [['step:start', 'foreach:outer'], 'self.outer = [1, 2];'],
    [['step:mid', 'foreach:inner'], 'self.inner = [3, 4];'],
    [['step:leaf'], 'self.v = self.input;'],
    [['step:inner_join'], 'self.vs = inputs.map((i) => i.v);'],
    [['step:outer_join'], 'self.all = inputs.map((i) => i.vs);'],
    [['step:end'], ''],
  ]);

  test('each join pops the innermost frame: the foreach it closes', () => {
    expect(foreachClosedBy(g.nodes, 'inner_join')).toBe('mid');
    expect(foreachClosedBy(g.nodes, 'outer_join')).toBe('start');
    const stacks = stacksAlong(g, ['start', 'mid', 'leaf', 'inner_join', 'outer_join', 'end']);
    expect(stacks).toEqual({
      start: [],
      mid: [{ step: 'start', index: 1, count: 3 }],
      leaf: [
        { step: 'start', index: 1, count: 3 },
        { step: 'mid', index: 1, count: 3 },
      ],
      inner_join: [{ step: 'start', index: 1, count: 3 }],
      outer_join: [],
      end: [],
    });
  });

  test('self.input is the innermost element; --split-index goes to each foreach’s first body step', () => {
    const leaf = [
      { step: 'start', index: 1, count: 2, input: 2 },
      { step: 'mid', index: 0, count: 2, input: 3 },
    ];
    expect(foreachSelf(leaf)).toEqual({ input: 3, index: 0 });
    expect(splitIndexOf(leaf, 'mid')).toBe(0);
    expect(splitIndexOf(leaf.slice(0, 1), 'start')).toBe(1);
    // The inner join's parent is the leaf: its position follows from the leaf's.
    expect(splitIndexOf(leaf.slice(0, 1), 'leaf')).toBeUndefined();
  });
});

describe('switch', () => {
  test('the cases of a switch and the step they meet at stay at the switch’s position', () => {
    const g = graphOf([
      [['step:start'], ''],
      [['step:choose', 'switch:mode', 'next:a', 'next:b'], "self.mode = 'a';"],
      [['step:a', 'next:end'], ''],
      [['step:b', 'next:end'], ''],
      [['step:end'], ''],
    ]);
    expect(g.nodes.end.isJoin).toBe(false);
    expect(stacksAlong(g, ['start', 'choose', 'b', 'end']).end).toEqual([]);
    // Where the cases meet is a plain step: it inherits the one case that ran.
    expect(inheritedParent(g.nodes.end.isJoin, ['b/4'])).toBe('b/4');
  });

  test('a loop’s back edge stays at the same position', () => {
    const g = graphOf([
      [['step:start', 'foreach:xs'], 'self.xs = [1, 2];'],
      [['step:loop', 'switch:again', 'next:loop', 'next:join'], "self.again = 'join';"],
      [['step:join'], 'self.n = inputs.length;'],
      [['step:end'], ''],
    ]);
    expect(foreachMove(g.nodes, 'loop', 'loop')).toBe('stay');
    const stacks = stacksAlong(g, ['start', 'loop', 'loop', 'join']);
    expect(stacks.loop).toEqual([{ step: 'start', index: 1, count: 3 }]);
    expect(stacks.join).toEqual([]);
  });

  test('a switch inside a branch: the join waits per branch and closes no foreach', () => {
    const g = graphOf([
      [['step:start', 'next:a', 'next:b'], ''],
      [['step:a', 'switch:condition', 'next:c', 'next:d'], "self.condition = 'c';"],
      [['step:b', 'next:join'], ''],
      [['step:c', 'next:join'], ''],
      [['step:d', 'next:join'], ''],
      [['step:join'], 'mergeArtifacts(inputs);'],
      [['step:end'], ''],
    ]);
    expect(closesForeach(g.nodes, 'join')).toBe(false);
    expect(foreachMove(g.nodes, 'c', 'join')).toBe('stay');
  });

  test('a switch inside a foreach body: whichever case ran leaves the foreach at its join', () => {
    const g = graphOf([
      [['step:start', 'foreach:xs'], 'self.xs = [1, 2];'],
      [['step:pick', 'switch:side', 'next:left', 'next:right'], "self.side = 'left';"],
      [['step:left', 'next:join'], ''],
      [['step:right', 'next:join'], ''],
      [['step:join'], 'self.n = inputs.length;'],
      [['step:end'], ''],
    ]);
    expect(foreachMove(g.nodes, 'left', 'join')).toBe('leave');
    expect(foreachMove(g.nodes, 'right', 'join')).toBe('leave');
    expect(stacksAlong(g, ['start', 'pick', 'right', 'join']).join).toEqual([]);
  });
});

test('the move from facts alone (the kernel without a notebook knows its steps from tags)', () => {
  expect(foreachMoveOf({ parentIsForeach: true, closesForeach: false })).toBe('enter');
  expect(foreachMoveOf({ parentIsForeach: false, closesForeach: true })).toBe('leave');
  expect(foreachMoveOf({ parentIsForeach: false, closesForeach: false })).toBe('stay');
});
