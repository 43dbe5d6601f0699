// `cellflow serve RUN|FLOW [--port N] [--host H] [--token T] [--follow]`: serves a run's endpoints
// over HTTP (src/runtime/serve/http-server.ts) until SIGTERM or SIGINT, then finishes the requests in
// flight, flushes the prediction log and exits 0.
import { InvalidArgumentError, type Command } from 'commander';
import { Datastore } from '../../runtime';
import {
  DEFAULT_MAX_BODY_BYTES,
  logStorageOf,
  PredictionLog,
  PredictionServer,
  resolveServeTarget,
} from '../../runtime/serve';
import type { CliIO } from '../io';
import { parseInteger } from './options';

interface ServeCommandOptions {
  port: number;
  host: string;
  token?: string;
  follow?: boolean;
  log: boolean;
  maxBody: number;
}

function parsePort(value: string): number {
  const port = parseInteger(value);
  if (port < 0 || port > 65535) {
    throw new InvalidArgumentError(`'${value}' is not a port (0-65535; 0 picks a free one).`);
  }
  return port;
}

function parseBytes(value: string): number {
  const bytes = parseInteger(value);
  if (bytes < 1) {
    throw new InvalidArgumentError(`'${value}' must be at least 1.`);
  }
  return bytes;
}

export function registerServe(program: Command, io: CliIO): void {
  program
    .command('serve')
    .description("serve a run's endpoint:NAME cells over HTTP (POST /NAME), logging every prediction")
    .argument('<target>', 'Flow/runId, or a flow name (its newest successful run with endpoints)')
    .option('--port <n>', 'port to listen on (0: a free port)', parsePort, 8080)
    .option('--host <host>', 'address to bind (default: loopback only)', '127.0.0.1')
    .option('--token <token>', 'require Authorization: Bearer TOKEN (default: $CELLFLOW_SERVE_TOKEN)')
    .option('--follow', "switch to the flow's newer successful runs as they appear")
    .option('--no-log', 'do not log predictions (measurements only: nothing can be replayed)')
    .option(
      '--max-body <bytes>',
      'largest request body accepted (413 above it)',
      parseBytes,
      DEFAULT_MAX_BODY_BYTES,
    )
    .action(async (target: string, options: ServeCommandOptions) => {
      await serve(Datastore.open(), target, options, io);
    });
}

async function serve(
  datastore: Datastore,
  target: string,
  options: ServeCommandOptions,
  io: CliIO,
): Promise<void> {
  const { flow, runId } = resolveServeTarget(datastore, target);
  const log = options.log ? new PredictionLog(logStorageOf(datastore)) : undefined;
  const server = new PredictionServer({
    datastore,
    flow,
    runId,
    host: options.host,
    port: options.port,
    token: options.token ?? (process.env.CELLFLOW_SERVE_TOKEN || undefined),
    follow: options.follow === true,
    log,
    maxBodyBytes: options.maxBody,
    followPollMs: Number(process.env.CELLFLOW_SERVE_POLL_MS) || 2000,
    say: (text) => io.stderr(text),
  });
  const url = await server.listen();
  io.stdout(
    `serving ${server.run} at ${url} (${log ? `predictions logged in ${log.location}/predictions` : 'predictions not logged'})\n`,
  );
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      io.stderr(`${signal}: finishing requests in flight and flushing the prediction log\n`);
      void server.shutdown().then(resolve);
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
  if (log) {
    io.stderr(`stopped; ${log.stats.predictions} predictions logged in ${log.stats.batches} batches\n`);
  }
}
