// The exact code of a run: the notebook, its compiled module, package.json, the lockfile and the local
// modules the flow imports, stored as datastore objects (always), plus the git state and a snapshot
// commit when the notebook lives in a git repository. The snapshot is HEAD's tree with the working
// tree's modified tracked files, its untracked files that are not ignored (staged or not) and the
// run's sources laid over it, under refs/cellflow/runs/<Flow>/<runId>; nothing else in the repository
// changes (statusMatrix runs with refresh:false so not even the index's stat cache moves). The same
// files, read once, are what the run's code package holds (code-package.ts).
import * as fs from 'fs';
import { gitFs } from './git-fs';
import { memoizedOverFiles } from './fs-memo';
import * as git from 'isomorphic-git';
import * as path from 'path';
import type { ObjectStore } from '../../datastore/objects';
import type { GitState, SourceFile, SourceRecord, SourceRole } from '../../records';
import {
  CELLFLOW_AUTHOR,
  gitdirOf,
  oidAtPath,
  overlayTree,
  writeBlobOnce,
  type TreeChange,
} from './git-tree';
import type { CodeFile } from './code-package';
import { localModules } from './local-modules';
import { stripUrlCredentials } from './secrets';

export interface SourceInput {
  inputPath: string;
  /** The exact bytes that were compiled (the notebook, or the .flow.ts). */
  inputText: string;
  moduleFilename: string;
  typescript: string;
  packageJson?: string;
  lockfile?: string;
  flow: string;
  runId: string;
  /** A directory inside the repository that is not part of the sources (the datastore itself). */
  exclude?: string;
  /** Where the repository's status is remembered between runs (fs-memo.ts); none: always computed. */
  statusCacheFile?: string;
}

const toPosix = (p: string) => p.split(path.sep).join('/');

export async function findGitRoot(dir: string): Promise<string | undefined> {
  try {
    return await git.findRoot({ fs: gitFs, filepath: dir });
  } catch {
    return undefined;
  }
}

export function snapshotRef(flow: string, runId: string): string {
  return `refs/cellflow/runs/${flow}/${runId}`;
}

export interface CapturedSource {
  record: SourceRecord;
  /** Every file of the snapshot (or, outside git, the stored sources): the code package's content. */
  codeFiles: CodeFile[];
  /** Said once by `run` (a git-ignored helper the snapshot holds anyway, an import outside root). */
  warnings: string[];
}

export async function captureSource(
  objects: ObjectStore,
  input: SourceInput,
  gitRoot: string | undefined,
): Promise<CapturedSource> {
  const inputDir = path.dirname(input.inputPath);
  const projectRoot = input.packageJson ? path.dirname(input.packageJson) : inputDir;
  const root = gitRoot ?? (isInside(inputDir, projectRoot) ? projectRoot : inputDir);
  const rel = (file: string) => toPosix(path.relative(root, file));

  const contents: { file: string; role: SourceRole; bytes: Buffer }[] = [];
  const isNotebook = input.inputPath.endsWith('.ipynb');
  contents.push({
    file: input.inputPath,
    role: isNotebook ? 'notebook' : 'module',
    bytes: Buffer.from(input.inputText),
  });
  if (isNotebook) {
    contents.push({ file: input.moduleFilename, role: 'module', bytes: Buffer.from(input.typescript) });
  }
  for (const [file, role] of [
    [input.packageJson, 'package.json'],
    [input.lockfile, 'lockfile'],
  ] as const) {
    if (file && isInside(file, root)) {
      contents.push({ file, role, bytes: await fs.promises.readFile(file) });
    }
  }
  const warnings: string[] = [];
  for (const file of localModules(input.moduleFilename, input.typescript)) {
    if (contents.some((c) => c.file === file)) {
      continue;
    }
    if (!isInside(file, root)) {
      warnings.push(
        `the flow imports ${file}, which is outside the project (${root}): the run's record does not hold it, so a reproduction elsewhere will miss it`,
      );
      continue;
    }
    contents.push({ file, role: 'local-module', bytes: await fs.promises.readFile(file) });
  }
  const files: SourceFile[] = [];
  for (const item of contents) {
    const blob = await objects.put(item.bytes);
    files.push({ path: rel(item.file), role: item.role, sha256: blob.sha256, bytes: blob.bytes });
  }
  const moduleFile = files.find((f) => f.role === 'module')!;
  const record: SourceRecord = {
    root,
    workdir: rel(inputDir),
    input: rel(input.inputPath),
    ...(isNotebook ? { notebook: { path: files[0].path, sha256: files[0].sha256 } } : {}),
    module: { path: moduleFile.path, sha256: moduleFile.sha256 },
    files,
  };
  const sourceFiles = contents.map((c) => ({ path: rel(c.file), bytes: c.bytes }));
  if (gitRoot) {
    try {
      const captured = await captureGit(gitRoot, sourceFiles, input);
      record.git = captured.state;
      for (const file of captured.ignoredSources) {
        warnings.push(
          `${file} is git-ignored, but the flow imports it: the run's snapshot and code package hold it anyway (commit it, or stop ignoring it)`,
        );
      }
      return { record, codeFiles: captured.codeFiles, warnings };
    } catch (error) {
      record.gitError = (error as Error).message;
    }
  }
  return { record, codeFiles: sourceFiles, warnings };
}

