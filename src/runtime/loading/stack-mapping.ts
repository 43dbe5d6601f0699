// Rewrites the frames of a stack trace that point into the compiled flow module so that they point at
// its .flow.ts lines, from the module's inline source map. Done only when a task fails: Node's own
// source-map support (process.setSourceMapsEnabled) parses the map when the module is compiled, which
// every task process paid for although most tasks never throw.
import { SourceMap, type SourceMapPayload } from 'module';

const INLINE_MAP =
  /\/\/# sourceMappingURL=data:application\/json;(?:charset=utf-8;)?base64,([A-Za-z0-9+/=]+)\s*$/;

/** The source map TypeScript inlined at the end of `javascript`, or undefined when there is none. */
export function inlineSourceMap(javascript: string): SourceMap | undefined {
  const match = INLINE_MAP.exec(javascript);
  if (!match) {
    return undefined;
  }
  try {
    return new SourceMap(JSON.parse(Buffer.from(match[1], 'base64').toString('utf8')) as SourceMapPayload);
  } catch {
    return undefined; // a broken map leaves the stack as it is, never hides the task's own error
  }
}

/** `stack` with every `filename:LINE:COLUMN` of the compiled module replaced by its source position. */
export function mapStack(stack: string, filename: string, map: SourceMap | undefined): string {
  if (!map) {
    return stack;
  }
  const position = new RegExp(`${escapeRegExp(filename)}:(\\d+):(\\d+)`, 'g');
  return stack.replace(position, (whole, line: string, column: string) => {
    const entry = map.findEntry(Number(line) - 1, Number(column) - 1) as Partial<{
      originalLine: number;
      originalColumn: number;
    }>;
    if (entry.originalLine === undefined || entry.originalColumn === undefined) {
      return whole;
    }
    return `${filename}:${entry.originalLine + 1}:${entry.originalColumn + 1}`;
  });
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
