'use strict';
// 7: the packed npm tarball installed into a fresh project, as a user installs cellflow: disk used
// and wall time with this machine's npm cache and with an empty one. The peer is `pip install
// metaflow` into a fresh virtualenv (its site-packages growth and wall time, pip's cache as it is).
const { execFileSync } = require('child_process');
const fs = require('fs');
const path = require('path');
const { REPO } = require('./cellflow');
const { packLabextension } = require('../../scripts/pack-labextension');
const { measure, check } = require('./proc');

function duMb(dir) {
  return Number(execFileSync('du', ['-sk', dir], { encoding: 'utf8' }).split('\t')[0]) / 1024;
}

/** `npm pack` without the prepare build (`npm run build` first). */
function pack(work) {
  // The prebuilt JupyterLab extension goes in as its archive when it has been built.
  packLabextension();
  const out = execFileSync('npm', ['pack', '--ignore-scripts', '--silent', '--pack-destination', work], {
    cwd: REPO,
    encoding: 'utf8',
  });
  return path.join(work, out.trim().split('\n').pop());
}

async function npmInstall(work, name, tarball, cache) {
  const project = path.join(work, name);
  fs.mkdirSync(project, { recursive: true });
  fs.writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name, private: true }));
  const env = { npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false' };
  if (cache) {
    env.npm_config_cache = cache;
  }
  const result = await measure('npm', ['install', '--no-audit', '--no-fund', tarball], { cwd: project, env });
  check(result, `npm install ${path.basename(tarball)}`);
  return { wallMs: result.wallMs, mb: duMb(path.join(project, 'node_modules')) };
}

async function pipInstallMetaflow(work, python) {
  const venv = path.join(work, 'metaflow-venv');
  check(await measure(python, ['-m', 'venv', venv]), 'python -m venv');
  const empty = duMb(venv);
  const result = await measure(path.join(venv, 'bin', 'python'), ['-m', 'pip', 'install', '-q', 'metaflow']);
  check(result, 'pip install metaflow');
  return { wallMs: result.wallMs, mb: duMb(venv) - empty };
}

/** @param {{ smoke: boolean, peer?: { python: string }, work: string, log: (line: string) => void }} ctx */
async function install(ctx) {
  const name = 'Install: the packed npm tarball into a fresh project (disk, wall)';
  const tarball = pack(ctx.work);
  const packedKb = fs.statSync(tarball).size / 1024;
  const fmt = ({ mb, wallMs }) => `${mb.toFixed(0)} MB, ${(wallMs / 1000).toFixed(1)} s`;
  if (ctx.smoke)
  // The install itself needs the registry and ~half a minute; the suite installs the tarball in
  // test/packaging/npm-package.test.ts already. Smoke only checks that packing works.
  {
    return {
      id: 7,
      name,
      cellflow: `${packedKb.toFixed(0)} kB packed`,
      peer: '—',
      ratio: '—',
      target: '≤ 120 MB, ≤ 15 s',
      met: 'not run (--smoke)',
      notes: 'smoke: packed only',
    };
  }
  ctx.log('install: npm install of the tarball, warm npm cache');
  const warm = await npmInstall(ctx.work, 'warm', tarball);
  ctx.log('install: npm install of the tarball, empty npm cache');
  const cache = path.join(ctx.work, 'empty-npm-cache');
  fs.mkdirSync(cache);
  const cold = await npmInstall(ctx.work, 'cold', tarball, cache);
  let peer;
  if (ctx.peer) {
    ctx.log('install: pip install metaflow into a fresh venv');
    peer = await pipInstallMetaflow(ctx.work, ctx.peer.python);
  }
  return {
    id: 7,
    name,
    cellflow: fmt(warm),
    peer: peer ? fmt(peer) : '—',
    ratio: peer ? `${(warm.mb / peer.mb).toFixed(2)}× disk` : '—',
    target: '≤ 120 MB, ≤ 15 s',
    met: warm.mb <= 120 && warm.wallMs <= 15000 ? 'yes' : 'no',
    notes: `tarball ${packedKb.toFixed(0)} kB; warm npm cache ${fmt(warm)}, empty cache ${fmt(cold)}; peer: \`pip install metaflow\` into a fresh venv`,
  };
}

module.exports = { install };
