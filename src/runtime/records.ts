// Shapes of what the datastore holds for runs and tasks (schema/run.schema.json is the normative form).
import type { FlowGraph, Isolation, JsonValue, Parameter } from '../core/model';

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
  /** What the step printed and displayed, as nbformat outputs (core/notebook-outputs.ts), one object. */
  outputs?: ArtifactRef;
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
  /** Where the tasks ran when not on this machine's task processes (`--engine slurm`, Argo). */
  engine?: RunEngine;
}

/**
 * The engine of a run whose tasks are not this machine's task processes. Slurm's runs have a local
 * scheduler (`scheduler` above); an Argo workflow has none: its pods refresh `heartbeatAt` as each
 * task starts and ends (liveness.ts reads it with a staleness bound of its own).
 */
export interface RunEngine {
  name: 'local' | 'slurm' | 'argo';
  /** Slurm: the partition of the run's jobs. */
  partition?: string;
  /** Argo: the workflow (`{{workflow.name}}`) and its namespace, for `kubectl get workflow`. */
  workflow?: string;
  namespace?: string;
  /** Argo: when a pod last started or finished a task (or the first pod wrote the record). */
  heartbeatAt?: string;
  /** Argo: the deployment (`cellflow deploy`) whose code the workflow ran. */
  deployment?: string;
}

/**
 * What `cellflow deploy --engine argo` publishes to the datastore, as Metaflow uploads its code
 * package at deploy time: everything a run of the deployed flow needs that no pod can find on its own
 * (the compiled module, the code package, the locked dependencies), so that every workflow the
 * template starts, by hand or on a schedule, is a run of exactly this code. Stored create-only at
 * `deployments/<Flow>/<deploymentId>.json`; the run records made from it name it in `engine.deployment`.
 */
export interface DeploymentRecord {
  flow: string;
  deploymentId: string;
  /** Who deployed it: the user of the runs it starts (Metaflow's production namespace is the deployer's). */
  user: string;
  tags: string[];
  deployedAt: string;
  engine: 'argo';
  graph: FlowGraph;
  parameters: Parameter[];
  input: string;
  module: NonNullable<RunRecord['module']>;
  source?: SourceRecord;
  code?: CodePackageRecord;
  lockfile?: LockfileRecord;
  environment?: EnvironmentRecord;
}

// ---------------------------------------------------------------- the reproducibility record
// What src/runtime/repro/capture records about a run (source, code package, lockfile, environment)
// and a task (its data inputs).

/** The exact code of a run: its sources as objects, the git state and snapshot (capture/source.ts). */
export interface SourceRecord {
  /** The git root, else the project root (package.json's directory), else the notebook's; absolute. */
  root: string;
  /** The notebook's (or flow module's) directory relative to root: the run's working directory. */
  workdir: string;
  /** What the user ran, relative to root. */
  input: string;
  notebook?: { path: string; sha256: string };
  module: { path: string; sha256: string };
  files: SourceFile[];
  git?: GitState;
  /** Why no git state was recorded, when the notebook is in a repository but git failed. */
  gitError?: string;
}

export type SourceRole = 'notebook' | 'module' | 'package.json' | 'lockfile' | 'local-module';

export interface SourceFile {
  /** Relative to `root`, '/'-separated. */
  path: string;
  role: SourceRole;
  sha256: string;
  bytes: number;
}

export interface GitState {
  head: string | null;
  branch: string | null;
  /** Tracked files that differ from HEAD and untracked files (not ignored), as `status path`. */
  dirty: string[];
  remote?: { name: string; url: string };
  snapshot: { commit: string; ref: string };
}

/** Every file of the run's snapshot as one tar object (capture/code-package.ts). */
export interface CodePackageRecord {
  /** The tar object's sha256 (read it with `extractCodePackage`). */
  sha256: string;
  bytes: number;
  files: number;
}

/** The pinned dependency list stored with the run, and its drift from node_modules (capture/lockfile.ts). */
export interface LockfileRecord {
  /** Path of package-lock.json relative to `source.root`'s project, or null when derived. */
  path: string | null;
  /** The lockfile (or the derived one) as a datastore object. */
  sha256: string;
  bytes: number;
  lockfileVersion: number;
  /** True when the project has no package-lock.json and this list was derived from node_modules. */
  derived: boolean;
  note?: string;
  /** Number of locked packages (node_modules entries). */
  packages: number;
  drift: DriftRecord;
  /** Locked packages no registry serves, each stored as a packed tarball object. */
  localPackages?: LocalPackage[];
  /** Every installed package's content hash, as one JSON object `{ key: sha256 }` (deep drift). */
  contents?: { sha256: string; packages: number };
}

export interface DriftEntry {
  /** The lockfile key, e.g. `node_modules/a/node_modules/b`. */
  path: string;
  locked?: { version?: string; integrity?: string; resolved?: string };
  installed?: { version?: string; integrity?: string; resolved?: string };
  /** Same version, other files: the content hash first seen for this install, and now. */
  content?: { baseline: string; installed: string };
}

export interface DriftRecord {
  /** False when there is no node_modules to compare with. */
  checked: boolean;
  /** Installed version, integrity or resolved URL differs from the lockfile. */
  changed: DriftEntry[];
  /** Locked (and not optional) but not installed. */
  missing: DriftEntry[];
  /** Installed but not in the lockfile. */
  extraneous: DriftEntry[];
}

/** A locked dependency no registry serves, stored as a packed tarball (capture/local-packages.ts). */
export interface LocalPackage {
  /** The lockfile key, e.g. `node_modules/cellflow`. */
  path: string;
  name: string;
  version?: string;
  from: 'tarball' | 'folder';
  /** What the lockfile said: `file:../tarballs/x-1.0.0.tgz`, or the folder `../x`. */
  resolved: string;
  /** The packed tarball as a datastore object. */
  sha256: string;
  bytes: number;
  /** npm's integrity of the tarball (sha512), as it is written into the rewritten lockfile. */
  integrity: string;
}

/** The machine and toolchain a run ran on (capture/environment.ts). */
export interface EnvironmentRecord {
  node: string;
  v8: string;
  os: { platform: string; type: string; release: string; version: string };
  arch: string;
  cpus: { model: string; count: number };
  memory: { totalBytes: number };
  timeZone: string;
  locale: string;
  versions: { cellflow: string; typescript?: string; tslab?: string };
  /** Allow-listed environment variables; secret-looking ones are present but REDACTED. */
  env: Record<string, string>;
}

/** One file (or listed directory) a task read (capture/data-inputs.ts). */
export interface DataInput {
  /** Relative to the project root ('/'-separated), or absolute outside it. */
  path: string;
  /** Absent for a file; a listed directory's `bytes` is its entry count, its sha256 that of its names. */
  kind?: 'directory';
  bytes: number;
  sha256: string;
  /** Whether the bytes are a datastore object (the object is named by sha256). */
  stored: boolean;
  /** Why a file's bytes are not stored. */
  note?: string;
}
