// Which artifacts a flow can hold when it ends, found from the steps' code with the compiler API:
// `self.X = ...` writes, parameters, `catch:` artifacts, and what a join carries over with
// mergeArtifacts (Metaflow's join starts from an empty self: only merged or re-assigned artifacts,
// and the parameters, survive it). Endpoints read the end's artifacts, so lint checks them against this.
import { analyzeCode } from './analysis';
import type { FlowGraph, NotebookFlow } from './model';

export interface EndArtifacts {
  names: Set<string>;
  /** A step writes artifacts the compiler cannot name (`self[k] = v`, `Object.assign(self, ...)`). */
  open: boolean;
}

export function artifactsAtEnd(flow: NotebookFlow, graph: FlowGraph): EndArtifacts {
  const parameters = flow.parameters.map((p) => p.name);
  const steps = new Map(flow.steps.map((s) => [s.name, s]));
  let open = false;
  const writes = new Map<string, string[]>();
  const merges = new Map<string, ReturnType<typeof analyzeCode>['mergeCalls']>();
  for (const step of flow.steps) {
    const facts = step.code.map((chunk) => analyzeCode(chunk.source));
    open ||= facts.some((f) => f.selfDynamicWrite);
    const written = facts.flatMap((f) => [...f.selfWrites.keys()]);
    if (step.options.catch) {
      written.push(step.options.catch);
    }
    writes.set(step.name, written);
    merges.set(
      step.name,
      facts.flatMap((f) => f.mergeCalls),
    );
  }
  // A fixpoint over the graph (monotone unions), so loops through a switch are fine too.
  const out = new Map<string, Set<string>>(graph.order.map((name) => [name, new Set<string>()]));
  for (let changed = true, round = 0; changed && round < graph.order.length + 2; round++) {
    changed = false;
    for (const name of graph.order) {
      const node = graph.nodes[name];
      if (!node || !steps.has(name)) {
        continue;
      }
      const from = new Set<string>();
      const parentsOut = node.parents.map((p) => out.get(p) ?? new Set<string>());
      if (node.isJoin || node.parents.length === 0) {
        parameters.forEach((p) => from.add(p));
        if (node.isJoin) {
          const union = new Set(parentsOut.flatMap((s) => [...s]));
          for (const call of merges.get(name) ?? []) {
            if (call.include && !call.opaque) {
              call.include.forEach((a) => union.has(a) && from.add(a));
            } else {
              union.forEach((a) => !call.exclude?.includes(a) && from.add(a));
            }
          }
        }
      } else {
        parentsOut.forEach((s) => s.forEach((a) => from.add(a)));
      }
      (writes.get(name) ?? []).forEach((a) => from.add(a));
      const before = out.get(name)!;
      for (const a of from) {
        if (!before.has(a)) {
          before.add(a);
          changed = true;
        }
      }
    }
  }
  return { names: out.get(graph.end) ?? new Set(), open };
}
