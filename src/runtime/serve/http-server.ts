// `cellflow serve`: Node's http server in front of one run's endpoints.
//   POST /NAME  JSON in, JSON out (the endpoint's result), logged before it is answered
//   GET  /      the run, its endpoints and their request shapes
//   GET  /health
// 400 bad JSON or a rejected request, 401 without the bearer token (when --token), 404 unknown path,
// 405 wrong method, 413 body over the limit, 500 an exception in the function (logged, with its stack
// on stderr). SIGTERM stops accepting, lets in-flight requests finish and flushes the log.
import { timingSafeEqual } from 'crypto';
import * as http from 'http';
import type { AddressInfo } from 'net';
import type { Datastore } from '../datastore/datastore';
import { hasSecretFields, redactFields } from '../repro/capture/secrets';
import { describeShape, invokeEndpoint } from './invoke';
import { newPredictionId } from './prediction-id';
import type { PredictionLog } from './prediction-log';
import { predictionLine } from './prediction-line';
import { latestServableRun, loadServedRun, type ServedRun } from './served-run';

export interface ServeOptions {
  datastore: Datastore;
  flow: string;
  runId: string;
  host: string;
  port: number;
  token?: string;
  /** Switch to newer successful runs of the flow as they appear. */
  follow: boolean;
  /** Undefined: predictions are not logged (`--no-log`, for measurements). */
  log?: PredictionLog;
  maxBodyBytes: number;
  followPollMs: number;
  /** Operational messages (start, switches, 500s): stderr. */
  say(text: string): void;
}

export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export class PredictionServer {
  private served: ServedRun;
  private readonly server: http.Server;
  private inFlight = 0;
  private idle: (() => void) | undefined;
  private poller: NodeJS.Timeout | undefined;
  private stopping: Promise<void> | undefined;

  constructor(private readonly options: ServeOptions) {
    this.served = loadServedRun(options.datastore, options.flow, options.runId);
    this.server = http.createServer((req, res) => void this.handle(req, res));
    this.server.keepAliveTimeout = 5000;
  }

  get run(): string {
    return this.served.pathspec;
  }

  async listen(): Promise<string> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.options.port, this.options.host, () => resolve());
    });
    if (this.options.follow) {
      this.poller = setInterval(() => this.follow(), this.options.followPollMs);
    }
    const address = this.server.address() as AddressInfo;
    const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    return `http://${host}:${address.port}`;
  }

  /** Stops accepting, waits for in-flight requests, flushes the log. Safe to call twice. */
  shutdown(): Promise<void> {
    this.stopping ??= (async () => {
      if (this.poller) {
        clearInterval(this.poller);
      }
      const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
      this.server.closeIdleConnections();
      if (this.inFlight > 0) {
        await new Promise<void>((resolve) => (this.idle = resolve));
      }
      await this.options.log?.close();
      this.server.closeAllConnections();
      await closed;
    })();
    return this.stopping;
  }

  /** --follow: load a newer successful run completely, then swap; requests in flight keep the old one. */
  private follow(): void {
    const { datastore, flow } = this.options;
    let runId: string | undefined;
    try {
      runId = latestServableRun(datastore, flow, this.served.runId);
      if (!runId) {
        return;
      }
      this.served = loadServedRun(datastore, flow, runId);
      this.options.say(`now serving ${this.served.pathspec}\n`);
    } catch (error) {
      this.options.say(
        `cannot serve ${flow}/${runId}: ${(error as Error).message}; still serving ${this.served.pathspec}\n`,
      );
    }
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    this.inFlight++;
    try {
      await this.route(req, res);
    } catch (error) {
      const status = error instanceof HttpError ? error.status : 500;
      if (status === 500) {
        this.options.say(`500 ${req.method} ${req.url}: ${(error as Error).stack ?? error}\n`);
      }
      send(res, status, { error: (error as Error).message });
    } finally {
      if (--this.inFlight === 0 && this.idle) {
        this.idle();
      }
    }
  }

  private async route(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    if (this.stopping) {
      res.setHeader('Connection', 'close');
    }
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname === '/health' && req.method === 'GET') {
      return send(res, 200, { status: 'ok', run: this.served.pathspec });
    }
    this.authorize(req);
    const served = this.served; // one request, one run, even if --follow swaps meanwhile
    if (url.pathname === '/') {
      if (req.method !== 'GET') {
        throw new HttpError(405, `use GET /`);
      }
      return send(res, 200, describe(served));
    }
    const name = decodeURIComponent(url.pathname.slice(1));
    const endpoint = served.endpoints.get(name);
    if (!endpoint) {
      throw new HttpError(
        404,
        `no endpoint '${name}': ${served.pathspec} serves ${[...served.endpoints.keys()].map((n) => `/${n}`).join(', ')}`,
      );
    }
    if (req.method !== 'POST') {
      res.setHeader('Allow', 'POST');
      throw new HttpError(405, `use POST /${name} with a JSON body`);
    }
    const arrived = new Date();
    const text = (await readBody(req, this.options.maxBodyBytes)).toString('utf8');
    let request: unknown;
    try {
      request = JSON.parse(text);
    } catch (error) {
      throw new HttpError(400, `the request body is not valid JSON: ${(error as Error).message}`);
    }
    const outcome = await invokeEndpoint(endpoint, served.artifacts, request);
    const id = newPredictionId();
    if (outcome.status === 500) {
      this.options.say(
        `500 POST /${name} (prediction ${id}): ${outcome.stack ?? JSON.stringify(outcome.body)}\n`,
      );
    }
    if (this.options.log) {
      const time = arrived.toISOString();
      const line = predictionLine({
        id,
        time,
        flow: served.flow,
        endpoint: name,
        run: served.pathspec,
        artifacts: outcome.artifacts,
        ...loggedRequest(text, request),
        responseJson: outcome.json,
        status: outcome.status,
        latencyMs: outcome.latencyMs,
      });
      try {
        await this.options.log.append(served.flow, name, time, line);
      } catch (error) {
        // Nothing is acknowledged that the log does not hold.
        throw new Error(
          `the prediction could not be logged in ${this.options.log.location}: ${(error as Error).message}`,
        );
      }
    }
    res.setHeader('X-Cellflow-Prediction', id);
    res.setHeader('X-Cellflow-Run', served.pathspec);
    sendJson(res, outcome.status, outcome.json);
  }

  private authorize(req: http.IncomingMessage): void {
    const token = this.options.token;
    if (token === undefined) {
      return;
    }
    const given = /^Bearer (.+)$/i.exec(req.headers.authorization ?? '')?.[1] ?? '';
    const a = Buffer.from(given);
    const b = Buffer.from(token);
    if (a.length !== b.length || !timingSafeEqual(a, b)) {
      throw new HttpError(401, 'missing or wrong bearer token: send Authorization: Bearer TOKEN');
    }
  }
}