function isInside(file: string, dir: string): boolean {
  const relative = path.relative(dir, file);
  return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative));
}

/**
 * statusMatrix `filepaths` that cover the whole repository except `exclude`: at each level on the way
 * down to it, every sibling. A datastore inside the repository that is not git-ignored would
 * otherwise be walked file by file on every run (and listed as dirty, object by object).
 */
async function pathsExcluding(dir: string, gitdir: string, exclude: string | undefined): Promise<string[]> {
  const relative = exclude ? path.relative(dir, exclude) : '';
  if (!exclude || relative === '' || relative.startsWith('..') || path.isAbsolute(relative)) {
    return ['.'];
  }
  const parts = relative.split(path.sep);
  const paths: string[] = [];
  for (let depth = 0; depth < parts.length; depth++) {
    const parent = parts.slice(0, depth);
    // A git-ignored folder on the way (bench/out/, build/) holds nothing the status reports (save
    // files force-added there): listing its other entries would only make isomorphic-git look at
    // them, and make the remembered status depend on every folder created beside the datastore.
    if (depth > 0 && (await git.isIgnored({ fs: gitFs, dir, gitdir, filepath: parent.join('/') }))) {
      break;
    }
    let names: string[];
    try {
      names = await fs.promises.readdir(path.join(dir, ...parent));
    } catch {
      return ['.'];
    }
    for (const name of names) {
      if (name === parts[depth] || (depth === 0 && name === '.git')) {
        continue;
      }
      paths.push([...parent, name].join('/'));
    }
  }
  return paths;
}

