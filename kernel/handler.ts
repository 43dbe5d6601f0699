// Executes cells: tslab's executor (transpile + run in this process) with the step context installed
// as kernel variables before each cell. Extends tslab's JupyterHandlerImpl for kernel info,
// completion, inspection and is_complete; execution is its own because it needs the request's
// metadata (the cell's tags) and reports errors as Jupyter `error` messages pointing at the cell line.
import * as fs from 'fs';
import * as path from 'path';
import { format, inspect } from 'util';
import type { ConsoleInterface, Executor } from 'tslab/dist/executor';
import * as tslabJupyter from 'tslab/dist/jupyter';
import { JupyterHandlerImpl } from 'tslab/dist/jupyter';
import type { JsonValue } from '../src/core/model';
import { withoutExportKeywords } from '../src/core/endpoints';
import { parseParameters } from '../src/core/parameters';
import { resolveCell, type RequestMetadata, type ResolvedCell } from './cell-resolver';
import { CellSources, describeCell } from './cell-sources';
import { guardBindings } from './guards';
import { History } from './history';
import { NotebookIndex } from './notebook-index';
import { packageRoot } from './package-root';
import { richDisplay } from './display';
import { StepContext, type StepBindings } from './step-context';

export type MimeBundle = Record<string, unknown>;

/** Where one execution's outputs go (iopub messages in reply to the request). */
export interface ExecuteIO {
  stream(name: 'stdout' | 'stderr', text: string): void;
  display(data: MimeBundle, update: boolean, transient?: Record<string, unknown>): void;
  result(data: MimeBundle, count: number): void;
  error(ename: string, evalue: string, traceback: string[]): void;
  input(code: string, count: number): void;
}

export interface ExecuteRequest {
  code: string;
  silent?: boolean;
  store_history?: boolean;
  stop_on_error?: boolean;
}

export type ExecuteReply =
  | { status: 'ok'; execution_count: number; user_expressions: Record<string, never>; payload: [] }
  | { status: 'error'; execution_count: number; ename: string; evalue: string; traceback: string[] }
  | { status: 'aborted'; execution_count: number };

/** The names the kernel declares once, then rebinds for every cell. */

interface Failure {
  ename: string;
  evalue: string;
  traceback: string[];
}

export class CellflowHandler extends JupyterHandlerImpl {
  readonly steps: StepContext;
  readonly notebooks: NotebookIndex;
  readonly sources: CellSources;
  readonly history = new History();
  private count = 0;
  private errorEpoch = 0;
  private io: ExecuteIO | undefined;
  private failures: Failure[] = [];
  private current: ResolvedCell | undefined;
  /** The values the kernel put in the cells' scope (as opposed to the user's own bindings). */
  private readonly ours = new WeakSet<object>();

  constructor(
    private readonly cellExecutor: Executor,
    sources: CellSources,
    steps: StepContext,
    notebooks: NotebookIndex,
    private readonly helpers: Record<string, unknown>,
  ) {
    super(cellExecutor, false);
    this.sources = sources;
    this.steps = steps;
    this.notebooks = notebooks;
  }

  /** The console tslab's executor reports to: the last expression's value and errors. */
  console(): ConsoleInterface {
    return {
      log: (value: unknown) => this.onResult(value),
      error: (...args: unknown[]) => this.onError(args),
    };
  }

  /** Declares the step names for the type checker; run once before the first cell. */
  /** Binds the step variables' guards for cells outside any step (their types: step-globals.ts). */
  bindGlobals(): void {
    this.bind(undefined, { kind: 'plain', source: 'none' });
  }

  override handleKernel(): ReturnType<JupyterHandlerImpl['handleKernel']> {
    const info = super.handleKernel();
    // tslab reports a fixed language version; the compiler it runs is this one.
    const version = (require('@tslab/typescript-for-tslab') as { version: string }).version;
    return {
      ...info,
      implementation: 'cellflow',
      implementation_version: packageVersion(),
      language_info: { ...info.language_info, version },
      banner: 'TypeScript (cellflow): tslab with flow steps',
    };
  }

