// Shapes of what the datastore holds for runs and tasks (schema/run.schema.json is the normative form).
import type { FlowGraph, Isolation, JsonValue, Parameter } from '../core/model';
import type { CodePackageRecord } from './repro/capture/code-package';
import type { DataInput } from './repro/capture/data-inputs';
import type { EnvironmentRecord } from './repro/capture/environment';
import type { LockfileRecord } from './repro/capture/lockfile';
import type { SourceRecord } from './repro/capture/source';

export type Codec = 'arrow' | 'bytes' | 'json' | 'v8';

/** Where one artifact's bytes live: a content-addressed object plus how to decode it. */
export interface ArtifactRef {
  sha256: string;
  codec: Codec;
  bytes: number;
}

export type ArtifactIndex = Record<string, ArtifactRef>;

export type TaskStatus = 'pending' | 'running' | 'succeeded' | 'failed' | 'cancelled';
export type RunStatus = 'running' | 'succeeded' | 'failed' | 'cancelled' | 'abandoned';

export interface AttemptRecord {
  attempt: number;
  status: 'running' | 'succeeded' | 'failed';
  startedAt: string;
  finishedAt?: string;
  pid?: number;
  /** Where the attempt ran: a fresh worker thread in a task host process, or a fresh OS process. */
  isolation?: Isolation;
  /** Why it ran in a process although its step runs in threads (a native addon a thread refused). */
  isolationReason?: string;
  /**
   * For a failed attempt: the thrown value's type (constructor name), message, stack, the notebook
   * location when it could be mapped, and for a timeout how it ended: `in-process` (the awaiting
   * step got a timeout error) or `killed` (the process did not answer and was killed).
   */
  error?: {
    type?: string;
    message: string;
    stack?: string;
    cell?: { index: number; id: string };
    line?: number;
    timeout?: 'in-process' | 'killed';
  };
  /** For a failed attempt of a step with catch:, the artifacts it had set when it failed. */
  artifacts?: ArtifactIndex;
}

/** One foreach level that encloses a task: which split, which element. */
export interface ForeachFrame {
  step: string;
  index: number;
  count: number;
  /** Pathspec of the task that fanned out; its artifact holds the elements. */
  splitTask?: string;
}

export interface TaskRecord {
  flow: string;
  runId: string;
  step: string;
  taskId: string;
  status: TaskStatus;
  attempts: AttemptRecord[];
  artifacts: ArtifactIndex;
  /** Pathspecs of the parent tasks. */
  parents: string[];
  foreachStack: ForeachFrame[];
  /** For a foreach step: how many elements its artifact had, i.e. how many tasks fan out. */
  foreachCount?: number;
  /** Loops: how many earlier tasks of this step ran at the same foreach position (absent: none). */
  iteration?: number;
  /** For a switch step: the successor its artifact named; the other cases were not taken. */
  switchTaken?: string;
  /** Every file (and listed directory) the step read: path, size, sha256, whether stored. */
  inputs?: DataInput[];
  /** The project's own modules the task had loaded (relative to the project root): code, not data. */
  sources?: string[];
  /** For a foreach over a non-array iterable: its elements, materialised once, as one artifact object. */
  foreachValues?: ArtifactRef;
  /** Set when this task was reused by `resume`: the pathspec of the original task. */
  reusedFrom?: string;
  startedAt?: string;
  finishedAt?: string;
}

/** One artifact that differs between a run and its reproduction (values rendered when small). */
export interface ReproductionDifference {
  step: string;
  /** For a step with several tasks: the original task id and its foreach position, e.g. "[3]". */
  task?: string;
  position?: string;
  artifact: string;
  verdict: 'different' | 'missing' | 'added' | 'identical';
  /** starts: written differently by a task whose parents agreed; downstream: from differing inputs; inherited: passed on unchanged. */
  cause?: 'starts' | 'downstream' | 'inherited';
  /** For a row summarising several tasks. */
  tasks?: number;
  mismatched?: number;
  /** The value (up to ~200 characters) or "sha256 <prefix>". */
  original?: string;
  reproduced?: string;
}

export interface ReproductionVerdict {
  result: 'identical' | 'different';
  /** Counts of (task, artifact) pairs. */
  identical: number;
  different: number;
  missing: number;
  added: number;
  /** The first difference (in step order) that starts in its own step. */
  first?: ReproductionDifference;
  /** Every non-identical row (at most 50; differencesOmitted counts the rest). */
  differences?: ReproductionDifference[];
  differencesOmitted?: number;
  why?: string;
  /** What was known to differ before the re-run: environment, inputs not restored, drift. */
  known?: string[];
  /** One sentence: where the difference starts and what explains it. */
  explanation?: string;
  /** Installed packages whose content differed (deep drift), one line each. */
  drift?: string[];
  /** Lockfile entries rewritten to stored tarballs. */
  rewrites?: { path: string; from: string; to: string }[];
}

export interface RunRecord {
  flow: string;
  runId: string;
  user: string;
  tags: string[];
  params: Record<string, JsonValue>;
  status: RunStatus;
  createdAt: string;
  finishedAt?: string;
  graph: FlowGraph;
  parameters: Parameter[];
  /** The run this one resumed or reproduces. */
  origin?: {
    kind: 'resume' | 'reproduce';
    pathspec: string;
    fromStep?: string;
    /** For a reproduction: how it compared with the original. */
    verdict?: ReproductionVerdict;
  };
  seed?: number;
  /** The notebook or .flow.ts the run came from (absolute, on the machine that ran it). */
  input?: string;
  /** The exact compiled module: TypeScript and transpiled JavaScript as datastore objects. */
  module?: { typescriptSha256: string; javascriptSha256: string; filename: string };
  /** Parameter values stored as artifacts, given to every task. */
  parameterArtifacts?: ArtifactIndex;
  /** The reproducibility record (src/runtime/repro): exact code, pinned dependencies, machine. */
  source?: SourceRecord;
  /** The code package: every file of the snapshot as one tar object (code-package.ts). */
  code?: CodePackageRecord;
  lockfile?: LockfileRecord;
  environment?: EnvironmentRecord;
  /** Scheduler liveness: pid and last heartbeat, so a killed scheduler's run is seen as abandoned. */
  scheduler?: { pid: number; host: string; heartbeatAt: string };
  /** Where the tasks ran when not on this machine's task processes (`--engine slurm`). */
  engine?: { name: 'local' | 'slurm'; partition?: string };
}
