// The shared vocabulary of cellflow: notebook, tags, flow graph, diagnostics, compiled manifest.
// Pure types only; every other layer (runtime, kernel, lab) speaks in these terms.
import type { RuleId } from './rule-ids';

/** JSON values as they appear in manifests, parameters and artifacts stored as JSON. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** Where a cell sits in its notebook: position (0-based) and nbformat cell id. */
export interface CellRef {
  index: number;
  id: string;
}

/** A note points at something worth knowing that is not wrong (a read of the wall clock). */
export type Severity = 'error' | 'warning' | 'note';

/** A problem found in a notebook. Every message names the cell (and step, line) at fault. */
export interface Diagnostic {
  severity: Severity;
  /** Stable rule id, e.g. `unknown-next-target`; fixtures and docs key on it. */
  rule: RuleId;
  message: string;
  cell?: CellRef;
  step?: string;
  /** 1-based line within the cell's source. */
  line?: number;
  /** A "did you mean" or "use self.x instead" suggestion. */
  hint?: string;
}

// ---------------------------------------------------------------- notebook

export type CellType = 'code' | 'markdown' | 'raw';

export interface NotebookCell {
  index: number;
  id: string;
  cellType: CellType;
  source: string;
  tags: string[];
}

export interface Notebook {
  nbformat: number;
  nbformatMinor: number;
  metadata: Record<string, JsonValue>;
  cells: NotebookCell[];
}

// ---------------------------------------------------------------- tags

export interface Resources {
  cpu?: number;
  memoryMb?: number;
  gpu?: number;
}

/** The keys of `resources:KEY=N`; `memory` is in MB. */
export type ResourceKey = 'cpu' | 'memory' | 'gpu';

export type Tag =
  | { kind: 'step'; name: string }
  /** One successor; a branch repeats the tag (`next:a`, `next:b`). */
  | { kind: 'next'; target: string }
  | { kind: 'foreach'; artifact: string }
  | { kind: 'switch'; artifact: string }
  | { kind: 'parameters' }
  | { kind: 'skip' }
  | { kind: 'retry'; count: number }
  | { kind: 'timeout'; seconds: number }
  /** One resource per tag (`resources:cpu=2`, `resources:memory=4096`). */
  | { kind: 'resources'; key: ResourceKey; amount: number }
  | { kind: 'catch'; artifact: string }
  | { kind: 'env'; key: string; value: string }
  | { kind: 'endpoint'; name: string }
  /** Where each task of the step runs: a fresh worker thread (default) or a fresh OS process. */
  | { kind: 'isolation'; mode: Isolation }
  /** Any tag cellflow does not own (e.g. `hide-input`); kept, ignored. */
  | { kind: 'other'; raw: string };

export interface StepOptions {
  /** Extra attempts after the first failure. */
  retry: number;
  timeoutSeconds?: number;
  resources: Resources;
  /** Artifact that receives the error when the step fails; the flow then goes on. */
  catch?: string;
  env: Record<string, string>;
  /** `isolation:process`: each task in a fresh OS process instead of a fresh worker thread. */
  isolation?: Isolation;
}

/** A task's isolation: a fresh V8 isolate in a task host process, or a fresh OS process. */
export type Isolation = 'thread' | 'process';

// ---------------------------------------------------------------- notebook flow (cells grouped)

/** A slice of code from one cell, as it goes into the flow. */
export interface CodeChunk {
  cell: CellRef;
  source: string;
}

export interface StepSource {
  name: string;
  /** The `step:` cell. */
  cell: CellRef;
  /** Code of the step cell and the untagged code cells that follow it, in order. */
  code: CodeChunk[];
  /** Markdown cells that sit inside the step: its documentation. */
  docs: string[];
  /** Explicit `next:` targets; undefined means "the next step in notebook order". */
  next?: string[];
  foreach?: string;
  /** `switch:ARTIFACT`: exactly one of `next` runs, the one `self.ARTIFACT` names. */
  switch?: string;
  options: StepOptions;
}

export type ParameterType = 'number' | 'string' | 'boolean' | 'json';

export interface Parameter {
  name: string;
  /** `json` for arrays, objects and `null` (a null default takes any value). */
  type: ParameterType;
  default: JsonValue;
  cell: CellRef;
  line: number;
  /** The `// comment` at the end of the declaring line. */
  help?: string;
}

/** A cell tagged `endpoint:NAME`: it defines `export function NAME(request, artifacts)`. */
export interface EndpointSource {
  name: string;
  code: CodeChunk;
}

export interface NotebookFlow {
  /** Flow name: `metadata.cellflow.flow` or the file name, sanitised. */
  name: string;
  notebook: Notebook;
  prelude: CodeChunk[];
  parameters: Parameter[];
  steps: StepSource[];
  endpoints: EndpointSource[];
  skipped: CellRef[];
  diagnostics: Diagnostic[];
}

// ---------------------------------------------------------------- graph

export type NodeKind = 'entry' | 'linear' | 'split' | 'switch' | 'foreach' | 'join' | 'end';

export interface GraphNode {
  name: string;
  /** Role, by priority end > entry > join > foreach > switch > split > linear (as Metaflow types nodes). */
  kind: NodeKind;
  next: string[];
  parents: string[];
  /** Artifact fanned out over, when this step starts a foreach. */
  foreach?: string;
  /** Artifact whose value (a step name) picks the one successor that runs, when this step is a switch.
   * The cases are `next`: each value names the step it leads to. */
  switch?: string;
  /** Successors reached by going back to an earlier step: the back edges of loops, which every
   * cycle closes through a switch. The rest of the graph is acyclic. */
  loops?: string[];
  /** True when the step has two or more parents or closes a foreach: it receives `inputs`. */
  isJoin: boolean;
  /** For a join: the split or foreach step it closes. */
  closes?: string;
  /** For a join of a split with a switch inside a branch: parent step → the branch of `closes` it is
   * on, so the join waits for one arrival per branch rather than one per parent. */
  branches?: Record<string, string>;
  /** How many foreach splits enclose this step (0 outside any). */
  foreachDepth: number;
  cell: CellRef;
  options: StepOptions;
}