function describe(served: ServedRun): unknown {
  return {
    run: served.pathspec,
    flow: served.flow,
    endpoints: [...served.endpoints.values()].map(({ manifest }) => ({
      name: manifest.name,
      path: `/${manifest.name}`,
      method: 'POST',
      request: { ...manifest.request, summary: describeShape(manifest.request) },
      artifacts: Object.fromEntries(
        manifest.artifacts
          .filter((a) => served.artifacts.has(a))
          .map((a) => [a, served.artifacts.index[a].sha256]),
      ),
    })),
    ...(served.manifest.serve ? { reference: served.manifest.serve.reference } : {}),
  };
}

/**
 * The request as the log holds it. Without secret-looking fields it is the body exactly as it arrived
 * (the function received JSON.parse of this very text, so replay parses the same value), unless the
 * text spans lines; with them, the redacted copy, serialised, and the redacted paths.
 */
function loggedRequest(text: string, request: unknown): { requestJson: string; redacted?: string[] } {
  if (!hasSecretFields(request)) {
    return { requestJson: text.includes('\n') ? JSON.stringify(request) : text };
  }
  const { value, paths } = redactFields(request);
  return { requestJson: JSON.stringify(value), redacted: paths };
}

function send(res: http.ServerResponse, status: number, body: unknown): void {
  sendJson(res, status, JSON.stringify(body));
}

function sendJson(res: http.ServerResponse, status: number, json: string): void {
  if (res.headersSent) {
    return void res.end();
  }
  const text = json + '\n';
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
  });
  res.end(text);
}

/** The body, refusing (413) one over the limit: by Content-Length before reading, else while reading. */
function readBody(req: http.IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) {
    req.resume(); // drain it so the connection can answer
    return Promise.reject(new HttpError(413, `the request body is ${declared} bytes; the limit is ${limit}`));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.removeAllListeners('data');
        req.resume();
        reject(new HttpError(413, `the request body is over the limit of ${limit} bytes`));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}
