// `cellflow binder RUN`: a commit that mybinder.org (repo2docker) can build and that reproduces the
// run: the run's snapshot tree, binder/ pinned to its environment, its records in a small datastore,
// and reproduce.sh / reproduce.ipynb. Its parent is the snapshot commit, so a clone of the branch
// holds the sources too. A branch points at it (repo2docker clones branches, not refs/cellflow/...).
import * as fs from 'fs';
import * as git from 'isomorphic-git';
import * as os from 'os';
import * as path from 'path';
import { Datastore, formatPathspec, parseRunPathspec } from '../../datastore/datastore';
import { UserInputError } from '../../errors';
import type { RunRecord, TaskRecord } from '../../records';
import {
  environmentYml,
  installNpmScript,
  postBuild,
  REPRODUCE_NOTEBOOK,
  REPRODUCE_SCRIPT,
  reproduceNotebook,
  reproduceScript,
  type BinderTemplate,
} from './binder-files';
import { CELLFLOW_AUTHOR, gitdirOf, listTree, overlayTree, type TreeChange } from '../capture/git-tree';
import { LOCAL_PACKAGES_DIR, rewriteLocalPackages } from '../capture/local-packages';
import { binderPins, type BinderPins } from './binder-pins';
import { binderProblems } from './binder-preflight';
import { publishRun, publishTask } from './binder-publish';
import { findGitRoot } from '../capture/source';

export const BINDER_STORE = '.cellflow-binder';

export interface BinderOptions {
  pathspec: string;
  branch?: string;
  /** npm install spec for cellflow on Binder when the project does not lock it. */
  cellflowSpec?: string;
  datastoreRoot?: string;
  /** Publish the records as recorded (absolute paths, user, host) instead of relative and anonymous. */
  keepIdentity?: boolean;
}

export interface BinderResult {
  commit: string;
  branch: string;
  repository: string;
  /** mybinder.org launch URL pinned to the commit, when the repository has a GitHub remote. */
  url?: string;
  github?: { owner: string; repo: string; remote: string };
  urlpath: string;
  pins: BinderPins;
  /** Data inputs the branch holds at their project paths (git-ignored ones included). */
  inputs: string[];
}

export function defaultBinderBranch(flow: string, runId: string): string {
  return `cellflow/binder/${flow}/${runId}`;
}

/** `OWNER/REPO` of a GitHub remote URL (https, ssh or git@ forms), else undefined. */
export function githubRepository(url: string): { owner: string; repo: string } | undefined {
  const match =
    /^(?:https?:\/\/(?:[^@/]+@)?github\.com\/|ssh:\/\/git@github\.com\/|git@github\.com:)([^/]+)\/([^/]+?)(?:\.git)?\/?$/.exec(
      url.trim(),
    );
  return match ? { owner: match[1], repo: match[2] } : undefined;
}

