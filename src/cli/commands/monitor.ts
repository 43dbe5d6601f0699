// `cellflow monitor FLOW/ENDPOINT [--since T] [--json]`: per numeric feature, the drift of the logged
// requests from the run's reference data: PSI and the Kolmogorov–Smirnov statistic.
import type { Command } from 'commander';
import { checkName, Datastore, PathspecError } from '../../runtime';
import { monitorEndpoint } from '../../runtime/serve';
import type { CliIO } from '../io';
import { renderTable } from './display';
import { parseSince } from './since';

export function registerMonitor(program: Command, io: CliIO): void {
  program
    .command('monitor')
    .description("drift of an endpoint's logged requests from the run's reference data (PSI, KS)")
    .argument('<flow/endpoint>', 'e.g. churn/predict')
    .option('--since <time>', 'only requests since an ISO time or a span back from now (30m, 6h, 7d)', (v) =>
      parseSince(v),
    )
    .option('--json', 'print JSON')
    .action(async (target: string, options: { since?: Date; json?: boolean }) => {
      const [flow, endpoint, ...rest] = target.split('/');
      if (!endpoint || rest.length > 0) {
        throw new PathspecError(`${JSON.stringify(target)}: expected FLOW/ENDPOINT, e.g. churn/predict`);
      }
      checkName('flow name', flow);
      checkName('endpoint name', endpoint);
      const drift = await monitorEndpoint(Datastore.open(), flow, endpoint, { since: options.since });
      if (options.json) {
        return io.stdout(JSON.stringify(drift, null, 2) + '\n');
      }
      if (drift.length === 0) {
        return io.stdout(
          `no answered requests of ${flow}/${endpoint} logged${options.since ? ' in that time' : ''}\n`,
        );
      }
      for (const run of drift) {
        io.stdout(
          `${run.run} /${run.endpoint}: ${run.requests} requests against reference '${run.reference}'\n`,
        );
        io.stdout(
          renderTable(
            ['FEATURE', 'REF MEAN', 'REQ MEAN', 'PSI', 'KS', 'DRIFT'],
            run.features.map((f) => [
              f.feature,
              f.reference.mean.toFixed(3),
              f.requests.mean.toFixed(3),
              f.psi.toFixed(3),
              f.ks.toFixed(3),
              f.level,
            ]),
          ),
        );
      }
    });
}
