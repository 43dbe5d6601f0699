#!/usr/bin/env node
// Sets up every real peer the test suite drives, idempotently: a project-local Python virtualenv
// from the pinned requirements-test.txt, Debian's Chromium, Slurm and MUNGE, versitygw (the S3
// server), and Slurm's scrontab (built from Debian's slurm-wlm source, which ships no binary of it). `npm test`, jest's globalSetup and `.ci/run` all call it; on a machine that is already set
// up it only compares a stamp and a few paths (well under a second).
//
// Node built-ins only: it runs before `npm ci` in CI.
'use strict';
const { spawnSync } = require('child_process');
const crypto = require('crypto');
const fs = require('fs');
const os = require('os');
const path = require('path');

const REPO = path.resolve(__dirname, '..');
const REQUIREMENTS = path.join(REPO, 'requirements-test.txt');
// Bump when the way the venv is made changes, so existing venvs are re-created.
const RECIPE = 1;
const VERSITYGW_MODULE = 'github.com/versity/versitygw/cmd/versitygw@v1.8.0';

/** Where each peer lives; the test helpers (test/helpers/python-peers.ts) use the same defaults. */
function peerPaths(env = process.env) {
  const cache = path.join(env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'cellflow-test');
  const venv = env.CELLFLOW_TEST_VENV || path.join(REPO, '.venv-test');
  return {
    venv,
    python: path.join(venv, 'bin', 'python'),
    // Wheels of every pinned requirement, shared by all checkouts on the machine: a venv (or the
    // packaging tests' fresh ones) installs from here without the network.
    wheelhouse: env.CELLFLOW_TEST_WHEELHOUSE || path.join(cache, 'wheels'),
    versitygw: env.CELLFLOW_VERSITYGW || path.join(cache, 'bin', 'versitygw'),
    scrontab: env.CELLFLOW_SCRONTAB || path.join(cache, 'bin', 'scrontab'),
    chromium: env.CHROMIUM_PATH || which('chromium', env) || '/usr/bin/chromium',
  };
}

