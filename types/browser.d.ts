// The globals browser code may use beyond the DOM, for the browser type check (tsconfig.browser.json),
// which has no @types/node. src/core and src/lab are compiled to CommonJS and bundled by webpack,
// which provides `require` (webpack.lab.js aliases the Node-only requests away).
declare const require: (id: string) => unknown;
