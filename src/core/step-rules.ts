// Rules that need both a step's code and its place in a sound graph: options Metaflow refuses on a
// kind of step, and `self.X` reads that no step before can have set. Each rule is one function that
// returns its diagnostics; lintSteps runs them once the graph has no structural errors.
import { analyzeCode, type CodeFacts } from './analysis';
import type { Diagnostic, FlowGraph, NotebookFlow, StepSource } from './model';
import type { StepRuleId } from './rule-ids';
import { editDistance } from './tags';

export type { StepRuleId } from './rule-ids';

export const STEP_RULES: Record<StepRuleId, string> = {
  'catch-on-foreach': 'catch: is not on a foreach step (Metaflow refuses @catch on a foreach split)',
  'catch-on-switch': 'catch: is not on a switch step (Metaflow refuses @catch on a switch)',
  'undefined-artifact': 'a step reads self.X only where a step before it (or a parameter) can have set X',
};

function diagnostic(
  rule: StepRuleId,
  step: StepSource,
  message: string,
  extra: Partial<Diagnostic> = {},
): Diagnostic {
  return { severity: 'error', rule, message, cell: step.cell, step: step.name, ...extra };
}

/** Metaflow's catch decorator refuses a foreach split: which elements' artifacts would it keep? */
function catchOnForeach(flow: NotebookFlow): Diagnostic[] {
  return flow.steps
    .filter((s) => s.options.catch !== undefined && s.foreach !== undefined)
    .map((s) =>
      diagnostic(
        'catch-on-foreach',
        s,
        `step '${s.name}' has catch:${s.options.catch} and foreach:${s.foreach}: a foreach step cannot catch its failure (Metaflow refuses @catch on a foreach split)`,
        {
          hint: `Move catch:${s.options.catch} to the step that runs once per element.`,
        },
      ),
    );
}

/** Nor a switch: a caught failure leaves the artifact that picks the branch unset. */
function catchOnSwitch(flow: NotebookFlow): Diagnostic[] {
  return flow.steps
    .filter((s) => s.options.catch !== undefined && s.switch !== undefined)
    .map((s) =>
      diagnostic(
        'catch-on-switch',
        s,
        `step '${s.name}' has catch:${s.options.catch} and switch:${s.switch}: a switch step cannot catch its failure, since then no branch is chosen (Metaflow refuses @catch on a switch)`,
        { hint: `Compute self.${s.switch} in a step before '${s.name}' and catch there.` },
      ),
    );
}

/** Every step that can run before `name` (its ancestors; in a loop, the step itself too). */
function ancestorsOf(graph: FlowGraph, name: string): Set<string> {
  const seen = new Set<string>();
  const queue = [...(graph.nodes[name]?.parents ?? [])];
  while (queue.length > 0) {
    const step = queue.pop()!;
    if (seen.has(step)) {
      continue;
    }
    seen.add(step);
    queue.push(...(graph.nodes[step]?.parents ?? []));
  }
  return seen;
}

/**
 * `self.X` read in a step where no step before it sets X (any write on any path counts, a
 * conditional one too), X is no parameter, and it is not a foreach body's `input`/`index`. A step
 * whose own code or an ancestor's hands `self` to code cellflow cannot see is not checked.
 */
function undefinedArtifacts(flow: NotebookFlow, graph: FlowGraph): Diagnostic[] {
  const facts = new Map<string, CodeFacts[]>(
    flow.steps.map((s) => [s.name, s.code.map((chunk) => analyzeCode(chunk.source))]),
  );
  // Computed once per step: a chain of thousands of steps asks for each ancestor's many times.
  const written = new Map<string, string[]>();
  const opaqueSteps = new Set<string>();
  for (const step of flow.steps) {
    const stepFacts = facts.get(step.name) ?? [];
    const names = stepFacts.flatMap((f) => [...f.selfWrites.keys()]);
    written.set(step.name, step.options.catch ? [...names, step.options.catch] : names);
    if (stepFacts.some((f) => f.selfDynamicWrite || f.selfEscapes)) {
      opaqueSteps.add(step.name);
    }
  }
  const writes = (name: string): string[] => written.get(name) ?? [];
  const opaque = (name: string): boolean => opaqueSteps.has(name);
  const diagnostics: Diagnostic[] = [];
  for (const step of flow.steps) {
    const node = graph.nodes[step.name];
    if (!node) {
      continue;
    }
    if ((facts.get(step.name) ?? []).every((f) => f.selfReads.size === 0)) {
      continue;
    }
    const before = ancestorsOf(graph, step.name);
    if (opaque(step.name) || [...before].some(opaque)) {
      continue;
    }
    const known = new Set<string>([...flow.parameters.map((p) => p.name), ...writes(step.name)]);
    for (const ancestor of before) {
      writes(ancestor).forEach((a) => known.add(a));
    }
    const inForeach = node.foreachDepth > 0;
    if (inForeach) {
      ['input', 'index'].forEach((a) => known.add(a));
    }
    step.code.forEach((chunk, i) => {
      for (const [name, line] of facts.get(step.name)![i].selfReads) {
        if (known.has(name)) {
          continue;
        }
        diagnostics.push(undefinedArtifact(step, chunk.cell, name, line, known, inForeach));
      }
    });
  }
  return diagnostics;
}

const outsideForeachRead = (name: string, inForeach: boolean): boolean =>
  (name === 'input' || name === 'index') && !inForeach;

function undefinedArtifact(
  step: StepSource,
  cell: Diagnostic['cell'],
  name: string,
  line: number,
  known: Set<string>,
  inForeach: boolean,
): Diagnostic {
  const guess = [...known]
    .map((k) => ({ k, d: editDistance(k.toLowerCase(), name.toLowerCase()) }))
    .filter(({ k, d }) => d <= Math.max(1, Math.floor(Math.max(k.length, name.length) / 3)))
    .sort((a, b) => a.d - b.d || a.k.localeCompare(b.k))[0]?.k;
  const message = outsideForeachRead(name, inForeach)
    ? `step '${step.name}' reads self.${name}, which only a step inside a foreach has`
    : `step '${step.name}' reads self.${name}, which no step before it sets and no parameter declares`;
  const outsideForeach = outsideForeachRead(name, inForeach);
  const hint = outsideForeach
    ? `Read it in the step after a foreach:ARTIFACT step.`
    : guess
      ? `Did you mean 'self.${guess}'?`
      : `Set self.${name} in a step that runs before '${step.name}'.`;
  return diagnostic('undefined-artifact', step, message, { cell, line, hint });
}

export function lintSteps(flow: NotebookFlow, graph: FlowGraph): Diagnostic[] {
  return [...catchOnForeach(flow), ...catchOnSwitch(flow), ...undefinedArtifacts(flow, graph)];
}
