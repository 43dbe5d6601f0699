'use strict';
// The second peer of benchmark 5: Deno (its Jupyter kernel), installed on first use from npm into
// bench/.deno. The per-platform package (@deno/linux-x64-glibc, ...) holds the real binary; the `deno`
// package only wraps it in a Node launcher (bin.cjs) that npm 11 leaves in place, since it does not run
// the postinstall that would replace it, and a kernel behind a wrapper would outlive a SIGKILL.
const fs = require('fs');
const os = require('os');
const path = require('path');
const { measure } = require('./proc');

const DENO_VERSION = '2.9.6';
const PREFIX = path.join(__dirname, '..', '.deno');

/** The npm package with Deno's binary for this machine, or undefined when Deno publishes none. */
function denoPackage() {
  const arch = { x64: 'x64', arm64: 'arm64' }[os.arch()];
  if (!arch) {
    return undefined;
  }
  if (os.platform() === 'darwin') {
    return `@deno/darwin-${arch}`;
  }
  // Deno's Linux builds need glibc; Node reports its glibc version only when it runs on glibc.
  const glibc = process.report?.getReport().header.glibcVersionRuntime;
  if (os.platform() === 'linux' && glibc) {
    return `@deno/linux-${arch}-glibc`;
  }
  return undefined;
}

async function denoVersion(binary) {
  if (!fs.existsSync(binary)) {
    return undefined;
  }
  const probe = await measure(binary, ['--version'], { timeoutMs: 60 * 1000 }).catch(() => undefined);
  return /^deno (\S+)/.exec(probe?.code === 0 ? probe.stdout : '')?.[1];
}

const firstLine = (text) =>
  text
    .split('\n')
    .map((line) => line.trim())
    .find((line) => line && !/^npm (warn|notice)/.test(line)) ?? '';

/**
 * Deno's binary and version, or why there is none: Deno is optional, so a failed install is a
 * reason in the report, never an error.
 * @param {{ install: boolean, log: (line: string) => void }} options
 * @returns {Promise<{ binary: string, version: string } | { reason: string }>}
 */
async function ensureDeno({ install, log }) {
  const pkg = denoPackage();
  if (!pkg) {
    return { reason: `Deno publishes no npm binary for ${os.platform()}-${os.arch()}` };
  }
  const binary = path.join(PREFIX, 'node_modules', pkg, 'deno');
  const found = await denoVersion(binary);
  if (found === DENO_VERSION) {
    return { binary, version: found };
  }
  if (!install) {
    return { reason: `Deno is not installed in bench/.deno (a smoke run installs it only with --peers)` };
  }
  log(`installing ${pkg}@${DENO_VERSION} into ${path.relative(process.cwd(), PREFIX)} (once)`);
  try {
    fs.mkdirSync(PREFIX, { recursive: true });
  } catch (error) {
    return { reason: `cannot create ${PREFIX}: ${error.message}` };
  }
  // --prefix with a directory of its own: npm leaves the repository's package.json and lock alone.
  const npm = await measure(
    'npm',
    ['install', '--prefix', PREFIX, '--no-save', '--no-audit', '--no-fund', `${pkg}@${DENO_VERSION}`],
    { cwd: PREFIX, timeoutMs: 10 * 60 * 1000 },
  ).catch((error) => ({ code: null, stdout: '', stderr: error.message }));
  if (npm.code !== 0) {
    return { reason: `npm install ${pkg}@${DENO_VERSION} failed: ${firstLine(npm.stderr + npm.stdout)}` };
  }
  const version = await denoVersion(binary);
  if (version !== DENO_VERSION) {
    return { reason: `${binary} does not run after npm installed it (version ${version ?? 'unknown'})` };
  }
  return { binary, version };
}

module.exports = { ensureDeno, DENO_VERSION };
