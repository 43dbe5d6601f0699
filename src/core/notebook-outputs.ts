// A task's outputs as nbformat 4 code-cell outputs: what its step printed (stream) and displayed
// (display_data, from tslab's `display.*`) in the order it happened, and its error when it failed.
// Stored per task by the runtime, shown by the run browser and written into executed notebooks, so
// one shape serves all three. Pure: it runs in the browser too.
import type { JsonValue } from './model';

export interface StreamOutput {
  output_type: 'stream';
  name: 'stdout' | 'stderr';
  text: string;
}

export interface DisplayDataOutput {
  output_type: 'display_data';
  /** MIME type → content: text as a string, binary (image/png) as base64, JSON as JSON. */
  data: Record<string, JsonValue>;
  metadata: Record<string, JsonValue>;
}

export interface ErrorOutput {
  output_type: 'error';
  ename: string;
  evalue: string;
  traceback: string[];
}

export type NotebookOutput = StreamOutput | DisplayDataOutput | ErrorOutput;

/** Appends printed text, merged into the previous output when it is the same stream (as Jupyter does). */
export function appendStream(outputs: NotebookOutput[], name: StreamOutput['name'], text: string): void {
  if (text === '') {
    return;
  }
  const last = outputs[outputs.length - 1];
  if (last?.output_type === 'stream' && last.name === name) {
    last.text += text;
  } else {
    outputs.push({ output_type: 'stream', name, text });
  }
}

/** The error output of a failed step: its type, message and (mapped) stack as the traceback. */
export function errorOutput(ename: string, evalue: string, stack?: string): ErrorOutput {
  const traceback = stack ? stack.split('\n') : [`${ename}: ${evalue}`];
  return { output_type: 'error', ename, evalue, traceback };
}

/** Whether a value read back from the datastore is a list of outputs this module knows. */
export function isNotebookOutputList(value: unknown): value is NotebookOutput[] {
  return (
    Array.isArray(value) &&
    value.every(
      (item) =>
        typeof item === 'object' &&
        item !== null &&
        ['stream', 'display_data', 'error'].includes(
          (item as { output_type?: unknown }).output_type as string,
        ),
    )
  );
}
