// `cellflow gc [--dry-run] [--grace SECONDS] [--datastore DIR]`: removes what no run needs any more:
// objects no record mentions, snapshot refs of deleted runs in the project's repository, and the
// temporary directories finished reproductions left behind. Safe beside running runs (see gc.ts).
import type { Command } from 'commander';
import * as fs from 'fs';
import { Datastore, UserInputError } from '../../runtime';
import { sweepObjects } from '../../runtime/datastore';
import { deleteRefs, leftoverReproductionDirs, staleSnapshotRefs } from '../../runtime/repro/replay';
import type { CliIO } from '../io';
import { formatBytes } from './display';
import { parseInteger } from './options';

interface GcCommandOptions {
  dryRun?: boolean;
  grace: number;
  json?: boolean;
}

const DEFAULT_GRACE_SECONDS = 3600;

export function registerGc(program: Command, io: CliIO): void {
  program
    .command('gc')
    .description(
      'remove objects no run refers to, snapshot refs of deleted runs and left-over reproduction directories',
    )
    .option('--dry-run', 'list what would be removed, remove nothing')
    .option(
      '--grace <seconds>',
      'never remove an object younger than this',
      parseInteger,
      DEFAULT_GRACE_SECONDS,
    )
    .option('--json', 'print what was removed as JSON')
    .action(async (options: GcCommandOptions) => {
      // The datastore to clean is the global --datastore (or its default).
      const datastore = Datastore.open();
      if (!datastore.isLocal) {
        throw new UserInputError(
          `gc cleans a local datastore; ${datastore.root} is a bucket (not supported yet)`,
        );
      }
      if (!fs.existsSync(datastore.root) || !fs.statSync(datastore.root).isDirectory()) {
        throw new UserInputError(`no datastore at ${datastore.root}`);
      }
      if (options.grace < 0) {
        throw new UserInputError(`--grace must not be negative (got ${options.grace})`);
      }
      const dryRun = options.dryRun === true;
      const objects = sweepObjects(datastore, { dryRun, graceMs: options.grace * 1000 });
      const refs = await staleSnapshotRefs(datastore, process.cwd());
      const reproductions = leftoverReproductionDirs(datastore);
      if (!dryRun) {
        if (refs) {
          await deleteRefs(refs);
        }
        for (const dir of reproductions) {
          fs.rmSync(dir, { recursive: true, force: true });
        }
      }
      if (options.json) {
        const report = { dryRun, objects, snapshotRefs: refs?.refs ?? [], reproductionDirs: reproductions };
        io.stdout(JSON.stringify(report, null, 2) + '\n');
        return;
      }
      const verb = dryRun ? 'would remove' : 'removed';
      const lines = [
        `${verb} ${objects.removed.length} unreferenced objects (${formatBytes(objects.bytes)}) from ${datastore.root}` +
          ` (kept ${objects.referenced} referenced, ${objects.young} newer than ${objects.cutoff})`,
        ...(objects.tempFiles
          ? [`${verb} ${objects.tempFiles} left-over temp files of interrupted writes`]
          : []),
        `${verb} ${refs?.refs.length ?? 0} snapshot refs of deleted runs${refs ? '' : ' (not in a git repository)'}`,
        ...(refs?.refs ?? []).map((ref) => `  ${ref}`),
        `${verb} ${reproductions.length} reproduction directories`,
        ...reproductions.map((dir) => `  ${dir}`),
      ];
      io.stdout(lines.join('\n') + '\n');
    });
}
