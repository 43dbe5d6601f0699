// switch:ARTIFACT in the graph (DESIGN.md "Tag grammar"): the node kinds, the loops' back edges, the
// steps a switch's cases meet at (plain, not joins), and joins after a switch inside a branch. The
// graphs are Metaflow's own switch test graphs (test/core/graphs/*switch*.json) written as notebooks.
import { analyzeNotebook, parseCellTags, parseTag, formatTag } from '../../src/core';
import type { FlowGraph } from '../../src/core/model';
import { notebook, type Cell } from './nb';

function graphOf(cells: Cell[]): FlowGraph {
  const analysis = analyzeNotebook(notebook(cells), 'g.ipynb');
  expect(analysis.diagnostics).toEqual([]);
  return analysis.graph!;
}

const summary = (g: FlowGraph) =>
  Object.fromEntries(
    g.order.map((n) => {
      const node = g.nodes[n];
      return [
        n,
        [node.kind, node.next.join(','), node.parents.join(','), node.isJoin, node.loops?.join(',') ?? '-'],
      ];
    }),
  );

test('switch: is a cellflow tag with an artifact name, once per cell', () => {
  expect(parseTag('switch:mode').tag).toEqual({ kind: 'switch', artifact: 'mode' });
  expect(formatTag({ kind: 'switch', artifact: 'mode' })).toBe('switch:mode');
  expect(parseTag('switch:').problem?.message).toBe("tag 'switch:' has an empty artifact name");
  expect(parseTag('swtch:mode').problem?.hint).toBe("Did you mean 'switch:mode'?");
  const tags = parseCellTags(['step:a', 'switch:mode', 'switch:other', 'next:b', 'next:c']);
  expect(tags.switch).toBe('mode');
  expect(tags.next).toEqual(['b', 'c']);
  expect(tags.problems.map((p) => p.message)).toEqual([
    "tags 'switch:mode' and 'switch:other' conflict: a cell takes one switch: tag",
  ]);
  expect(parseCellTags(['switch:mode']).problems[0].rule).toBe('option-without-step');
});

test('switch_basic: three cases meet at the end, which stays a plain end step', () => {
  const g = graphOf([
    [['step:start'], ''],
    [['step:switch_step', 'switch:condition', 'next:a', 'next:b', 'next:c'], "self.condition = 'b';"],
    [['step:a', 'next:end'], ''],
    [['step:b', 'next:end'], ''],
    [['step:c', 'next:end'], ''],
    [['step:end'], ''],
  ]);
  expect(summary(g)).toEqual({
    start: ['entry', 'switch_step', '', false, '-'],
    switch_step: ['switch', 'a,b,c', 'start', false, '-'],
    a: ['linear', 'end', 'switch_step', false, '-'],
    b: ['linear', 'end', 'switch_step', false, '-'],
    c: ['linear', 'end', 'switch_step', false, '-'],
    end: ['end', '', 'a,b,c', false, '-'],
  });
  expect(g.nodes.switch_step.switch).toBe('condition');
});

test('recursive_switch: a switch back to itself is a loop; its back edge is recorded', () => {
  const g = graphOf([
    [['step:start'], 'self.count = 0;'],
    [['step:loop_step', 'switch:loop_status', 'next:loop_step', 'next:exit_loop'], ''],
    [['step:exit_loop'], ''],
    [['step:end'], ''],
  ]);
  expect(summary(g)).toEqual({
    start: ['entry', 'loop_step', '', false, '-'],
    loop_step: ['switch', 'loop_step,exit_loop', 'start,loop_step', false, 'loop_step'],
    exit_loop: ['linear', 'end', 'loop_step', false, '-'],
    end: ['end', '', 'exit_loop', false, '-'],
  });
});

test('a while loop: the switch at the top leaves, the body goes back to it', () => {
  const g = graphOf([
    [['step:start'], ''],
    [['step:check', 'switch:go', 'next:body', 'next:end'], ''],
    [['step:body', 'next:check'], ''],
    [['step:end'], ''],
  ]);
  expect(g.nodes.body.loops).toEqual(['check']);
  expect(g.nodes.check.isJoin).toBe(false);
  expect(g.nodes.end.kind).toBe('end');
});

