// Node parses NODE_EXTRA_CA_CERTS eagerly at start-up, which costs more than the rest of a task's
// start-up on a machine that sets it. Most tasks never open a TLS connection, so task
// processes start without it and add those certificates on their first TLS context instead; the
// variable itself is restored so that anything the task spawns inherits it unchanged.
import * as fs from 'fs';
// `import =` keeps the real module object: a namespace import would be a frozen copy we cannot patch.
import tls = require('tls');

export const DEFERRED_CA_VARIABLE = 'CELLFLOW_DEFERRED_EXTRA_CA_CERTS';

/** The environment for a task process: the same, with the CA bundle handed over for deferral. */
export function deferExtraCaCerts(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const file = env.NODE_EXTRA_CA_CERTS;
  if (!file) {
    return env;
  }
  const { NODE_EXTRA_CA_CERTS: _, ...rest } = env;
  return { ...rest, [DEFERRED_CA_VARIABLE]: file };
}

/** In the task process: restore the variable and trust its certificates from the first TLS context on. */
export function installDeferredCaCerts(): void {
  const file = process.env[DEFERRED_CA_VARIABLE];
  if (!file) {
    return;
  }
  delete process.env[DEFERRED_CA_VARIABLE];
  process.env.NODE_EXTRA_CA_CERTS = file;
  let extra: string[] | undefined;
  const original = tls.createSecureContext;
  const patched: typeof tls.createSecureContext = (options) => {
    if (options?.ca !== undefined) {
      return original(options);
    }
    extra ??= readBundle(file);
    return original({ ...options, ca: [...tls.rootCertificates, ...extra] });
  };
  (tls as { createSecureContext: typeof tls.createSecureContext }).createSecureContext = patched;
}

function readBundle(file: string): string[] {
  try {
    return (
      fs.readFileSync(file, 'utf8').match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ??
      []
    );
  } catch {
    // Node only warns when the file is unreadable; so do we, by trusting the default roots.
    process.emitWarning(`Ignoring extra certs from \`${file}\`, load failed`);
    return [];
  }
}
