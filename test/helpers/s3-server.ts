// A real S3 server for the tests: versitygw (Apache-2.0) serving a temp folder on 127.0.0.1 at a free
// port, with SigV4 credentials. Built once per machine into the test cache (see .ci/run); started per
// suite in ~0.15 s and killed by PID.
import { spawn, type ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';

/** Where the test set-up keeps versitygw: $CELLFLOW_VERSITYGW, else the cache folder. */
export function versitygwPath(): string {
  if (process.env.CELLFLOW_VERSITYGW) {
    return process.env.CELLFLOW_VERSITYGW;
  }
  const cache = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(cache, 'cellflow-test', 'bin', 'versitygw');
}

export interface S3Server {
  endpoint: string;
  bucket: string;
  /** The folder that holds the buckets (a bucket is a folder; objects are files under it). */
  dir: string;
  /** Environment for a process that uses the server through the AWS SDK's chain. */
  env: Record<string, string>;
  /** s3://BUCKET/PREFIX for a fresh prefix of the test bucket. */
  url(prefix: string): string;
  stop(): Promise<void>;
}

const ACCESS = 'cellflowtest';
const SECRET = 'cellflow-test-secret-key';

export async function startS3Server(bucket = 'cellflow-test'): Promise<S3Server> {
  const binary = versitygwPath();
  if (!fs.existsSync(binary)) {
    throw new Error(
      `versitygw is not at ${binary}: build it with GOBIN=${path.dirname(binary)} go install github.com/versity/versitygw/cmd/versitygw@v1.8.0 (or set CELLFLOW_VERSITYGW)`,
    );
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cellflow-s3-'));
  fs.mkdirSync(path.join(dir, 'buckets', bucket), { recursive: true });
  const port = await freePort();
  // Its output goes to a file, not a pipe: a test blocked in a synchronous datastore call does not
  // drain a pipe, and versitygw, blocked writing its log to a full one, stopped answering.
  const logFile = path.join(dir, 'versitygw.log');
  const log = fs.openSync(logFile, 'w');
  const child: ChildProcess = spawn(
    binary,
    [
      '--port',
      `127.0.0.1:${port}`,
      '--access',
      ACCESS,
      '--secret',
      SECRET,
      'posix',
      path.join(dir, 'buckets'),
    ],
    { stdio: ['ignore', log, log] },
  );
  fs.closeSync(log);
  try {
    await waitForPort(port, 10_000, child);
  } catch (error) {
    child.kill('SIGKILL');
    throw new Error(
      `versitygw did not start: ${(error as Error).message}\n${fs.readFileSync(logFile, 'utf8')}`,
    );
  }
  const endpoint = `http://127.0.0.1:${port}`;
  return {
    endpoint,
    bucket,
    dir: path.join(dir, 'buckets'),
    env: {
      AWS_ENDPOINT_URL_S3: endpoint,
      AWS_ACCESS_KEY_ID: ACCESS,
      AWS_SECRET_ACCESS_KEY: SECRET,
      AWS_REGION: 'us-east-1',
      // The SDK must not look for other credentials or configuration on the test machine.
      AWS_CONFIG_FILE: path.join(dir, 'no-aws-config'),
      AWS_SHARED_CREDENTIALS_FILE: path.join(dir, 'no-aws-credentials'),
      AWS_EC2_METADATA_DISABLED: 'true',
    },
    url: (prefix) => `s3://${bucket}/${prefix}`,
    stop: async () => {
      if (child.exitCode === null && child.pid) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        process.kill(child.pid, 'SIGKILL');
        await exited;
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Sets the server's variables in this process (for in-process Client API and datastore calls). */
export function useS3Env(server: S3Server): () => void {
  const saved = new Map(Object.keys(server.env).map((key) => [key, process.env[key]]));
  Object.assign(process.env, server.env);
  return () => {
    for (const [key, value] of saved) {
      if (value === undefined) {
        delete process.env[key];
      } else {
        process.env[key] = value;
      }
    }
  };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

async function waitForPort(port: number, timeoutMs: number, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) {
      throw new Error(`it exited with code ${child.exitCode}`);
    }
    const open = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) {
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`port ${port} did not open within ${timeoutMs} ms`);
}

/**
 * The S3 server of a test file: started before the file's tests, its address and keys in this
 * process's environment meanwhile (for the tests' own reads of the bucket), stopped after them.
 * Call it at the top of the file, before any hook that uses the server.
 */
export function s3ServerForFile(): { readonly server: S3Server } {
  let server: S3Server | undefined;
  let restoreEnv: (() => void) | undefined;
  beforeAll(async () => {
    server = await startS3Server();
    restoreEnv = useS3Env(server);
  });
  afterAll(async () => {
    restoreEnv?.();
    await server?.stop();
  });
  return {
    get server(): S3Server {
      if (!server) {
        throw new Error('the S3 server is not started: use it in a test or a hook, not while the file loads');
      }
      return server;
    },
  };
}