export async function exportBinder(options: BinderOptions): Promise<BinderResult> {
  const spec = parseRunPathspec(options.pathspec);
  const datastore = Datastore.open({ root: options.datastoreRoot });
  const record = datastore.readRun(spec.flow, spec.runId);
  const snapshot = record.source?.git?.snapshot;
  if (!record.source || !snapshot) {
    throw new UserInputError(
      `${options.pathspec}: the run has no git snapshot commit (${record.source?.gitError ?? 'it did not run in a git repository'}); binder exports a commit, so run the notebook in a git repository.`,
    );
  }
  const root = fs.existsSync(record.source.root) ? await findGitRoot(record.source.root) : undefined;
  if (!root) {
    throw new UserInputError(
      `${options.pathspec}: its repository ${record.source.root} is not there any more.`,
    );
  }
  let gitdir: string;
  try {
    gitdir = gitdirOf(root);
  } catch (error) {
    throw new UserInputError(`${options.pathspec}: ${(error as Error).message}.`);
  }
  try {
    await git.readCommit({ fs, gitdir, oid: snapshot.commit });
  } catch {
    throw new UserInputError(
      `${options.pathspec}: the snapshot commit ${snapshot.commit} is not in ${root}.`,
    );
  }
  const branch = options.branch ?? defaultBinderBranch(record.flow, record.runId);
  if (!validBranchName(branch)) {
    throw new UserInputError(`--branch ${branch}: not a valid branch name (git check-ref-format).`);
  }
  const existing = await git.resolveRef({ fs, gitdir, ref: `refs/heads/${branch}` }).catch(() => undefined);
  if (existing) {
    throw new UserInputError(
      `branch ${branch} already exists (at ${existing.slice(0, 12)}); name another with --branch NAME.`,
    );
  }

  const template = templateFor(datastore, record, options.cellflowSpec);
  const snapshotFiles = await listTree(gitdir, snapshot.commit);
  const tasks = datastore.listTasks(record.flow, record.runId);
  // Everything the branch could not rebuild, at once, each with its fix.
  const problems = binderProblems(datastore, record, tasks, (file) => snapshotFiles.has(file));
  if (!template.projectIsCellflow && !template.cellflowSpec && !locksCellflow(datastore, record)) {
    problems.push(
      'the project does not lock cellflow, so Binder would have to install it by a name no lockfile holds. Fix: add it to the project (npm install PATH-TO-cellflow.tgz) and run again, or pass --cellflow-spec SPEC.',
    );
  }
  if (problems.length > 0) {
    throw new UserInputError(
      `${options.pathspec} cannot be rebuilt from a Binder branch:\n${problems.map((p) => `  - ${p}`).join('\n')}`,
    );
  }
  const files = new Map<string, { text: Buffer; mode?: '100755' }>();
  const add = (file: string, text: string | Buffer, executable = false) =>
    files.set(file, { text: Buffer.from(text), ...(executable ? { mode: '100755' as const } : {}) });
  add('binder/environment.yml', environmentYml(template));
  add('binder/postBuild', postBuild(template), true);
  add('binder/install-npm.sh', installNpmScript(template), true);
  add(REPRODUCE_SCRIPT, reproduceScript(template), true);
  add(REPRODUCE_NOTEBOOK, reproduceNotebook(template, record.source.input));
  const context = { datastoreRoot: datastore.root, storeDir: BINDER_STORE };
  const published = options.keepIdentity ? record : publishRun(record, context);
  const publishedTasks = options.keepIdentity ? tasks : tasks.map((t) => publishTask(t, record, context));
  for (const [file, bytes] of storeFiles(datastore, published, publishedTasks)) {
    add(`${BINDER_STORE}/${file}`, bytes);
  }
  add(
    `${BINDER_STORE}/binder.json`,
    JSON.stringify(
      { run: formatPathspec({ flow: record.flow, runId: record.runId }), pins: template.pins },
      null,
      2,
    ) + '\n',
  );
  // The data the run read, at its project paths: git-ignored files are not in the snapshot.
  const inputs: string[] = [];
  for (const input of storedInputs(tasks)) {
    if (!snapshotFiles.has(input.path)) {
      add(input.path, datastore.objects.getSync(input.sha256, `input ${input.path}`));
      inputs.push(input.path);
    }
  }
  // Dependencies no registry serves: their stored tarballs, and the lockfile pointing at them.
  for (const [file, bytes] of rewrittenDependencies(datastore, record, template.projectDir)) {
    add(file, bytes);
  }

  const changes: TreeChange[] = [];
  // binder/ is replaced as a whole: stale files from the project's own binder/ must not mix in.
  for (const file of snapshotFiles.keys()) {
    if (file.startsWith('binder/') && !files.has(file)) {
      changes.push({ path: file, oid: null });
    }
  }
  for (const [file, { text, mode }] of files) {
    changes.push({
      path: file,
      oid: await git.writeBlob({ fs, gitdir, blob: text }),
      ...(mode ? { mode } : {}),
    });
  }
  const { commit: base } = await git.readCommit({ fs, gitdir, oid: snapshot.commit });
  const tree = await overlayTree(gitdir, base.tree, changes);
  const person = { ...CELLFLOW_AUTHOR, timestamp: Math.floor(Date.now() / 1000), timezoneOffset: 0 };
  const commit = await git.writeCommit({
    fs,
    gitdir,
    commit: {
      message: `cellflow binder: reproduce ${record.flow}/${record.runId} on mybinder.org\n\nOpen ${REPRODUCE_NOTEBOOK} or run ./${REPRODUCE_SCRIPT}.\n`,
      tree,
      parent: [snapshot.commit],
      author: person,
      committer: person,
    },
  });
  await git.writeRef({ fs, gitdir, ref: `refs/heads/${branch}`, value: commit });

  const urlpath = `lab/tree/${REPRODUCE_NOTEBOOK}`;
  const remotes = await git.listRemotes({ fs, gitdir });
  const ordered = [
    ...remotes.filter((r) => r.remote === 'origin'),
    ...remotes.filter((r) => r.remote !== 'origin'),
  ];
  for (const remote of ordered) {
    const github = githubRepository(remote.url);
    if (github) {
      return {
        commit,
        branch,
        repository: root,
        urlpath,
        github: { ...github, remote: remote.remote },
        pins: template.pins,
        inputs,
        url: `https://mybinder.org/v2/gh/${github.owner}/${github.repo}/${commit}?urlpath=${encodeURIComponent(urlpath)}`,
      };
    }
  }
  return { commit, branch, repository: root, urlpath, pins: template.pins, inputs };
}

