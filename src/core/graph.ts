// Builds the flow graph and checks its structure the way Metaflow's linter does (one entry, one end,
// everything reachable, cycles only through a switch, foreach has one successor, every split closed
// by a join of matching arity before the end, joins close the innermost open split). The build runs
// in stages (graph-shape.ts) and the rules in phases between them (graph-rules.ts); a stage runs only
// on a graph the phases before it found sound, and the graph comes back however far it got.
import { GRAPH_PHASES, type GraphStage, noSteps } from './graph-rules';
import { assembleGraph, balanceSplits, declareGraph, findLoops, type GraphStages } from './graph-shape';
import type { Diagnostic, FlowGraph, NotebookFlow } from './model';

export { readsInputs } from './graph-shape';
export { backEdges, topologicalOrder } from './graph-order';

export interface GraphBuild {
  /** Present whenever the flow has at least one step; may be incomplete when there are errors. */
  graph?: FlowGraph;
  diagnostics: Diagnostic[];
}

export function buildGraph(flow: NotebookFlow): GraphBuild {
  if (flow.steps.length === 0) {
    return { diagnostics: [noSteps()] };
  }
  const stages: GraphStages = { declared: declareGraph(flow) };
  const build = (stage: GraphStage): void => {
    if (stage !== 'declared' && !stages.loops) {
      stages.loops = findLoops(stages.declared);
    }
    if (stage === 'balance' && !stages.balance) {
      stages.balance = balanceSplits(stages.declared, stages.loops!);
    }
  };
  const diagnostics: Diagnostic[] = [];
  for (const phase of GRAPH_PHASES) {
    build(phase.needs);
    diagnostics.push(...phase.rules.flatMap((rule) => rule(stages)));
    if (diagnostics.length > 0) {
      break;
    }
  }
  return { graph: assembleGraph(stages), diagnostics };
}
