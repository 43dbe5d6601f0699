// Records what a step shows while it runs, as notebook outputs (core/notebook-outputs.ts): its
// stdout and stderr (console.* included) and what it displays with tslab's `display.html/png/...`,
// interleaved in the order they happened, so a flow run's task can be shown as the cell's outputs were
// in the notebook. The logs stay the complete record of the text; these outputs are bounded.
//
// tslab's `display` hands each output to `require('tslab/dist/jupyter').lastWriteDisplayData`, which
// its kernel sets and which is null anywhere else ("Not ready"). A task sets it on every copy of that
// module the flow has loaded: requiring tslab here would load the TypeScript compiler into every task.
import * as path from 'path';
import { StringDecoder } from 'string_decoder';
import type { JsonValue } from '../../core/model';
import { appendStream, type NotebookOutput } from '../../core/notebook-outputs';

/** Bounds per task: beyond them outputs are dropped with a note (the logs still have the text). */
export const MAX_OUTPUT_TEXT = 1 << 20;
export const MAX_OUTPUT_DISPLAY_BYTES = 16 << 20;

const TSLAB_JUPYTER = /[\\/]tslab[\\/]dist[\\/]jupyter\.js$/;

interface TslabDisplayData {
  data: Record<string, JsonValue>;
  metadata?: Record<string, JsonValue>;
  transient?: { display_id?: string };
}
type DisplayHook = ((data: TslabDisplayData, update: boolean) => void) | null;
type TslabJupyter = { lastWriteDisplayData: DisplayHook };
type WriteCallback = (error?: Error | null) => void;

export interface OutputCapture {
  /** Stops recording, restores the streams and tslab's hook, and gives the outputs recorded. */
  finish(): NotebookOutput[];
}

/** Starts recording; call after the flow module is loaded (its imports have loaded tslab, if it uses it). */
export function captureTaskOutputs(): OutputCapture {
  const outputs: NotebookOutput[] = [];
  let text = 0;
  let displayBytes = 0;
  let truncated = false;
  const truncate = (what: string) => {
    if (!truncated) {
      truncated = true;
      appendStream(outputs, 'stderr', `\n[cellflow: ${what}; the task's logs have all its text]\n`);
    }
  };

  const restoreStreams = (['stdout', 'stderr'] as const).map((name) => {
    const stream = process[name] as unknown as { write: (...args: unknown[]) => boolean };
    const write = stream.write;
    const decoder = new StringDecoder('utf8');
    stream.write = function (this: unknown, chunk: unknown, encoding?: unknown, done?: unknown) {
      const piece =
        typeof chunk === 'string'
          ? chunk
          : chunk instanceof Uint8Array
            ? decoder.write(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength))
            : '';
      if (text + piece.length <= MAX_OUTPUT_TEXT) {
        text += piece.length;
        appendStream(outputs, name, piece);
      } else {
        truncate(`output beyond ${MAX_OUTPUT_TEXT} characters was not kept`);
      }
      return write.call(stream, chunk, encoding as BufferEncoding, done as WriteCallback);
    };
    return () => {
      stream.write = write;
    };
  });

  // display_id → the output it updates (tslab sends an update for a display made with an id).
  const byDisplayId = new Map<string, NotebookOutput & { output_type: 'display_data' }>();
  const hook: DisplayHook = (display, update) => {
    const bytes = JSON.stringify(display.data).length;
    if (displayBytes + bytes > MAX_OUTPUT_DISPLAY_BYTES) {
      truncate(`displays beyond ${MAX_OUTPUT_DISPLAY_BYTES} bytes were not kept`);
      return;
    }
    displayBytes += bytes;
    const id = display.transient?.display_id;
    const earlier = id !== undefined ? byDisplayId.get(id) : undefined;
    if (update && earlier) {
      earlier.data = display.data;
      earlier.metadata = display.metadata ?? {};
      return;
    }
    const output = {
      output_type: 'display_data' as const,
      data: display.data,
      metadata: display.metadata ?? {},
    };
    outputs.push(output);
    if (id !== undefined) {
      byDisplayId.set(id, output);
    }
  };
  const tslabs = loadedTslabJupyters();
  const previousHooks = tslabs.map((jupyter) => jupyter.lastWriteDisplayData);
  for (const jupyter of tslabs) {
    jupyter.lastWriteDisplayData = hook;
  }

  return {
    finish() {
      for (const restore of restoreStreams) {
        restore();
      }
      tslabs.forEach((jupyter, i) => {
        jupyter.lastWriteDisplayData = previousHooks[i];
      });
      return outputs;
    },
  };
}

/** Every copy of tslab's jupyter module in the require cache (the project's, a helper module's). */
function loadedTslabJupyters(): TslabJupyter[] {
  return Object.entries(require.cache)
    .filter(([file, module]) => TSLAB_JUPYTER.test(file) && module?.exports)
    .map(([, module]) => module!.exports as TslabJupyter)
    .filter((exports) => 'lastWriteDisplayData' in exports);
}

const RUNTIME_DIR = path.resolve(__dirname, '..');

/** A failed step's stack without the frames of cellflow's runtime and Node's internals: the user's code. */
export function userStack(stack: string | undefined): string | undefined {
  return stack
    ?.split('\n')
    .filter(
      (line, i) =>
        i === 0 ||
        !/^\s+at /.test(line) ||
        !(line.includes(RUNTIME_DIR) || line.includes('(node:') || /at node:/.test(line)),
    )
    .join('\n');
}