/** The stored file inputs inside the project, one per path. */
function storedInputs(tasks: TaskRecord[]): { path: string; sha256: string }[] {
  const out = new Map<string, { path: string; sha256: string }>();
  for (const task of tasks) {
    for (const input of task.inputs ?? []) {
      if (input.kind !== 'directory' && input.stored && !input.path.startsWith('/') && !out.has(input.path)) {
        out.set(input.path, { path: input.path, sha256: input.sha256 });
      }
    }
  }
  return [...out.values()];
}

/** The common subset of `git check-ref-format --branch`: no '..', no component starting with '.', ... */
export function validBranchName(name: string): boolean {
  return (
    /^[A-Za-z0-9._/-]+$/.test(name) &&
    !name.includes('..') &&
    !name.includes('//') &&
    !name.endsWith('/') &&
    !name.endsWith('.lock') &&
    !name.split('/').some((part) => part.startsWith('.') || part.startsWith('-') || part === '')
  );
}

/** Whether the run's lockfile installs cellflow (then Binder puts that copy on PATH). */
function locksCellflow(datastore: Datastore, record: RunRecord): boolean {
  const sha = record.lockfile?.sha256;
  if (!sha || !datastore.objects.has(sha)) {
    return false;
  }
  try {
    const lock = JSON.parse(datastore.objects.getSync(sha).toString('utf8')) as {
      packages?: Record<string, unknown>;
      dependencies?: Record<string, unknown>;
    };
    return Boolean(lock.packages?.['node_modules/cellflow'] ?? lock.dependencies?.cellflow);
  } catch {
    return false;
  }
}

/**
 * package.json, package-lock.json and .cellflow-deps/*.tgz of the project as reproduce rewrites them
 * (local-packages.ts), keyed by their path in the repository; empty when nothing needs rewriting.
 */
