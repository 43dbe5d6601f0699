// The version of an installed package, found without loading it (some packages' `exports` hide
// their package.json, and loading tslab or TypeScript just to ask costs hundreds of milliseconds).
import * as fs from 'fs';
import * as path from 'path';

export function installedVersion(name: string, from: string = __dirname): string | undefined {
  let entry: string;
  try {
    entry = require.resolve(name, { paths: [from] });
  } catch {
    return undefined;
  }
  for (let dir = path.dirname(entry); dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const file = path.join(dir, 'package.json');
    if (!fs.existsSync(file)) {
      continue;
    }
    try {
      const json = JSON.parse(fs.readFileSync(file, 'utf8')) as { name?: string; version?: string };
      if (json.name === name) {
        return json.version;
      }
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/** cellflow's own package.json, walking up from this file (src/ under ts-jest, dist/src/ when built). */
export function cellflowVersion(): string {
  for (let dir = __dirname; dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const file = path.join(dir, 'package.json');
    if (!fs.existsSync(file)) {
      continue;
    }
    const json = JSON.parse(fs.readFileSync(file, 'utf8')) as { name?: string; version?: string };
    if (json.name === 'cellflow') {
      return json.version ?? 'unknown';
    }
  }
  return 'unknown';
}

/** Where cellflow itself is installed: the directory holding its package.json. */
export function cellflowRoot(): string {
  for (let dir = __dirname; dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const file = path.join(dir, 'package.json');
    if (
      fs.existsSync(file) &&
      (JSON.parse(fs.readFileSync(file, 'utf8')) as { name?: string }).name === 'cellflow'
    ) {
      return dir;
    }
  }
  throw new Error('cannot find the cellflow package this module belongs to');
}
