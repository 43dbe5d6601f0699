// `cellflow fsck [--datastore DIR|s3://...]`: re-hashes every object and checks every record's references.
// Exit 0 when the datastore is intact, 1 when anything is damaged (each damaged object is listed with
// the runs, steps, tasks and artifacts that use it), 2 when there is no datastore to check.
import type { Command } from 'commander';
import * as fs from 'fs';
import { Datastore, UserInputError } from '../../runtime';
import { fsckDatastore, type FsckReport } from '../../runtime/datastore';
import { EXIT_FAILED } from '../errors';
import type { CliIO } from '../io';
import { formatBytes } from './display';

interface FsckOptions {
  json?: boolean;
  rebuildIndex?: boolean;
}

export function registerFsck(program: Command, io: CliIO): void {
  program
    .command('fsck')
    .description("verify every object's sha256 and every record's references; list what damage affects")
    .option('--json', 'print the report as JSON')
    .option(
      '--rebuild-index',
      "rewrite each flow's run summary index (what `runs` lists) from the run records",
    )
    .action(async (options: FsckOptions) => {
      // The datastore to check is the global --datastore (or its default).
      const datastore = Datastore.open();
      if (
        datastore.isLocal &&
        (!fs.existsSync(datastore.root) || !fs.statSync(datastore.root).isDirectory())
      ) {
        throw new UserInputError(`no datastore at ${datastore.root}`);
      }
      const report = await fsckDatastore(datastore, { rebuildIndex: options.rebuildIndex });
      io.stdout(options.json ? JSON.stringify(report, null, 2) + '\n' : formatReport(report));
      if (isDamaged(report)) {
        io.exitCode = EXIT_FAILED;
      }
    });
}

export function isDamaged(report: FsckReport): boolean {
  return report.damagedObjects.length > 0 || report.damagedRecords.length > 0;
}

export function formatReport(report: FsckReport): string {
  const lines = [
    `checked ${report.objects} objects (${formatBytes(report.bytes)}), ${report.runs} runs, ${report.tasks} tasks in ${report.root}`,
  ];
  for (const object of report.damagedObjects) {
    lines.push(`✗ object ${object.sha256} ${object.detail}`);
    if (object.references.length === 0) {
      lines.push('    not used by any record');
    }
    for (const ref of object.references) {
      lines.push(`    used by ${ref.pathspec}: ${ref.role}`);
    }
  }
  for (const record of report.damagedRecords) {
    lines.push(`✗ record ${record.pathspec} (${record.file}) ${record.detail}`);
  }
  if (report.strayFiles.length > 0) {
    lines.push(
      `${report.strayFiles.length} stray file(s) under objects/ (temp files of interrupted writes; never read): ${report.strayFiles.slice(0, 5).join(', ')}${report.strayFiles.length > 5 ? ', ...' : ''}`,
    );
  }
  if (report.staleIndex.length > 0) {
    lines.push(
      `${report.staleIndex.length} run(s) summarised differently in the run index than in their records${report.rebuiltIndex.length ? ' (rebuilt)' : ' (cellflow fsck --rebuild-index rewrites it)'}: ${report.staleIndex.slice(0, 5).join(', ')}${report.staleIndex.length > 5 ? ', ...' : ''}`,
    );
  }
  if (report.rebuiltIndex.length > 0) {
    lines.push(`rebuilt the run index of ${report.rebuiltIndex.join(', ')}`);
  }
  if (isDamaged(report)) {
    lines.push(
      `damage: ${report.damagedObjects.length} object(s), ${report.damagedRecords.length} record(s); affected runs: ${report.affectedRuns.join(', ') || 'none'}`,
    );
  } else {
    lines.push('ok: no damage found');
  }
  return lines.join('\n') + '\n';
}