async function captureGit(
  dir: string,
  sources: { path: string; bytes: Buffer }[],
  input: SourceInput,
): Promise<{ state: GitState; codeFiles: CodeFile[]; ignoredSources: string[] }> {
  const gitdir = gitdirOf(dir);
  const cache = {};
  let head: string | null = null;
  try {
    head = await git.resolveRef({ fs: gitFs, dir, gitdir, ref: 'HEAD' });
  } catch {
    head = null; // a repository without commits yet
  }
  const branch = (await git.currentBranch({ fs: gitFs, dir, gitdir, fullname: false })) || null;
  const filepaths = await pathsExcluding(dir, gitdir, input.exclude);
  // The key holds every input that is not a file: what is compared, and isomorphic-git's version.
  const key = JSON.stringify({ dir, gitdir, filepaths, isomorphicGit: git.version() });
  const matrix = await memoizedOverFiles(input.statusCacheFile, key, (files) =>
    git.statusMatrix({ fs: files, dir, gitdir, cache, refresh: false, filepaths }),
  );
  const dirty: string[] = [];
  const changes = new Map<string, TreeChange>();
  const codeFiles = new Map<string, CodeFile>();
  for (const [file, headStatus, workdirStatus, stageStatus] of matrix) {
    // Every file present in the working tree is part of the snapshot, read from disk once for the
    // code package (an unchanged tracked file's bytes are its blob's).
    if (workdirStatus !== 0) {
      const codeFile = await readCodeFile(dir, file);
      if (codeFile) {
        codeFiles.set(file, codeFile);
      }
    }
    if (headStatus === 1 && workdirStatus === 1 && stageStatus === 1) {
      continue;
    }
    const status = headStatus === 0 ? (stageStatus === 0 ? '??' : 'A') : workdirStatus === 0 ? 'D' : 'M';
    dirty.push(`${status} ${file}`);
    if (headStatus === 1 && workdirStatus === 0) {
      changes.set(file, { path: file, oid: null });
    }
    // Modified tracked files, and new files (untracked but not ignored, or staged): as they are now.
    const codeFile = codeFiles.get(file);
    if (workdirStatus === 2 && codeFile && !codeFile.symlink) {
      const oid = await writeBlobOnce(gitdir, codeFile.bytes);
      changes.set(file, { path: file, oid, mode: codeFile.executable ? '100755' : '100644' });
    }
  }
  const ignoredSources: string[] = [];
  for (const source of sources) {
    if (
      !codeFiles.has(source.path) &&
      (await git.isIgnored({ fs: gitFs, dir, gitdir, filepath: source.path }))
    ) {
      ignoredSources.push(source.path);
    }
    codeFiles.set(source.path, { path: source.path, bytes: source.bytes });
  }
  const baseTree = head ? (await git.readCommit({ fs: gitFs, gitdir, oid: head, cache })).commit.tree : null;
  // The run's own sources win over whatever the working tree holds now: they are what ran.
  for (const source of sources) {
    const atBase = await oidAtPath(gitdir, baseTree, source.path, cache);
    const oid = await writeBlobOnce(gitdir, source.bytes, atBase);
    changes.set(source.path, { path: source.path, oid });
  }
  const tree = await overlayTree(gitdir, baseTree, [...changes.values()]);
  const timestamp = Math.floor(Date.now() / 1000);
  const person = { ...CELLFLOW_AUTHOR, timestamp, timezoneOffset: 0 };
  const commit = await git.writeCommit({
    fs: gitFs,
    gitdir,
    commit: {
      message: `cellflow run ${input.flow}/${input.runId}\n\nThe exact sources of the run: ${sources.map((s) => s.path).join(', ')}.\n`,
      tree,
      parent: head ? [head] : [],
      author: person,
      committer: person,
    },
  });
  const ref = snapshotRef(input.flow, input.runId);
  await git.writeRef({ fs: gitFs, gitdir, ref, value: commit });
  const remotes = await git.listRemotes({ fs: gitFs, dir, gitdir });
  const remote = remotes.find((r) => r.remote === 'origin') ?? remotes[0];
  const state: GitState = {
    head,
    branch,
    dirty,
    ...(remote ? { remote: { name: remote.remote, url: stripUrlCredentials(remote.url) } } : {}),
    snapshot: { commit, ref },
  };
  return { state, codeFiles: [...codeFiles.values()], ignoredSources };
}

/** A working-tree file as the code package holds it; undefined when it vanished meanwhile. */
async function readCodeFile(dir: string, file: string): Promise<CodeFile | undefined> {
  const absolute = path.join(dir, ...file.split('/'));
  try {
    const stat = await fs.promises.lstat(absolute);
    if (stat.isSymbolicLink()) {
      return { path: file, bytes: Buffer.from(await fs.promises.readlink(absolute)), symlink: true };
    }
    if (!stat.isFile()) {
      return undefined;
    }
    return { path: file, bytes: await fs.promises.readFile(absolute), executable: (stat.mode & 0o111) !== 0 };
  } catch {
    return undefined;
  }
}