test('switch_in_branch: the join waits for one task per branch, whichever case ran', () => {
  const g = graphOf([
    [['step:start', 'next:a', 'next:b'], ''],
    [['step:a', 'switch:condition', 'next:c', 'next:d'], ''],
    [['step:b', 'next:join'], ''],
    [['step:c', 'next:join'], ''],
    [['step:d', 'next:join'], ''],
    [['step:join'], 'mergeArtifacts(inputs);'],
    [['step:end'], ''],
  ]);
  expect(g.nodes.join).toMatchObject({
    kind: 'join',
    isJoin: true,
    closes: 'start',
    branches: { b: 'b', c: 'a', d: 'a' },
  });
});

test('branch_in_switch and switch_nested: splits inside a case, switches inside a case', () => {
  const g = graphOf([
    [['step:start', 'switch:mode', 'next:process_branch', 'next:skip_path'], ''],
    [['step:process_branch', 'next:p1', 'next:p2'], ''],
    [['step:p1', 'next:process_join'], ''],
    [['step:p2', 'next:process_join'], ''],
    [['step:process_join', 'next:inner'], 'mergeArtifacts(inputs);'],
    [['step:inner', 'switch:second', 'next:c', 'next:d'], ''],
    [['step:c', 'next:end'], ''],
    [['step:d', 'next:end'], ''],
    [['step:skip_path', 'next:end'], ''],
    [['step:end'], ''],
  ]);
  expect(g.nodes.start).toMatchObject({ kind: 'entry', switch: 'mode' });
  expect(g.nodes.process_join).toMatchObject({ kind: 'join', closes: 'process_branch' });
  expect(g.nodes.end).toMatchObject({ kind: 'end', isJoin: false, parents: ['c', 'd', 'skip_path'] });
});

test('recursive_switch_inside_foreach: the loop stays inside the element; the foreach join closes it', () => {
  const g = graphOf([
    [['step:start', 'foreach:items'], 'self.items = [1, 2];'],
    [['step:start_loop_for_item'], ''],
    [['step:loop_body', 'switch:should_continue', 'next:loop_body', 'next:exit_item_loop'], ''],
    [['step:exit_item_loop'], ''],
    [['step:join'], 'self.n = inputs.length;'],
    [['step:end'], ''],
  ]);
  expect(g.nodes.loop_body).toMatchObject({ kind: 'switch', loops: ['loop_body'], foreachDepth: 1 });
  expect(g.nodes.join).toMatchObject({ kind: 'join', closes: 'start', foreachDepth: 0 });
});

test('a case may go straight to the join closing a foreach', () => {
  const g = graphOf([
    [['step:start', 'foreach:items'], 'self.items = [1, 2];'],
    [['step:body', 'switch:c', 'next:extra', 'next:gather'], ''],
    [['step:extra', 'next:gather'], ''],
    [['step:gather'], 'self.n = inputs.length;'],
    [['step:end'], ''],
  ]);
  expect(g.nodes.gather).toMatchObject({ kind: 'join', closes: 'start', parents: ['body', 'extra'] });
});

test('a loop around a whole split and its join is allowed', () => {
  const g = graphOf([
    [['step:start'], ''],
    [['step:fan', 'next:a', 'next:b'], ''],
    [['step:a', 'next:join'], ''],
    [['step:b', 'next:join'], ''],
    [['step:join'], 'mergeArtifacts(inputs);'],
    [['step:again', 'switch:where', 'next:fan', 'next:end'], ''],
    [['step:end'], ''],
  ]);
  expect(g.nodes.again.loops).toEqual(['fan']);
  expect(g.nodes.fan.kind).toBe('split');
});

test('a cycle with no switch on it stays an error even when a switch sits elsewhere', () => {
  const analysis = analyzeNotebook(
    notebook([
      [['step:start', 'switch:c', 'next:a', 'next:end'], ''],
      [['step:a', 'next:b'], ''],
      [['step:b', 'next:a', 'next:end'], ''],
      [['step:end'], ''],
    ]),
    'g.ipynb',
  );
  expect(analysis.diagnostics.map((d) => d.rule)).toEqual(['cycle']);
  expect(analysis.diagnostics[0].message).toContain('a → b → a');
});
