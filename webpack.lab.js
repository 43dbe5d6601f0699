// Extra webpack configuration for `jupyter labextension build` (package.json `jupyterlab.webpackConfig`).
const path = require('path');

// @jupyterlab/builder always exposes the package's `main` as the federated module `./index`, but our
// `main` is the Node library (Client API over the datastore). Resolve it to an empty module so the
// browser bundle holds only `src/lab` and the pure `src/core` it imports.
const main = require.resolve(__dirname);

// Two dependencies are large single files: elkjs's layout engine (1.5 MB, already compiled) and the
// TypeScript compiler that core's lint uses (9 MB). Minifying them took over 80% of a 2-minute build
// for little gain (elk is minified already; TypeScript gzips to 1.6 MB as is), so each gets its own
// chunk that Terser skips, and webpack does not even parse elk's bundle.
// (terser-webpack-plugin is resolved from webpack itself, which depends on it.)
const TerserPlugin = require(
  require.resolve('terser-webpack-plugin', { paths: [path.dirname(require.resolve('webpack'))] }),
);

// The compiler reaches the browser only through src/lab/lazy-chunks.ts (`require.ensure` on
// `typescript/lib/typescript.js`, an async chunk). Core's own `require('@tslab/typescript-for-tslab')`
// (and the lab's bare `require('typescript')`) are for Node; here they are empty modules, or webpack
// would put a compiler in the extension's initial chunks (`name$` matches that exact request only). package.json's `sharedPackages` keeps typescript out
// of module federation's sharing, whose eager consume would load it up front too.
module.exports = {
  resolve: { alias: { [main]: false, typescript$: false, '@tslab/typescript-for-tslab$': false } },
  module: { noParse: /[\\/]elkjs[\\/]lib[\\/]elk\.bundled\.js$/ },
  optimization: {
    splitChunks: {
      cacheGroups: {
        elk: { test: /[\\/]node_modules[\\/]elkjs[\\/]/, name: 'elk', chunks: 'all', enforce: true },
        typescript: {
          test: /[\\/]node_modules[\\/]typescript[\\/]/,
          name: 'typescript',
          chunks: 'all',
          enforce: true,
        },
      },
    },
    minimizer: [new TerserPlugin({ exclude: /^(elk|typescript)\./ })],
  },
};