function which(name, env = process.env) {
  for (const dir of (env.PATH || '').split(path.delimiter)) {
    const file = path.join(dir, name);
    try {
      fs.accessSync(file, fs.constants.X_OK);
      return file;
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

function run(command, args, options = {}) {
  const result = spawnSync(command, args, { stdio: 'inherit', ...options });
  if (result.error) {
    throw new SetupError(`${command} ${args.join(' ')}: ${result.error.message}`);
  }
  if (result.status !== 0) {
    throw new SetupError(`${command} ${args.join(' ')} exited with ${result.status ?? result.signal}`);
  }
}

class SetupError extends Error {}

/** Debian packages the suite needs, each with the file that shows it is installed. */
function missingDebianPackages(paths, env) {
  const missing = [];
  if (!fs.existsSync(paths.chromium)) {
    missing.push('chromium');
  }
  // Slurm's daemons and client, MUNGE's daemon: the Slurm engine tests run a real one-node cluster.
  if (!['/usr/sbin/slurmctld', '/usr/sbin/slurmd', '/usr/bin/sbatch'].every((f) => fs.existsSync(f))) {
    missing.push('slurm-wlm');
  }
  if (!fs.existsSync('/usr/sbin/munged')) {
    missing.push('munge');
  }
  const python3 = which('python3', env);
  if (!python3) {
    missing.push('python3', 'python3-venv');
  } else if (spawnSync(python3, ['-c', 'import venv, ensurepip'], { stdio: 'ignore' }).status !== 0) {
    missing.push('python3-venv');
  }
  if (!fs.existsSync(paths.versitygw) && !which('go', env)) {
    missing.push('golang-go');
  }
  // What building scrontab takes: dpkg-source unpacks the source package, gcc and make configure
  // and compile it, binutils embeds its text files.
  if (!fs.existsSync(paths.scrontab)) {
    for (const [tool, pkg] of [
      ['dpkg-source', 'dpkg-dev'],
      ['gcc', 'gcc'],
      ['make', 'make'],
      ['objcopy', 'binutils'],
    ]) {
      if (!which(tool, env)) {
        missing.push(pkg);
      }
    }
  }
  return missing;
}

function installDebianPackages(packages, log) {
  if (packages.length === 0) {
    return;
  }
  const command = `apt-get update && apt-get install -y ${packages.join(' ')}`;
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    throw new SetupError(
      `the test suite needs ${packages.join(', ')}; install ${packages.length > 1 ? 'them' : 'it'} as root:\n  sudo sh -c '${command}'`,
    );
  }
  log(`installing ${packages.join(' ')} (apt-get)`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  run('apt-get', ['update', '-qq'], { env });
  run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...packages], { env });
}

function venvStamp(python3) {
  const version = spawnSync(python3, ['-c', 'import sys; print(sys.version)'], { encoding: 'utf8' });
  return crypto
    .createHash('sha256')
    .update(`${RECIPE}\n${version.stdout}\n`)
    .update(fs.readFileSync(REQUIREMENTS))
    .digest('hex');
}

/**
 * Runs `fn` holding a lock directory beside `target`: `npm test` and jest's globalSetup, or two jest
 * runs, may set up the same venv at once. A lock older than `staleMs` was left by a killed set-up.
 */
function withLock(target, fn, staleMs = 20 * 60_000) {
  const lock = `${target}.lock`;
  fs.mkdirSync(path.dirname(lock), { recursive: true });
  const sleeper = new Int32Array(new SharedArrayBuffer(4));
  for (;;) {
    try {
      fs.mkdirSync(lock);
      break;
    } catch (error) {
      if (error.code !== 'EEXIST') {
        throw error;
      }
      const stat = fs.statSync(lock, { throwIfNoEntry: false });
      if (stat && Date.now() - stat.mtimeMs > staleMs) {
        fs.rmSync(lock, { recursive: true, force: true });
      } else {
        Atomics.wait(sleeper, 0, 0, 500);
      }
    }
  }
  try {
    return fn();
  } finally {
    fs.rmSync(lock, { recursive: true, force: true });
  }
}

/** The venv, re-created only when requirements-test.txt, the base Python or this recipe changed. */
function ensureVenv(paths, env, log) {
  return withLock(paths.venv, () => makeVenvIfStale(paths, env, log));
}

function makeVenvIfStale(paths, env, log) {
  const python3 = which('python3', env);
  const stampFile = path.join(paths.venv, '.cellflow-stamp');
  const stamp = venvStamp(python3);
  if (fs.existsSync(paths.python) && readText(stampFile) === stamp) {
    return false;
  }
  log(`creating ${path.relative(REPO, paths.venv) || paths.venv} from requirements-test.txt (${python3})`);
  fs.rmSync(paths.venv, { recursive: true, force: true });
  run(python3, ['-m', 'venv', paths.venv]);
  const pip = [paths.python, '-m', 'pip', '--disable-pip-version-check', '--no-input'];
  // Install from the local wheelhouse only; fill it from the index when a pinned wheel is missing
  // (the first time on a machine, or after a version bump).
  const offline = [...pip.slice(1), 'install', '-q', '--no-index', '--find-links', paths.wheelhouse];
  const quiet = spawnSync(pip[0], [...offline, '-r', REQUIREMENTS], { stdio: 'ignore' });
  if (quiet.status !== 0) {
    log(`downloading the pinned wheels into ${paths.wheelhouse}`);
    fs.mkdirSync(paths.wheelhouse, { recursive: true });
    run(pip[0], [
      ...pip.slice(1),
      'wheel',
      '-q',
      '--find-links',
      paths.wheelhouse,
      '-w',
      paths.wheelhouse,
      '-r',
      REQUIREMENTS,
    ]);
    run(pip[0], [...offline, '-r', REQUIREMENTS]);
  }
  fs.writeFileSync(stampFile, stamp);
  return true;
}

/** The wheels `pip install .` needs to build the extension (build-system requires), also kept local. */
function ensureBuildWheels(paths, log) {
  withLock(paths.wheelhouse, () => fillBuildWheels(paths, log));
}

function fillBuildWheels(paths, log) {
  const marker = path.join(paths.wheelhouse, `.build-requires-${buildRequiresKey()}`);
  if (fs.existsSync(marker)) {
    return;
  }
  log('downloading the packaging build requirements into the wheelhouse');
  const requires = buildRequires();
  run(paths.python, [
    '-m',
    'pip',
    '--disable-pip-version-check',
    'wheel',
    '-q',
    '--find-links',
    paths.wheelhouse,
    '-w',
    paths.wheelhouse,
    '-c',
    REQUIREMENTS,
    ...requires,
  ]);
  fs.writeFileSync(marker, requires.join('\n'));
}

/** `[build-system] requires` and the build hook's dependencies, read from pyproject.toml. */
function buildRequires() {
  const text = fs.readFileSync(path.join(REPO, 'pyproject.toml'), 'utf8');
  const lists = [...text.matchAll(/^(?:requires|dependencies) = \[(.*)\]$/gm)].map((m) => m[1]);
  const buildSystem = lists[0];
  const hook = text.match(/\[tool\.hatch\.build\.hooks\.jupyter-builder\]\s*\ndependencies = \[(.*)\]/);
  return [buildSystem, hook && hook[1]]
    .filter(Boolean)
    .flatMap((list) => [...list.matchAll(/"([^"]+)"/g)].map((m) => m[1]));
}

function buildRequiresKey() {
  return crypto
    .createHash('sha256')
    .update(buildRequires().join('\n'))
    .update(fs.readFileSync(REQUIREMENTS))
    .digest('hex')
    .slice(0, 16);
}

function ensureVersitygw(paths, env, log) {
  if (fs.existsSync(paths.versitygw)) {
    return;
  }
  const go = which('go', env) || '/usr/bin/go';
  log(`building versitygw into ${path.dirname(paths.versitygw)} (go install ${VERSITYGW_MODULE})`);
  fs.mkdirSync(path.dirname(paths.versitygw), { recursive: true });
  // GOTOOLCHAIN=auto lets an older Debian go fetch the toolchain the module asks for.
  run(go, ['install', VERSITYGW_MODULE], {
    env: { ...env, GOBIN: path.dirname(paths.versitygw), GOTOOLCHAIN: env.GOTOOLCHAIN || 'auto' },
  });
}

/**
 * Slurm's `scrontab` (cellflow deploy --engine slurm --schedule), which Debian's slurm-client leaves
 * out although its libslurmfull exports the crontab RPCs and its slurmctld serves them. Built once a
 * machine into the cache: the installed slurm-client's own source package (apt-get source, from a
 * private deb-src list made of this machine's apt sources), configured for its config.h, and only
 * src/scrontab compiled, linked against the installed libslurmfull. About 1.5 min cold (configure).
 */
function ensureScrontab(paths, env, log) {
  if (fs.existsSync(paths.scrontab)) {
    return;
  }
  withLock(paths.scrontab, () => {
    if (!fs.existsSync(paths.scrontab)) {
      buildScrontab(paths, env, log);
    }
  });
}

function buildScrontab(paths, env, log) {
  const version = spawnSync('dpkg-query', ['-W', '-f=${Version}', 'slurm-client'], { encoding: 'utf8' });
  const libslurm = (spawnSync('ldd', ['/usr/bin/sbatch'], { encoding: 'utf8' }).stdout || '').match(
    /(\S*\/libslurmfull\.so)\s/,
  );
  if (version.status !== 0 || !version.stdout || !libslurm) {
    throw new SetupError(`cannot build scrontab: Debian's slurm-client (its libslurmfull) is not installed`);
  }
  const started = Date.now();
  log(`building scrontab ${version.stdout} into ${path.dirname(paths.scrontab)} (apt-get source slurm-wlm)`);
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'cellflow-scrontab-'));
  try {
    const apt = privateAptOptions(work);
    const quiet = { stdio: ['ignore', 'ignore', 'inherit'] };
    run('apt-get', [...apt, '-qq', 'update'], quiet);
    const src = path.join(work, 'src');
    fs.mkdirSync(src);
    run('apt-get', [...apt, '-qq', 'source', `slurm-wlm=${version.stdout}`], { ...quiet, cwd: src });
    const tree = fs
      .readdirSync(src, { withFileTypes: true })
      .find((entry) => entry.isDirectory() && entry.name.startsWith('slurm-wlm-'));
    if (!tree) {
      throw new SetupError('apt-get source slurm-wlm unpacked no slurm-wlm-* folder');
    }
    const top = path.join(src, tree.name);
    const build = path.join(work, 'build');
    fs.mkdirSync(build);
    // Debian's own configure flags where they shape the headers; what scrontab does not use is off.
    run(
      path.join(top, 'configure'),
      [
        '--prefix=/usr',
        '--sysconfdir=/etc/slurm',
        '--enable-multiple-slurmd',
        '--disable-debug',
        '--without-rpath',
        '--disable-dependency-tracking',
        '--disable-slurmrestd',
        '--disable-x11',
        '--without-pmix',
        '--without-hwloc',
        '--without-readline',
      ],
      { ...quiet, cwd: build },
    );
    const sources = path.join(top, 'src', 'scrontab');
    const objects = [];
    for (const name of ['env', 'opt', 'parse', 'scrontab']) {
      const object = path.join(build, `${name}.o`);
      run('gcc', [
        '-O2',
        '-DHAVE_CONFIG_H',
        `-I${build}`,
        `-I${top}`,
        '-c',
        path.join(sources, `${name}.c`),
        '-o',
        object,
      ]);
      objects.push(object);
    }
    // As its Makefile does: the default crontab and the usage text become read-only data objects
    // (their symbols are named after the relative file name, so ld runs in the source folder).
    for (const name of ['default_crontab', 'usage']) {
      const object = path.join(build, `${name}.o`);
      run('ld', ['-r', '-o', object, '-z', 'noexecstack', '--format=binary', `${name}.txt`], {
        cwd: sources,
      });
      run('objcopy', ['--rename-section', '.data=.rodata,alloc,load,readonly,data,contents', object]);
      objects.push(object);
    }
    const libdir = path.dirname(libslurm[1]);
    const binary = path.join(build, 'scrontab');
    run('gcc', [
      '-o',
      binary,
      ...objects,
      `-L${libdir}`,
      `-Wl,-rpath,${libdir}`,
      '-lslurmfull',
      '-ldl',
      '-lpthread',
      '-Wl,--export-dynamic',
    ]);
    fs.mkdirSync(path.dirname(paths.scrontab), { recursive: true });
    // Copied then renamed: a killed set-up never leaves a half-written binary that looks built.
    fs.copyFileSync(binary, `${paths.scrontab}.part`);
    fs.chmodSync(`${paths.scrontab}.part`, 0o755);
    fs.renameSync(`${paths.scrontab}.part`, paths.scrontab);
    log(`built scrontab in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

/**
 * apt-get options for a private deb-src list (this machine's own apt sources, as deb-src) with its
 * own lists and cache under `work`: nothing of the machine's apt state is changed.
 */
function privateAptOptions(work) {
  const parts = path.join(work, 'sources.list.d');
  const lists = path.join(work, 'lists');
  fs.mkdirSync(path.join(lists, 'partial'), { recursive: true });
  fs.mkdirSync(path.join(work, 'cache', 'archives', 'partial'), { recursive: true });
  fs.mkdirSync(parts);
  const lines = [];
  const stanzas = [];
  const etc = '/etc/apt';
  const listFiles = [path.join(etc, 'sources.list')];
  const sourceDir = path.join(etc, 'sources.list.d');
  for (const name of fs.existsSync(sourceDir) ? fs.readdirSync(sourceDir).sort() : []) {
    listFiles.push(path.join(sourceDir, name));
  }
  for (const file of listFiles) {
    const text = readText(file);
    if (text === undefined) {
      continue;
    }
    if (file.endsWith('.list')) {
      lines.push(
        ...text
          .split('\n')
          .filter((line) => /^\s*deb\s/.test(line))
          .map((line) => line.replace(/^\s*deb\s/, 'deb-src ')),
      );
    } else if (file.endsWith('.sources')) {
      for (const stanza of text.split(/\n\s*\n/)) {
        if (/^Types:.*\bdeb\b/m.test(stanza) && !/^Enabled:\s*no/im.test(stanza)) {
          stanzas.push(stanza.replace(/^Types:.*$/m, 'Types: deb-src').trim());
        }
      }
    }
  }
  if (lines.length === 0 && stanzas.length === 0) {
    throw new SetupError('cannot build scrontab: no apt sources in /etc/apt to take its source package from');
  }
  fs.writeFileSync(path.join(parts, 'src.list'), lines.join('\n') + '\n');
  fs.writeFileSync(path.join(parts, 'src.sources'), stanzas.join('\n\n') + '\n');
  return [
    '-o',
    `Dir::Etc::SourceList=${path.join(parts, 'src.list')}`,
    '-o',
    `Dir::Etc::SourceParts=${parts}`,
    '-o',
    `Dir::State::Lists=${lists}`,
    '-o',
    `Dir::Cache=${path.join(work, 'cache')}`,
  ];
}

function readText(file) {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/** Sets everything up; returns the peers' paths. Throws SetupError with a message for the user. */
function setupTestPeers({
  env = process.env,
  log = (line) => console.error(`setup-test-peers: ${line}`),
} = {}) {
  const paths = peerPaths(env);
  installDebianPackages(missingDebianPackages(paths, env), log);
  ensureVenv(paths, env, log);
  ensureBuildWheels(paths, log);
  ensureVersitygw(paths, env, log);
  ensureScrontab(paths, env, log);
  return paths;
}

/** What the tests read, as shell assignments (also documented in README's "Tests"). */
function describe(paths) {
  return [
    `CELLFLOW_TEST_VENV=${paths.venv}`,
    `CELLFLOW_TEST_WHEELHOUSE=${paths.wheelhouse}`,
    `CELLFLOW_VERSITYGW=${paths.versitygw}`,
    `CELLFLOW_SCRONTAB=${paths.scrontab}`,
    `CHROMIUM_PATH=${paths.chromium}`,
  ].join('\n');
}

// jest's globalSetup: the same set-up before any test file runs, so `npx jest FILE` works too.
module.exports = async function globalSetup() {
  try {
    setupTestPeers();
  } catch (error) {
    if (error instanceof SetupError) {
      console.error(`\nsetup-test-peers: ${error.message}`);
      process.exit(1);
    }
    throw error;
  }
};
module.exports.setupTestPeers = setupTestPeers;
module.exports.peerPaths = peerPaths;

if (require.main === module) {
  try {
    const paths = setupTestPeers();
    if (!process.argv.includes('--quiet')) {
      console.log(describe(paths));
    }
  } catch (error) {
    if (!(error instanceof SetupError)) {
      throw error;
    }
    console.error(`setup-test-peers: ${error.message}`);
    process.exit(1);
  }
}