  /** Bumped by every failed cell that stops on error; requests that arrived before it are aborted. */
  get epoch(): number {
    return this.errorEpoch;
  }

  /** Runs one execute_request (the server hands them over one at a time, in arrival order). */
  async execute(
    request: ExecuteRequest,
    metadata: RequestMetadata,
    io: ExecuteIO,
    epoch = this.errorEpoch,
  ): Promise<ExecuteReply> {
    if (epoch !== this.errorEpoch) {
      return { status: 'aborted', execution_count: this.count };
    }
    return this.run(request, metadata, io);
  }

  private async run(
    request: ExecuteRequest,
    metadata: RequestMetadata,
    io: ExecuteIO,
  ): Promise<ExecuteReply> {
    const silent = request.silent === true;
    const store = !silent && request.store_history !== false;
    if (store) {
      this.count++;
    }
    const count = this.count;
    if (store) {
      this.history.add(count, request.code);
    }
    if (!silent) {
      io.input(request.code, count);
    }
    this.io = silent ? undefined : io;
    this.failures = [];
    // As in IPython (and tslab), output printed later by this cell's timers still goes to this cell.
    process.stdout.write = writeTo((text) => io.stream('stdout', text));
    process.stderr.write = writeTo((text) => io.stream('stderr', text));
    (tslabJupyter as { lastWriteDisplayData: unknown }).lastWriteDisplayData = (
      data: { data: MimeBundle; metadata?: unknown; transient?: Record<string, unknown> },
      update: boolean,
    ) => io.display(data.data, update, data.transient);

    let ok = false;
    try {
      const cell = resolveCell(metadata, request.code, this.notebooks, this.steps.lastStep);
      this.current = cell;
      const code = cell.endpoint ? withoutExportKeywords(request.code) : request.code;
      this.sources.pending = { code, cell: cell.cell, step: cell.step };
      this.prepare(cell, request.code);
      ok = await this.cellExecutor.execute(code);
      if (ok) {
        this.finish(cell, request.code);
      }
    } catch (error) {
      this.failures.push(this.describeError(error));
      ok = false;
    } finally {
      this.sources.pending = undefined;
      this.current = undefined;
      this.io = undefined;
    }
    if (ok) {
      return { status: 'ok', execution_count: count, user_expressions: {}, payload: [] };
    }
    const failure = this.combinedFailure();
    if (!silent) {
      io.error(failure.ename, failure.evalue, failure.traceback);
    }
    if (request.stop_on_error !== false) {
      this.errorEpoch++;
    }
    return { status: 'error', execution_count: count, ...failure };
  }

  /** Installs `self`, `inputs`, `current`, `mergeArtifacts` for the cell (guards outside steps). */
  private prepare(cell: ResolvedCell, code: string): void {
    if (cell.kind === 'step') {
      const parameters = this.notebooks.parametersFor(cell.step!);
      this.bind(this.steps.enter(cell, code, parameters), cell);
      // Said with the cell's output, where the user looks: what this cell runs that a flow run would not.
      for (const note of this.steps.notes) {
        this.io?.stream('stderr', `cellflow: ${note}\n`);
      }
    } else {
      this.bind(undefined, cell);
    }
  }

  /**
   * A step cell always gets its bindings. Any other cell gets guards in place of the kernel's own
   * values only: a name the user bound themselves (`const current = 5` in a plain notebook) is left
   * alone, so plain notebooks run as under tslab.
   */
  private bind(bindings: StepBindings | undefined, cell: ResolvedCell): void {
    const locals = this.cellExecutor.locals;
    const values: Record<string, unknown> = { ...(bindings ?? guardBindings(cell)), cellflow: this.helpers };
    for (const [name, value] of Object.entries(values)) {
      const mine = locals[name] === undefined || this.ours.has(locals[name] as object);
      if (!bindings && !mine) {
        continue;
      }
      if (name === 'cellflow' && !mine) {
        continue;
      }
      locals[name] = value;
      this.ours.add(value as object);
    }
  }

