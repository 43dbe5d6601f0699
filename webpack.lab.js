// Extra webpack configuration for `jupyter labextension build` (package.json `jupyterlab.webpackConfig`).
const path = require('path');

// @jupyterlab/builder always exposes the package's `main` as the federated module `./index`, but our
// `main` is the Node library (Client API over the datastore). Resolve it to an empty module so the
// browser bundle holds only `src/lab` and the pure `src/core` it imports.
const main = require.resolve(__dirname);

// elkjs ships its layout engine as one already-compiled 1.5 MB file: parsing and re-minifying it took
// 80 of the build's 85 seconds for nothing. Keep it in its own chunk and let Terser skip that chunk.
// (terser-webpack-plugin is resolved from webpack itself, which depends on it.)
const TerserPlugin = require(
  require.resolve('terser-webpack-plugin', { paths: [path.dirname(require.resolve('webpack'))] }),
);

module.exports = {
  resolve: { alias: { [main]: false } },
  module: { noParse: /[\\/]elkjs[\\/]lib[\\/]elk\.bundled\.js$/ },
  optimization: {
    splitChunks: {
      cacheGroups: { elk: { test: /[\\/]elkjs[\\/]/, name: 'elk', chunks: 'all', enforce: true } },
    },
    minimizer: [new TerserPlugin({ exclude: /^elk\./ })],
  },
};
