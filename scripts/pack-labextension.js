#!/usr/bin/env node
'use strict';
// `npm pack`'s prepack (the tests and benchmarks call it before they pack with --ignore-scripts):
// packs the built JupyterLab extension (cellflow_lab/labextension/) into one gzipped tarball,
// cellflow_lab/labextension.tar.gz, which the npm package ships instead of the folder: its lazily
// loaded chunks (the TypeScript compiler, elkjs) are 11 MB of JavaScript that compress to a fraction,
// and only Binder's postBuild uses them (it unpacks them with `tar`; JupyterLab users get the
// extension through pip). Deterministic: the same build gives the same bytes.
const { execFileSync } = require('child_process');
const fs = require('fs');
const path = require('path');

const LAB = path.resolve(__dirname, '..', 'cellflow_lab');
const FOLDER = path.join(LAB, 'labextension');
const ARCHIVE = path.join(LAB, 'labextension.tar.gz');

/** Writes the archive when the extension is built and the archive is missing or older; returns its path. */
function packLabextension() {
  const built = path.join(FOLDER, 'package.json');
  if (!fs.existsSync(built)) {
    return undefined;
  }
  if (fs.existsSync(ARCHIVE) && fs.statSync(ARCHIVE).mtimeMs >= newestMtime(FOLDER)) {
    return ARCHIVE;
  }
  const partial = `${ARCHIVE}.${process.pid}.tmp`;
  const tar = [
    '--sort=name',
    '--mtime=@0',
    '--owner=0',
    '--group=0',
    '--numeric-owner',
    '-cf',
    '-',
    '-C',
    FOLDER,
    '.',
  ];
  // gzip -n: no name or time stamp in the header, so equal inputs give equal archives.
  const bytes = execFileSync('sh', ['-c', `tar ${tar.map(quote).join(' ')} | gzip -9n`], {
    maxBuffer: 256 << 20,
  });
  fs.writeFileSync(partial, bytes);
  fs.renameSync(partial, ARCHIVE);
  return ARCHIVE;
}

function quote(arg) {
  return `'${arg.replace(/'/g, "'\\''")}'`;
}

function newestMtime(dir) {
  let newest = fs.statSync(dir).mtimeMs;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(full) : fs.statSync(full).mtimeMs);
  }
  return newest;
}

module.exports = { packLabextension, ARCHIVE };

// As npm's prepack: a package packed before the extension is built goes without it (as Binder's
// postBuild expects when there is none), with a note saying so.
if (require.main === module) {
  const archive = packLabextension();
  if (!archive) {
    console.error(
      `pack-labextension: ${FOLDER} is not built, so the package has no prebuilt extension (run \`npm run build:labextension\` first)`,
    );
  } else {
    console.log(`${path.relative(process.cwd(), archive)}: ${fs.statSync(archive).size} bytes`);
  }
}
