// captureRunProvenance: the reproducibility part of run.json (source, lockfile, environment),
// captured concurrently, with secrets scrubbed from all of it.
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import type { Datastore } from '../../datastore/datastore';
import type { CodePackageRecord, EnvironmentRecord, LockfileRecord, SourceRecord } from '../../records';
import { writeCodePackage } from './code-package';
import { captureEnvironment } from './environment';
import { captureLockfile, findLockfile } from './lockfile';
import { scrub, secretValues } from './secrets';
import { captureSource, findGitRoot } from './source';
import { cacheEnabled } from '../../caches';

export interface Provenance {
  source: SourceRecord;
  /** The snapshot's files as one object: what a bare machine needs to run the flow. */
  code: CodePackageRecord;
  lockfile: LockfileRecord;
  environment: EnvironmentRecord;
}

/** What capture hands the run: the record's fields, and warnings `run` prints once (not recorded). */
export interface CapturedProvenance {
  provenance: Provenance;
  warnings: string[];
}

export interface ProvenanceInput {
  flow: string;
  runId: string;
  inputPath: string;
  inputText: string;
  moduleFilename: string;
  typescript: string;
}

/** The nearest `name` from `start` upward, not above `stop`. */
function findUp(start: string, name: string, stop?: string): string | undefined {
  for (let dir = path.resolve(start); ; dir = path.dirname(dir)) {
    const file = path.join(dir, name);
    if (fs.existsSync(file)) {
      return file;
    }
    if ((stop && path.resolve(stop) === dir) || dir === path.dirname(dir)) {
      return undefined;
    }
  }
}

/** Packages the flow module imports (`from 'x'`, `require('x')`), node: built-ins aside. */
function bareImports(typescript: string): string[] {
  const names = new Set<string>();
  for (const match of typescript.matchAll(
    /(?:\bfrom\s*|\brequire\s*\(\s*|\bimport\s*\(\s*|\bimport\s+)['"]([^'"./][^'"]*)['"]/g,
  )) {
    if (!match[1].startsWith('node:')) {
      names.add(match[1]);
    }
  }
  return [...names];
}

/** What capture remembers between runs, per directory: `<datastore>/cache/<kind>/<hash of its path>.json`. */
function cacheFile(datastore: Datastore, kind: 'drift' | 'git-status', dir: string): string | undefined {
  if (!cacheEnabled(kind)) {
    return undefined;
  }
  const key = createHash('sha256').update(path.resolve(dir)).digest('hex').slice(0, 24);
  return path.join(datastore.cacheDir, kind, `${key}.json`);
}

export async function captureRunProvenance(
  datastore: Datastore,
  input: ProvenanceInput,
): Promise<CapturedProvenance> {
  const dir = path.dirname(input.inputPath);
  const gitRoot = await findGitRoot(dir);
  const lockfilePath = findLockfile(dir, gitRoot);
  const packageJson = lockfilePath
    ? fs.existsSync(path.join(path.dirname(lockfilePath), 'package.json'))
      ? path.join(path.dirname(lockfilePath), 'package.json')
      : undefined
    : findUp(dir, 'package.json', gitRoot);
  const projectDir = path.dirname(lockfilePath ?? packageJson ?? input.inputPath);
  const [source, lockfile] = await Promise.all([
    captureSource(
      datastore.objects,
      {
        ...input,
        packageJson,
        lockfile: lockfilePath,
        exclude: datastore.isLocal ? datastore.root : undefined,
        statusCacheFile: gitRoot ? cacheFile(datastore, 'git-status', gitRoot) : undefined,
      },
      gitRoot,
    ),
    captureLockfile(datastore.objects, lockfilePath, projectDir, cacheFile(datastore, 'drift', projectDir), {
      projectRoot: gitRoot ?? projectDir,
      packCacheDir: cacheEnabled('local-packages')
        ? path.join(datastore.cacheDir, 'local-packages')
        : undefined,
      imports: bareImports(input.typescript),
    }),
  ]);
  if (lockfile.record.path !== null && lockfilePath) {
    lockfile.record.path = path.relative(source.record.root, lockfilePath).split(path.sep).join('/');
  }
  const code = await writeCodePackage(datastore.objects, source.codeFiles);
  const provenance: Provenance = {
    source: source.record,
    code,
    lockfile: lockfile.record,
    environment: captureEnvironment(),
  };
  const secrets = secretValues();
  return {
    provenance: scrub(provenance, secrets),
    warnings: scrub([...source.warnings, ...lockfile.warnings], secrets),
  };
}