function rewrittenDependencies(
  datastore: Datastore,
  record: RunRecord,
  projectDir: string,
): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const packages = record.lockfile?.localPackages ?? [];
  const manifest = record.source?.files.find((f) => f.role === 'package.json');
  const lockfile = record.source?.files.find((f) => f.role === 'lockfile');
  if (packages.length === 0 || !manifest || !lockfile) {
    return out;
  }
  const temp = fs.mkdtempSync(path.join(os.tmpdir(), 'cellflow-binder-deps-'));
  try {
    fs.writeFileSync(path.join(temp, 'package.json'), datastore.objects.getSync(manifest.sha256));
    fs.writeFileSync(path.join(temp, 'package-lock.json'), datastore.objects.getSync(lockfile.sha256));
    rewriteLocalPackages(datastore.objects, temp, packages);
    const prefix = projectDir === '.' ? '' : `${projectDir}/`;
    for (const name of ['package.json', 'package-lock.json']) {
      out.set(`${prefix}${name}`, fs.readFileSync(path.join(temp, name)));
    }
    for (const name of fs.readdirSync(path.join(temp, LOCAL_PACKAGES_DIR))) {
      out.set(
        `${prefix}${LOCAL_PACKAGES_DIR}/${name}`,
        fs.readFileSync(path.join(temp, LOCAL_PACKAGES_DIR, name)),
      );
    }
  } finally {
    fs.rmSync(temp, { recursive: true, force: true });
  }
  return out;
}

function templateFor(
  datastore: Datastore,
  record: RunRecord,
  cellflowSpec: string | undefined,
): BinderTemplate {
  const source = record.source!;
  const packageFile = source.files.find((f) => f.role === 'package.json');
  const projectDir = packageFile ? path.posix.dirname(packageFile.path) : path.posix.dirname(source.input);
  let projectIsCellflow = false;
  if (packageFile && datastore.objects.has(packageFile.sha256)) {
    try {
      const manifest = JSON.parse(datastore.objects.getSync(packageFile.sha256).toString('utf8')) as {
        name?: string;
      };
      projectIsCellflow = manifest.name === 'cellflow';
    } catch {
      projectIsCellflow = false; // not JSON: npm ci will say so on Binder
    }
  }
  return {
    flow: record.flow,
    runId: record.runId,
    pins: binderPins(record.environment?.node),
    projectDir,
    projectIsCellflow,
    ...(cellflowSpec ? { cellflowSpec } : {}),
    storeDir: BINDER_STORE,
  };
}

/**
 * The run's records and the objects reproduce needs (sources, lockfile, module) as files of a
 * datastore: `flows/<Flow>/<runId>/run.json`, task.json files, `objects/<aa>/<sha>`. Logs stay out.
 */
function storeFiles(datastore: Datastore, record: RunRecord, tasks: TaskRecord[]): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const runDir = `flows/${record.flow}/${record.runId}`;
  out.set(`${runDir}/run.json`, Buffer.from(JSON.stringify(record, null, 2) + '\n'));
  for (const task of tasks) {
    out.set(
      `${runDir}/${task.step}/${task.taskId}/task.json`,
      Buffer.from(JSON.stringify(task, null, 2) + '\n'),
    );
  }
  const objects = new Set<string>(record.source!.files.map((f) => f.sha256));
  if (record.lockfile) {
    objects.add(record.lockfile.sha256);
  }
  if (record.lockfile?.contents) {
    objects.add(record.lockfile.contents.sha256);
  }
  // The stored tarballs reproduce rewrites the lockfile to (the same blobs as .cellflow-deps/: git stores them once).
  for (const local of record.lockfile?.localPackages ?? []) {
    objects.add(local.sha256);
  }
  // The data inputs, so that reproduce restores them from the store as everywhere else.
  for (const input of storedInputs(tasks)) {
    objects.add(input.sha256);
  }
  if (record.module) {
    objects.add(record.module.typescriptSha256);
    objects.add(record.module.javascriptSha256);
  }
  for (const sha of objects) {
    if (datastore.objects.has(sha)) {
      out.set(`objects/${sha.slice(0, 2)}/${sha}`, datastore.objects.getSync(sha));
    }
  }
  return out;
}
