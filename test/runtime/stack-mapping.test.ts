// Task processes no longer turn on Node's source maps (they cost every task 2-5 ms); a failing
// task's stack is mapped from the module's inline map instead. These check that mapping against a
// module whose compiled lines differ from its source lines, as TypeScript's output does.
import { transpile } from '../../src/runtime/loading/flow-source';
import { loadFlowModule } from '../../src/runtime/loading/module-loader';
import { inlineSourceMap, mapStack } from '../../src/runtime/loading/stack-mapping';

const FILE = '/virtual/project/demo.flow.ts';
// Interfaces and type-only lines vanish from the JavaScript, so the throw moves up by several lines.
const SOURCE = [
  'interface Point {', //                      1
  '  x: number;', //                           2
  '  y: number;', //                           3
  '}', //                                      4
  'type Pair = [Point, Point];', //            5
  'export function explode(pair: Pair): number {', // 6
  '  const [a, b] = pair;', //                 7
  '  if (a.x > b.x) throw new Error("boom");', // 8
  '  return a.x + b.x;', //                    9
  '}', //                                      10
].join('\n');

function stackOfExplosion(javascript: string): string {
  const module = loadFlowModule(javascript, FILE) as unknown as { explode(pair: unknown): number };
  try {
    module.explode([
      { x: 2, y: 0 },
      { x: 1, y: 0 },
    ]);
  } catch (error) {
    return (error as Error).stack ?? '';
  }
  throw new Error('explode did not throw');
}

const frameLine = (stack: string) => Number(new RegExp(`${FILE}:(\\d+):\\d+`).exec(stack)?.[1]);

test('a stack frame in the compiled module is mapped to its source line', () => {
  const javascript = transpile(SOURCE, FILE);
  const raw = stackOfExplosion(javascript);
  // Without mapping the frame points at the compiled line: the test below would fail on it.
  expect(frameLine(raw)).not.toBe(8);
  const mapped = mapStack(raw, FILE, inlineSourceMap(javascript));
  expect(frameLine(mapped)).toBe(8);
  expect(mapped).toContain('Error: boom');
  // Frames elsewhere (this test file, Node internals) are left as they were.
  expect(mapped.split('\n').filter((l) => !l.includes(FILE))).toEqual(
    raw.split('\n').filter((l) => !l.includes(FILE)),
  );
});

test('a module without an inline map, or with a broken one, keeps its stack unchanged', () => {
  const javascript = transpile(SOURCE, FILE);
  const withoutMap = javascript.replace(/\/\/# sourceMappingURL=.*$/m, '');
  expect(inlineSourceMap(withoutMap)).toBeUndefined();
  const broken = withoutMap + '//# sourceMappingURL=data:application/json;base64,bm90IGpzb24=';
  expect(inlineSourceMap(broken)).toBeUndefined();
  const raw = stackOfExplosion(withoutMap);
  expect(mapStack(raw, FILE, undefined)).toBe(raw);
});
