// Metaflow's core test graphs (Netflix/metaflow test/core/graphs/*.json), described again here: each
// node's successors (linear, branch or foreach with its variable and default), whether it is a join,
// and the qualifiers Metaflow's formatter matches test steps against.

export interface GraphNodeSpec {
  linear?: string;
  branch?: string[];
  foreach?: string;
  foreachVar?: string;
  /** TypeScript for the foreach variable's default (Metaflow's foreach_var_default, in JS). */
  foreachDefault?: string;
  join?: boolean;
  quals?: string[];
}

export interface GraphSpec {
  name: string;
  /** In notebook order; the last node is the end. */
  nodes: Record<string, GraphNodeSpec>;
}

export const GRAPHS: Record<string, GraphSpec> = {
  linear: {
    name: 'single-linear-step',
    nodes: {
      start: { linear: 'a', quals: ['singleton-start'] },
      a: { linear: 'end', quals: ['singleton'] },
      end: { quals: ['singleton-end'] },
    },
  },
  branch: {
    name: 'single-and-branch',
    nodes: {
      start: { branch: ['a', 'b'], quals: ['split-and'] },
      a: { linear: 'join', quals: ['single-branch-split'] },
      b: { linear: 'join', quals: ['single-branch-split'] },
      join: { linear: 'end', join: true, quals: ['join-and'] },
      end: {},
    },
  },
  foreach: {
    name: 'simple-foreach',
    nodes: {
      start: { linear: 'foreach_split' },
      foreach_split: {
        foreach: 'foreach_inner_first',
        foreachVar: 'arr',
        foreachDefault: '[1, 2, 3]',
        quals: ['foreach-split'],
      },
      foreach_inner_first: { linear: 'foreach_inner_second', quals: ['foreach-inner'] },
      foreach_inner_second: { linear: 'foreach_join', quals: ['foreach-inner'] },
      foreach_join: { linear: 'end', join: true, quals: ['foreach-join'] },
      end: {},
    },
  },
  small_foreach: {
    name: 'small-foreach',
    nodes: {
      start: { linear: 'foreach_split' },
      foreach_split: {
        foreach: 'foreach_inner',
        foreachVar: 'arr',
        foreachDefault: '[1, 2, 3]',
        quals: ['foreach-split-small', 'foreach-split'],
      },
      foreach_inner: { linear: 'foreach_join', quals: ['foreach-inner-small'] },
      foreach_join: { linear: 'end', join: true, quals: ['foreach-join-small'] },
      end: {},
    },
  },
  nested_foreach: {
    name: 'nested-foreach',
    nodes: {
      start: { linear: 'foreach_split_x' },
      foreach_split_x: {
        foreach: 'foreach_split_y',
        foreachVar: 'x',
        foreachDefault: "'abc'",
        quals: ['foreach-split'],
      },
      foreach_split_y: {
        foreach: 'foreach_split_z',
        foreachVar: 'y',
        foreachDefault: "'de'",
        quals: ['foreach-split'],
      },
      foreach_split_z: {
        foreach: 'foreach_inner',
        foreachVar: 'z',
        foreachDefault: "'fghijk'",
        quals: ['foreach-nested-split', 'foreach-split'],
      },
      foreach_inner: { linear: 'foreach_join_z', quals: ['foreach-nested-inner', 'foreach-inner'] },
      foreach_join_z: { linear: 'foreach_join_y', join: true, quals: ['foreach-nested-join'] },
      foreach_join_y: { linear: 'foreach_join_x', join: true },
      foreach_join_x: { linear: 'end', join: true },
      end: {},
    },
  },
  nested_branches: {
    name: 'nested-branches',
    nodes: {
      start: { branch: ['a', 'b'], quals: ['split-and'] },
      a: { branch: ['aa', 'ab'], quals: ['split-and'] },
      b: { branch: ['ba', 'bb'], quals: ['split-and'] },
      aa: { linear: 'aa_join' },
      ab: { linear: 'aa_join' },
      ba: { linear: 'bb_join' },
      bb: { linear: 'bb_join' },
      aa_join: { linear: 'a_b_join', join: true, quals: ['join-and'] },
      bb_join: { linear: 'a_b_join', join: true, quals: ['join-and'] },
      a_b_join: { linear: 'end', join: true, quals: ['join-and'] },
      end: {},
    },
  },
};

export function successors(node: GraphNodeSpec): string[] {
  return node.linear ? [node.linear] : (node.branch ?? (node.foreach ? [node.foreach] : []));
}

/** Metaflow's _node_quals: `all`, the node's own, start/end by name, join, linear. */
export function nodeQuals(name: string, node: GraphNodeSpec): Set<string> {
  const quals = new Set(['all', ...(node.quals ?? [])]);
  if (name === 'start' || name === 'end') {
    quals.add(name);
  }
  if (node.join) {
    quals.add('join');
  }
  if (node.linear) {
    quals.add('linear');
  }
  return quals;
}

/** Parents of every node, and Metaflow's node type (start, end, join, foreach, split, linear). */
export function graphTypes(graph: GraphSpec): Record<string, string> {
  const types: Record<string, string> = {};
  for (const [name, node] of Object.entries(graph.nodes)) {
    types[name] =
      name === 'start'
        ? 'start'
        : name === 'end'
          ? 'end'
          : node.join
            ? 'join'
            : node.foreach
              ? 'foreach'
              : node.branch
                ? 'split'
                : 'linear';
  }
  return types;
}
