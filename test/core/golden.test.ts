// `export` of every example against its reviewed golden file. After an intended change to the compiler
// or an example, rewrite them with `UPDATE_GOLDEN=1 npx jest test/core/golden.test.ts` and review the diff.
import * as fs from 'fs';
import * as path from 'path';
import { compileNotebook } from '../../src/core';

const REPO = path.resolve(__dirname, '..', '..');
const UPDATE = process.env.UPDATE_GOLDEN === '1';

test.each(['hello', 'foreach', 'churn', 'loop'])('%s.flow.ts matches its golden file', (name) => {
  const text = fs.readFileSync(path.join(REPO, 'examples', `${name}.ipynb`), 'utf8');
  const source = compileNotebook(text, `${name}.ipynb`).source;
  const golden = path.join(REPO, 'test', 'golden', `${name}.flow.ts`);
  if (UPDATE) {
    fs.writeFileSync(golden, source);
  }
  expect(source).toBe(fs.readFileSync(golden, 'utf8'));
});
