#!/usr/bin/env node
'use strict';
// Part of `npm run build`, after tsc: bundles what a task's fresh isolate runs into one file per
// entry, beside it in dist/src/runtime/execution/: task-thread-main.bundle.js (a worker thread, the
// default isolation) and worker-main.bundle.js (a process of its own, isolation:process). Each task
// loads its entry anew; one file compiled from V8's code cache (bundled-entry.ts) costs a fraction of
// resolving, reading and compiling the ~40 runtime modules it imports. npm packages stay outside the
// bundles (`require`d as usual, from the same node_modules).
const esbuild = require('esbuild');
const fs = require('fs');
const path = require('path');

const EXECUTION = path.resolve(__dirname, '..', 'dist', 'src', 'runtime', 'execution');
const ENTRIES = ['task-thread-main', 'worker-main'];
const BUNDLE_DIR = '__cellflowBundleDir';

/**
 * Modules find files beside themselves (a worker's entry, the core folder) through __dirname: in a
 * bundle each keeps its own, relative to wherever the package is installed.
 */
const ownDirname = {
  name: 'own-dirname',
  setup(build) {
    build.onLoad({ filter: /\.js$/ }, async (args) => {
      const contents = await fs.promises.readFile(args.path, 'utf8');
      if (!/\b__(dirname|filename)\b/.test(contents)) {
        return { contents, loader: 'js' };
      }
      const file = JSON.stringify(path.relative(EXECUTION, args.path));
      const own =
        `var __filename = require("path").join(${BUNDLE_DIR}, ${file}), ` +
        `__dirname = require("path").dirname(__filename);\n`;
      // After the "use strict" directive, which must stay first to count.
      const strict = contents.match(/^(['"])use strict\1;?\n?/);
      const at = strict ? strict[0].length : 0;
      return { contents: contents.slice(0, at) + own + contents.slice(at), loader: 'js' };
    });
  },
};

async function bundleTaskCode() {
  await esbuild.build({
    entryPoints: Object.fromEntries(
      ENTRIES.map((name) => [`${name}.bundle`, path.join(EXECUTION, `${name}.js`)]),
    ),
    outdir: EXECUTION,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    packages: 'external',
    banner: { js: `const ${BUNDLE_DIR} = __dirname;` },
    plugins: [ownDirname],
    logLevel: 'warning',
  });
}

if (require.main === module) {
  bundleTaskCode().catch((error) => {
    console.error(`bundle-task-code: ${error.message}`);
    process.exit(1);
  });
}

module.exports = { bundleTaskCode };
