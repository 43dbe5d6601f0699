// `cellflow predictions FLOW [--endpoint E] [--since T] [--json]`: the prediction log, oldest first.
import type { Command } from 'commander';
import { checkName, Datastore } from '../../runtime';
import { logStorageOf, readPredictions, type PredictionRecord } from '../../runtime/serve';
import { formatTime, renderTable } from './display';
import { parseCount } from './options';
import { parseSince } from './since';
import type { CliIO } from '../io';

interface PredictionsOptions {
  endpoint?: string;
  since?: Date;
  limit?: number;
  json?: boolean;
}

export function registerPredictions(program: Command, io: CliIO): void {
  program
    .command('predictions')
    .description("list a flow's logged predictions (from cellflow serve), oldest first")
    .argument('<flow>', 'flow name')
    .option('--endpoint <name>', 'only this endpoint')
    .option(
      '--since <time>',
      'only predictions since an ISO time or a span back from now (30m, 6h, 7d)',
      (v) => parseSince(v),
    )
    .option('-n, --limit <count>', 'only the newest COUNT', parseCount)
    .option('--json', 'print the records as JSON (one array)')
    .action(async (flow: string, options: PredictionsOptions) => {
      io.stdout(await listPredictions(Datastore.open(), flow, options));
    });
}

export async function listPredictions(
  datastore: Datastore,
  flow: string,
  options: PredictionsOptions,
): Promise<string> {
  checkName('flow name', flow);
  if (options.endpoint !== undefined) {
    checkName('endpoint name', options.endpoint);
  }
  let records = await readPredictions(logStorageOf(datastore), flow, options);
  if (options.limit !== undefined) {
    records = records.slice(-options.limit);
  }
  if (options.json) {
    return JSON.stringify(records, null, 2) + '\n';
  }
  if (records.length === 0) {
    return `no predictions of ${flow}${options.endpoint ? `/${options.endpoint}` : ''} logged\n`;
  }
  return renderTable(
    ['ID', 'TIME', 'ENDPOINT', 'RUN', 'STATUS', 'LATENCY', 'RESPONSE'],
    records.map((r: PredictionRecord) => [
      r.id,
      formatTime(r.time),
      r.endpoint,
      r.run,
      String(r.status),
      `${r.latencyMs.toFixed(2)}ms`,
      truncate(JSON.stringify(r.response), 60),
    ]),
  );
}

function truncate(text: string, width: number): string {
  return text.length <= width ? text : `${text.slice(0, width - 1)}…`;
}