export interface FlowGraph {
  entry: string;
  end: string;
  /** Steps in notebook order. */
  order: string[];
  nodes: Record<string, GraphNode>;
}

// ---------------------------------------------------------------- compiled flow

/** One run of consecutive generated lines that came from one cell. */
export interface LineMapSegment {
  /** 1-based, inclusive, in the generated module. */
  generatedStart: number;
  generatedEnd: number;
  cell: CellRef;
  /** 1-based line in the cell that `generatedStart` came from. */
  cellLine: number;
}

/** One field of an endpoint's request type, when the type is an object type the compiler can see. */
export interface RequestField {
  name: string;
  /** `number`, `string`, `boolean`, or `other` for anything else (arrays, unions, references). */
  type: 'number' | 'string' | 'boolean' | 'other';
  optional: boolean;
  /** The field's type as written. */
  text: string;
}

/** What `GET /` of `cellflow serve` shows about an endpoint's request, from its first parameter. */
export interface RequestShape {
  /** The parameter's type annotation as written, or `unknown` without one. */
  type: string;
  /** The fields, when the type is an object literal or an interface/type declared in the notebook. */
  fields?: RequestField[];
}

/** A served function (DESIGN "Serving"): `endpoints[name](request, artifacts)` in the module. */
export interface EndpointManifest {
  name: string;
  cell: CellRef;
  /** The artifacts the function reads (`artifacts.X`), sorted; every one exists at the end of the flow. */
  artifacts: string[];
  /** True when it also uses `artifacts` in a way the compiler cannot follow (passes it on, `artifacts[k]`). */
  readsOtherArtifacts?: boolean;
  request: RequestShape;
}

/** The manifest embedded in every compiled flow module; validated by schema/flow.schema.json. */
export interface FlowManifest {
  cellflow: 1;
  flow: string;
  notebook: { path: string; sha256: string };
  graph: FlowGraph;
  parameters: Parameter[];
  /** Present when the notebook has `endpoint:NAME` cells. */
  endpoints?: EndpointManifest[];
  /** `metadata.cellflow.serve`: the artifact holding the data a served model's inputs are compared with. */
  serve?: { reference: string };
  lineMap: LineMapSegment[];
}

export interface CompiledFlow {
  manifest: FlowManifest;
  /** TypeScript source of the flow module. */
  source: string;
}

// ---------------------------------------------------------------- what a step sees (runtime and kernel)

/** Identity of the executing task, as Metaflow's `current`. */
export interface Current {
  flowName: string;
  runId: string;
  stepName: string;
  taskId: string;
  attempt: number;
  isInteractive: boolean;
  /** `Flow/runId/step/taskId`. */
  pathspec: string;
  /** The run this one resumed (Metaflow's origin_run_id); null for a fresh run. */
  originRunId: string | null;
  /** The enclosing foreach frames, outermost first: split step, element index, element count, element. */
  foreachStack: CurrentForeachFrame[];
  /** The flow's parameter names (they are read-only artifacts on `self`). */
  parameterNames: string[];
  /** Who runs it, and the namespace its runs are found in (`user:NAME`). */
  user: string;
  namespace: string;
  /** The run's tags. */
  tags: string[];
  /** The run's seed (`--seed`, or the one drawn for the run), if the run has one. */
  seed?: number;
  /** Uniform [0, 1) numbers; deterministic per task when the run has a seed. */
  random(): number;
}

export interface CurrentForeachFrame {
  step: string;
  index: number;
  count: number;
  input: unknown;
}

/** `self`: artifacts by name; in a foreach body also `input` and `index`. */
export type FlowSelf = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** One parent task's artifacts, read-only, plus the step it came from. */
export type JoinInput = Readonly<Record<string, any>> & { readonly step: string }; // eslint-disable-line @typescript-eslint/no-explicit-any

/** A join's `inputs`: the parent tasks in order, also by step name (`inputs.train`). */
export type JoinInputs = JoinInput[] & { readonly [step: string]: any }; // eslint-disable-line @typescript-eslint/no-explicit-any

export interface MergeOptions {
  include?: string[];
  exclude?: string[];
}

export interface StepScope {
  self: FlowSelf;
  /** Parent tasks' artifacts in a join; empty elsewhere. */
  inputs: JoinInputs;
  current: Current;
  /** Copy into `self` the artifacts on which all inputs agree (by content hash); conflicts throw. */
  mergeArtifacts(inputs: JoinInput[], options?: MergeOptions): void;
}

export type StepFunction = (scope: StepScope) => Promise<void> | void;

/** The `steps` object of a compiled flow module: one function per step, keyed by step name. */
export type FlowSteps = Record<string, StepFunction>;

/** A served function: the request (parsed JSON) and the run's artifacts (read-only). */
export type EndpointFunction = (request: any, artifacts: Readonly<Record<string, any>>) => unknown; // eslint-disable-line @typescript-eslint/no-explicit-any

/** The `endpoints` object of a compiled flow module, keyed by endpoint name. */
export type FlowEndpoints = Record<string, EndpointFunction>;

/** What a compiled flow module exports. */
export interface FlowModule {
  manifest: FlowManifest;
  steps: FlowSteps;
  endpoints?: FlowEndpoints;
}
