// `cellflow binder RUN`: a branch that mybinder.org builds into JupyterLab reproducing the run.
import type { Command } from 'commander';
import type { CliIO } from '../io';

export function registerBinder(program: Command, io: CliIO): void {
  program
    .command('binder')
    .description(
      "commit the run's sources, lockfile, records and a binder/ pinned to its environment, point a branch at it, and print the mybinder.org URL",
    )
    .argument('<run>', 'run pathspec Flow/runId (recorded in a git repository)')
    .option('--branch <name>', 'branch to create (default: cellflow/binder/<Flow>/<runId>)')
    .option(
      '--cellflow-spec <spec>',
      "what Binder installs as cellflow when the project does not lock it (npm spec; default: cellflow@<the run's version>)",
    )
    .option(
      '--keep-identity',
      'publish the records as recorded (absolute paths, user name, host); by default paths are relative to the project and user and host are left out',
    )
    .action(async (run: string, opts: { branch?: string; cellflowSpec?: string; keepIdentity?: boolean }) => {
      // Loaded on use: isomorphic-git is slow to load, which every other command would pay at start.
      const { exportBinder } = await import('../../runtime/repro/binder');
      const result = await exportBinder({
        pathspec: run,
        branch: opts.branch,
        cellflowSpec: opts.cellflowSpec,
        keepIdentity: opts.keepIdentity,
      });
      const remote = result.github?.remote ?? 'origin';
      const lines = [
        `✓ binder commit ${result.commit} for ${run}`,
        `  branch:  ${result.branch} (in ${result.repository}; nothing else changed)`,
        `  push:    git push ${remote} ${result.branch}`,
      ];
      if (result.url) {
        lines.push(`  launch:  ${result.url}`);
      } else {
        lines.push(
          '  launch:  the repository has no GitHub remote; push the branch to a public GitHub repository, then open',
          `           https://mybinder.org/v2/gh/OWNER/REPO/${result.commit}?urlpath=${encodeURIComponent(result.urlpath)}`,
        );
      }
      lines.push(
        `  pinned:  nodejs=${result.pins.nodejs} python=${result.pins.python} jupyterlab=${result.pins.jupyterlab}`,
        ...result.pins.notes.slice(0, 1).map((note) => `  note:    ${note}`),
      );
      if (result.inputs.length > 0) {
        lines.push(`  data:    ${result.inputs.join(', ')} (the stored inputs, on the branch)`);
      }
      lines.push(`  locally: git worktree add DIR ${result.branch} && DIR/reproduce.sh`);
      io.stdout(lines.join('\n') + '\n');
    });
}
