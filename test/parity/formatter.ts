// Places a parity case's steps on a graph, as Metaflow's test/core/metaflow_test/formatter.py does:
// each graph node gets the first step (by priority) whose qualifiers meet the node's, and the result
// is a tagged notebook (one value per tag, nbformat-valid).
import { GRAPHS, nodeQuals, successors, type GraphSpec } from './graphs';

export interface CaseStep {
  prio: number;
  quals: string[];
  code: string;
  /** Options tags for the step cell (retry:N, catch:X, timeout:S). */
  tags?: string[];
  required?: boolean;
}

/** Shared by every notebook: Metaflow's metaflow_test helpers, in TypeScript. */
const HELPERS = `import { isDeepStrictEqual, inspect } from 'node:util';
function assert_equals(expected: unknown, got: unknown): void {
  if (!isDeepStrictEqual(expected, got)) throw new Error(\`expected \${inspect(expected)}, got \${inspect(got)}\`);
}
function assert_exception(fn: () => unknown, name?: string): void {
  try { fn(); } catch (e) {
    if (name && (e as Error).name !== name) throw new Error(\`expected \${name}, got \${(e as Error).name}: \${(e as Error).message}\`);
    return;
  }
  throw new Error(\`expected \${name ?? 'an exception'}, nothing was thrown\`);
}
class ResumeFromHere extends Error { constructor() { super('This is not an error. Testing resume...'); this.name = 'ResumeFromHere'; } }
class TestRetry extends Error { constructor() { super('This is not an error. Testing retry...'); this.name = 'TestRetry'; } }
const is_resumed = (current: { originRunId: string | null }): boolean => current.originRunId !== null;`;

export interface Placement {
  notebook: string;
  /** Node name → the chosen step's index in the case's steps. */
  chosen: Record<string, number>;
  /** False when a required step found no node (the case does not apply to the graph). */
  valid: boolean;
}

export function placeOnGraph(
  steps: CaseStep[],
  graphName: string,
  options: { parameters?: string; prelude?: string; flow: string },
): Placement {
  const graph: GraphSpec = GRAPHS[graphName];
  const order = steps.map((s, i) => ({ s, i })).sort((a, b) => a.s.prio - b.s.prio);
  const chosen: Record<string, number> = {};
  const foreachVars = Object.fromEntries(
    Object.entries(graph.nodes)
      .filter(([, n]) => n.foreachVar)
      .map(([name, n]) => [name, n.foreachVar!]),
  );
  const cells: { tags: string[]; source: string }[] = [
    {
      tags: [],
      source: `${HELPERS}\nconst FOREACH_VARS: Record<string, string> = ${JSON.stringify(foreachVars)};${options.prelude ? '\n' + options.prelude : ''}`,
    },
  ];
  if (options.parameters) {
    cells.push({ tags: ['parameters'], source: options.parameters });
  }
  for (const [name, node] of Object.entries(graph.nodes)) {
    const quals = nodeQuals(name, node);
    const match = order.find(({ s }) => s.quals.some((q) => quals.has(q)));
    if (!match) {
      throw new Error(`no step for node ${name} of graph ${graphName}`);
    }
    chosen[name] = match.i;
    const lines: string[] = [];
    if (node.foreachVar) {
      lines.push(`self.${node.foreachVar} = ${node.foreachDefault};`);
    }
    // The notebook's `def join(self, inputs)`: a step that closes a foreach reads `inputs`.
    if (node.join && !/\binputs\b/.test(match.s.code)) {
      lines.push('void inputs;');
    }
    lines.push(match.s.code);
    const tags = [
      `step:${name}`,
      ...successors(node).map((next) => `next:${next}`),
      ...(node.foreach ? [`foreach:${node.foreachVar}`] : []),
      ...(match.s.tags ?? []),
    ];
    cells.push({ tags, source: lines.join('\n') });
  }
  const used = new Set(Object.values(chosen));
  const valid = steps.every((s, i) => !s.required || used.has(i));
  const notebook = {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: {
      kernelspec: { name: 'cellflow', display_name: 'TypeScript (cellflow)', language: 'typescript' },
      language_info: { name: 'typescript' },
      cellflow: { flow: options.flow },
    },
    cells: cells.map((cell, index) => ({
      cell_type: 'code',
      id: `cell-${index}`,
      metadata: { tags: cell.tags },
      source: cell.source,
      outputs: [],
      execution_count: null,
    })),
  };
  return { notebook: JSON.stringify(notebook, null, 1) + '\n', chosen, valid };
}
