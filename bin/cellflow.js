#!/usr/bin/env node
'use strict';
// Thin launcher: the CLI lives in the compiled TypeScript under dist/.
require('../dist/src/cli/main.js').main(process.argv);
