// `cellflow status RUN`: what differs now from what a run used, as `dvc status` does for its stages:
// every data input changed or deleted, every source file changed, every dependency drifted since,
// every environment fact that differs. Read-only: it hashes files, writes nothing.
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { Datastore, formatPathspec, parseRunPathspec } from '../../datastore/datastore';
import { UserInputError } from '../../errors';
import type { DataInput, RunRecord } from '../../records';
import { environmentDifferences } from './environment-diff';
import { lockedPackages, sha256Of } from '../capture/lockfile';
import { PackageContents } from '../capture/package-contents';
import { cellflowVersion } from '../capture/package-version';

export interface FileState {
  bytes: number;
  sha256: string;
}

export interface FileChange {
  path: string;
  status: 'changed' | 'deleted';
  old: FileState;
  new?: FileState;
  /** For data inputs: the tasks that read it (pathspecs), at most a few. */
  readBy?: string[];
}

export interface StatusReport {
  run: string;
  /** Where the project was when the run was made (paths below are relative to it). */
  root: string;
  inputs: FileChange[];
  sources: FileChange[];
  dependencies: string[];
  environment: string[];
  /** True when nothing differs. */
  clean: boolean;
}

function stateOf(file: string): FileState | undefined {
  try {
    const bytes = fs.readFileSync(file);
    return { bytes: bytes.length, sha256: sha256Of(bytes) };
  } catch {
    return undefined;
  }
}

function directoryState(dir: string): FileState | undefined {
  try {
    const names = fs.readdirSync(dir).sort();
    return { bytes: names.length, sha256: createHash('sha256').update(names.join('\n')).digest('hex') };
  } catch {
    return undefined;
  }
}

export function runStatus(pathspec: string, datastoreRoot?: string): StatusReport {
  const spec = parseRunPathspec(pathspec);
  const datastore = Datastore.open({ root: datastoreRoot });
  const record = datastore.readRun(spec.flow, spec.runId);
  if (!record.source) {
    throw new UserInputError(
      `${pathspec}: the run records no sources (it ran before cellflow recorded them); there is nothing to compare.`,
    );
  }
  const root = record.source.root;
  const at = (relative: string) =>
    path.isAbsolute(relative) ? relative : path.join(root, ...relative.split('/'));

  const inputs: FileChange[] = [];
  const byPath = new Map<string, { input: DataInput; readBy: string[] }>();
  for (const task of datastore.listTasks(spec.flow, spec.runId)) {
    for (const input of task.inputs ?? []) {
      const seen = byPath.get(input.path);
      const pathspecOfTask = formatPathspec(task);
      if (seen) {
        seen.readBy.push(pathspecOfTask);
      } else {
        byPath.set(input.path, { input, readBy: [pathspecOfTask] });
      }
    }
  }
  for (const [file, { input, readBy }] of [...byPath].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const now = input.kind === 'directory' ? directoryState(at(file)) : stateOf(at(file));
    if (now?.sha256 === input.sha256) {
      continue;
    }
    inputs.push({
      path: file,
      status: now ? 'changed' : 'deleted',
      old: { bytes: input.bytes, sha256: input.sha256 },
      ...(now ? { new: now } : {}),
      readBy: readBy.slice(0, 3),
    });
  }

  const sources: FileChange[] = [];
  for (const file of record.source.files) {
    // The compiled module exists only in the datastore; the notebook it came from is compared.
    if (file.role === 'module' && record.source.notebook) {
      continue;
    }
    const now = stateOf(at(file.path));
    if (now?.sha256 === file.sha256) {
      continue;
    }
    sources.push({
      path: file.path,
      status: now ? 'changed' : 'deleted',
      old: { bytes: file.bytes, sha256: file.sha256 },
      ...(now ? { new: now } : {}),
    });
  }

  const environment = record.environment
    ? environmentDifferences(record.environment).map((d) => d.message)
    : ['the run records no environment'];
  if (record.environment && record.environment.versions.cellflow !== cellflowVersion()) {
    environment.push(
      `cellflow ${cellflowVersion()} here, the run used ${record.environment.versions.cellflow}`,
    );
  }

  const report: StatusReport = {
    run: formatPathspec(spec),
    root,
    inputs,
    sources,
    dependencies: dependencyChanges(datastore, record),
    environment,
    clean: false,
  };
  report.clean =
    report.inputs.length + report.sources.length + report.dependencies.length + report.environment.length ===
    0;
  return report;
}

/** Installed packages now against what the run locked and measured (version, content). */
function dependencyChanges(datastore: Datastore, record: RunRecord): string[] {
  const lockfile = record.lockfile;
  const source = record.source!;
  if (!lockfile || !datastore.objects.has(lockfile.sha256)) {
    return [];
  }
  const lockPath = lockfile.path ?? source.files.find((f) => f.role === 'lockfile')?.path;
  const lockDir = path.dirname(path.join(source.root, ...(lockPath ?? 'package-lock.json').split('/')));
  const lock = JSON.parse(datastore.objects.getSync(lockfile.sha256).toString('utf8')) as Parameters<
    typeof lockedPackages
  >[0];
  const contents =
    lockfile.contents && datastore.objects.has(lockfile.contents.sha256)
      ? (JSON.parse(datastore.objects.getSync(lockfile.contents.sha256).toString('utf8')) as Record<
          string,
          string
        >)
      : {};
  const measure = PackageContents.forNodeModules(lockDir);
  const lines: string[] = [];
  for (const [key, locked] of Object.entries(lockedPackages(lock))) {
    if (!key.includes('node_modules/') || locked.link) {
      continue;
    }
    const manifest = path.join(lockDir, key, 'package.json');
    let version: string | undefined;
    try {
      version = (JSON.parse(fs.readFileSync(manifest, 'utf8')) as { version?: string }).version;
    } catch {
      if (!locked.optional) {
        lines.push(`${key}: missing (locked ${locked.version ?? '?'})`);
      }
      continue;
    }
    if (version !== locked.version) {
      lines.push(`${key}: ${version} installed, the run locked ${locked.version ?? '?'}`);
      continue;
    }
    const then = contents[key];
    const now = then ? measure.measure(lockDir, key, locked.version, locked.integrity)?.sha256 : undefined;
    if (then && now && now !== then) {
      lines.push(`${key}: its files changed since the run (same version ${version})`);
    }
  }
  measure.save();
  return lines;
}

export function formatStatus(report: StatusReport): string {
  if (report.clean) {
    return `${report.run}: nothing differs from what the run used\n`;
  }
  const size = (s?: FileState) => (s ? `${s.bytes} B ${s.sha256.slice(0, 12)}` : '-');
  const lines = [`${report.run} (project ${report.root}):`];
  const files = (title: string, changes: FileChange[]) => {
    if (changes.length === 0) {
      return;
    }
    lines.push(`  ${title}:`);
    for (const c of changes) {
      lines.push(
        `    ${c.status.padEnd(8)} ${c.path}  (${size(c.old)} → ${c.status === 'deleted' ? 'deleted' : size(c.new)})`,
      );
    }
  };
  files('data inputs', report.inputs);
  files('sources', report.sources);
  if (report.dependencies.length) {
    lines.push('  dependencies:', ...report.dependencies.map((d) => `    ${d}`));
  }
  if (report.environment.length) {
    lines.push('  environment:', ...report.environment.map((d) => `    ${d}`));
  }
  return lines.join('\n') + '\n';
}
