// The kernel's launcher: `node dist/kernel/main.js CONNECTION_FILE` (what the kernelspec's argv runs).
// Before anything loads the compiler (tslab's converter does, as soon as it is imported): its V8 code
// cache is switched on, and the sockets are bound, so a client connects while the rest loads. Only
// then is the kernel itself loaded (start-kernel.ts).
import * as fs from 'fs';
// eslint-disable-next-line no-restricted-imports -- before the sockets bind, only what the cache needs (the loading index would load 26 modules first)
import { cacheTypeScriptCode } from '../src/runtime/loading/typescript-code-cache';
import { bindKernelSockets } from './sockets';

async function main(): Promise<void> {
  const configPath = process.argv[2];
  if (!configPath || !fs.existsSync(configPath)) {
    process.stderr.write('usage: node dist/kernel/main.js CONNECTION_FILE (a Jupyter connection file)\n');
    process.exit(2);
  }
  cacheTypeScriptCode();
  const sockets = await bindKernelSockets(configPath);
  const { startKernel } = require('./start-kernel') as typeof import('./start-kernel');
  startKernel(sockets);
}

main().catch((error: Error) => {
  process.stderr.write(`[cellflow kernel] cannot start: ${error.message}\n`);
  process.exit(1);
});
