// The Arrow codec: apache-arrow Tables as Arrow IPC, written without joining the table into one buffer.
// Kept apart from codecs.ts so that apache-arrow is loaded only when a Table is stored or read.
import { DataType, RecordBatchFileWriter, RecordBatchStreamWriter, Table, tableFromIPC } from 'apache-arrow';

/** Reads the IPC file or stream format (tableFromIPC tells them apart by the file magic). */
export function decodeArrowTable(bytes: Uint8Array): Table {
  return tableFromIPC(bytes);
}

/** What the Arrow codec needs from an apache-arrow library: this process's copy or a notebook project's. */
interface ArrowWriters {
  RecordBatchFileWriter: typeof RecordBatchFileWriter;
  RecordBatchStreamWriter: typeof RecordBatchStreamWriter;
}

const ownWriters: ArrowWriters = { RecordBatchFileWriter, RecordBatchStreamWriter };

/**
 * The library that built `table`. apache-arrow's writers only understand their own DataType instances,
 * so a Table from another copy (a notebook project that installs its own apache-arrow) must be written
 * by that copy; it is found among the loaded CommonJS modules.
 */
function writersFor(table: Table): ArrowWriters | undefined {
  if (table.schema.fields.every((field) => field.type instanceof DataType)) {
    return ownWriters;
  }
  for (const loaded of Object.values(require.cache)) {
    const exports = loaded?.exports as Partial<ArrowWriters & { Table: unknown }> | undefined;
    if (
      exports?.Table === table.constructor &&
      exports.RecordBatchFileWriter &&
      exports.RecordBatchStreamWriter
    ) {
      return exports as ArrowWriters;
    }
  }
  return undefined;
}

/**
 * A writer class that keeps its output as it goes instead of joining it into one buffer: the body
 * buffers it emits are views on the table's own memory, so encoding a large table copies no column.
 */
function collecting(Writer: typeof RecordBatchFileWriter) {
  return class CollectingWriter extends Writer {
    readonly chunks: Uint8Array[] = [];

    protected override _write(chunk: ArrayBufferView): this {
      if (this._started && chunk.byteLength > 0) {
        this.chunks.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
        this._position += chunk.byteLength;
      }
      return this;
    }
  };
}

/**
 * The IPC *file* format, which pyarrow.ipc.open_file, pandas and polars read directly. A table whose
 * batches carry different dictionaries cannot be a file (the format allows one dictionary per column),
 * so it is written in the IPC *stream* format instead (pyarrow.ipc.open_stream); both decode here.
 */
export function encodeArrowTable(table: Table): Uint8Array[] {
  const writers = writersFor(table);
  if (!writers) {
    throw new Error('the Arrow Table comes from a copy of apache-arrow that cellflow cannot find');
  }
  const formats = [
    writers.RecordBatchFileWriter,
    writers.RecordBatchStreamWriter as typeof RecordBatchFileWriter,
  ];
  for (const [i, Writer] of formats.entries()) {
    try {
      const writer = new (collecting(Writer))();
      writer.writeAll(table);
      writer.finish();
      return writer.chunks;
    } catch (error) {
      const message = (error as Error).message;
      if (i === 0 && /replacement dictionaries/i.test(message)) {
        continue;
      }
      throw new Error(`Arrow IPC encoding failed: ${message}`);
    }
  }
  throw new Error('unreachable');
}
