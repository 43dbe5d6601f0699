// The cellflow package's root directory (dist/kernel when built, kernel/ under ts-jest).
import * as fs from 'fs';
import * as path from 'path';

let root: string | undefined;

export function packageRoot(): string {
  if (root) {
    return root;
  }
  for (let dir = __dirname; dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const file = path.join(dir, 'package.json');
    if (
      fs.existsSync(file) &&
      (JSON.parse(fs.readFileSync(file, 'utf8')) as { name?: string }).name === 'cellflow'
    ) {
      return (root = dir);
    }
  }
  throw new Error(`cannot find the cellflow package above ${__dirname}`);
}