  private finish(cell: ResolvedCell, code: string): void {
    if (cell.kind === 'step') {
      this.steps.commit();
      for (const note of this.steps.doneNotes) {
        this.io?.stream('stderr', `cellflow: ${note}\n`);
      }
    }
    if (cell.kind === 'parameters') {
      // The values the parameters cell just set become the values `self` starts from; the names are
      // those core reads from the cell (`const name = literal`), as the compiler does.
      const names = parseParameters(code, cell.cell ?? { index: 0, id: 'parameters' }).parameters.map(
        (p) => p.name,
      );
      const values: Record<string, JsonValue> = {};
      for (const name of names) {
        const value = this.cellExecutor.locals[name];
        if (value !== undefined) {
          values[name] = value as JsonValue;
        }
      }
      this.steps.setParameters(values);
    }
  }

  // ---------------------------------------------------------------- outputs

  private onResult(value: unknown): void {
    const io = this.io;
    if (!io) {
      return;
    }
    const rich = richDisplay(value);
    if (rich) {
      io.display(rich, false);
    } else {
      const text = inspect(value, { colors: false, depth: 4 });
      this.history.setOutput(this.count, text);
      io.result({ 'text/plain': text }, this.count);
    }
  }

  private onError(args: unknown[]): void {
    // tslab reports type errors as ("%s%d:%d - %s", file, line, column, message), runtime errors as (error).
    if (typeof args[0] === 'string' && args[0].startsWith('%s%d:%d')) {
      const [, file, line, column, message] = args as [string, string, number, number, string];
      const where = this.current?.cell || this.current?.step ? `${describeCell(this.current)}, ` : '';
      const text = `${file}${where}line ${line}, column ${column}: ${message}`;
      this.failures.push({ ename: 'TypeScriptError', evalue: String(message), traceback: [text] });
      return;
    }
    if (args.length === 1) {
      this.failures.push(this.describeError(args[0]));
      return;
    }
    this.failures.push({ ename: 'Error', evalue: format(...args), traceback: [format(...args)] });
  }

  private describeError(error: unknown): Failure {
    if (!(error instanceof Error) && !(typeof error === 'object' && error !== null && 'stack' in error)) {
      const text = inspect(error);
      return { ename: 'Error', evalue: text, traceback: [`Uncaught ${text}`] };
    }
    const err = error as Error;
    const location = this.sources.locate(err.stack);
    const where = location
      ? `${describeCell(location.source)}${location.line ? `, line ${location.line}` : ''}: `
      : this.current?.step || this.current?.cell
        ? `${describeCell(this.current)}: `
        : '';
    const stack = err.stack ? this.sources.describeStack(err.stack) : `${err.name}: ${err.message}`;
    return {
      ename: err.name || 'Error',
      evalue: err.message,
      // Only the frames: vm decorates stacks with a source excerpt that would repeat the message.
      traceback: [
        `${where}${err.name}: ${err.message}`,
        ...stack.split('\n').filter((l) => /^\s+at /.test(l)),
      ],
    };
  }

  private combinedFailure(): Failure {
    if (this.failures.length === 0) {
      return { ename: 'Error', evalue: 'the cell failed', traceback: ['the cell failed'] };
    }
    if (this.failures.length === 1) {
      return this.failures[0];
    }
    return {
      ename: this.failures[0].ename,
      evalue: this.failures.map((f) => f.evalue).join('\n'),
      traceback: this.failures.flatMap((f) => f.traceback),
    };
  }
}

const decoder = new TextDecoder();

/** A `write` for process.stdout/stderr that forwards text and calls the callback as Node's would. */
function writeTo(emit: (text: string) => void): typeof process.stdout.write {
  return ((chunk: string | Uint8Array, encoding?: unknown, callback?: unknown) => {
    emit(typeof chunk === 'string' ? chunk : decoder.decode(chunk));
    const done = typeof encoding === 'function' ? encoding : callback;
    if (typeof done === 'function') {
      process.nextTick(done as () => void);
    }
    return true;
  }) as typeof process.stdout.write;
}

function packageVersion(): string {
  const file = path.join(packageRoot(), 'package.json');
  return (JSON.parse(fs.readFileSync(file, 'utf8')) as { version: string }).version;
}
