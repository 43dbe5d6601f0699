// Builds the kernel on its already bound sockets (main.ts): tslab's converter and executor, the step
// context, and the ZeroMQ server, in that order.
import type { Converter } from 'tslab/dist/converter';
import type { ConsoleInterface, ConverterSet } from 'tslab/dist/executor';
import { callEndpoint } from './call-endpoint';
import { CellSources } from './cell-sources';
import { CellflowHandler } from './handler';
import { InteractiveStore } from './interactive-store';
import { NotebookIndex } from './notebook-index';
import { installRequireResolution, installTypeResolution } from './package-resolution';
import { saveInteractive, type SaveOptions } from './save-interactive';
import { CellflowServer, logToTerminal } from './server';
import type { KernelSockets } from './sockets';
import { StepContext } from './step-context';
import { withStepGlobals } from './step-globals';

export function startKernel(sockets: KernelSockets, cwd = process.cwd()): CellflowServer {
  installTypeResolution(cwd, require('@tslab/typescript-for-tslab'));
  // Loaded after the type-resolution hook, since tslab reads the compiler's `sys` when it starts.
  const { createConverter } = require('tslab/dist/converter') as typeof import('tslab/dist/converter');
  const { createExecutor } = require('tslab/dist/executor') as typeof import('tslab/dist/executor');

  const sources = new CellSources();
  const convs = converterSet(() => createConverter({ isJS: false, isBrowser: false }), sources);
  // The executor needs its console before the handler that owns it exists.
  const box: { handler?: CellflowHandler } = {};
  const console: ConsoleInterface = {
    log: (...args: unknown[]) => box.handler?.console().log(...args),
    error: (...args: unknown[]) => box.handler?.console().error(...args),
  };
  const executor = createExecutor(cwd, convs, console);
  installRequireResolution(cwd);

  const store = new InteractiveStore();
  const steps = new StepContext(store);
  const notebooks = new NotebookIndex(cwd);
  const helpers = {
    useItem: (index: number) => steps.useItem(index),
    interactiveState: () => steps.state(),
    saveInteractive: (options?: SaveOptions) => {
      const step = [...steps.results.keys()][0];
      const known = step ? notebooks.notebookWithStep(step) : undefined;
      return saveInteractive(steps, store, known?.flow.parameters ?? [], known?.notebook, cwd, options);
    },
    callEndpoint: (name: string, request: unknown) =>
      callEndpoint(name, request, { locals: executor.locals, steps, store, notebooks }),
  };
  const handler = new CellflowHandler(executor, sources, steps, notebooks, helpers);
  box.handler = handler;
  const server = new CellflowServer(handler, sockets, {
    interrupt: () => executor.interrupt(),
    comm: { cwd, steps, notebooks },
    // After the kernel_info reply: the compiler loads while the client gets ready.
    warmUp: async () => {
      convs.warm();
      handler.bindGlobals();
    },
  });
  // A blocking cell is stopped by SIGINT through vm's breakOnSigint; an awaiting one by interrupt().
  process.on('SIGINT', () => executor.interrupt());
  process.on('uncaughtException', (error) => logToTerminal(`uncaught exception: ${error?.stack ?? error}`));
  process.on('unhandledRejection', (reason) =>
    logToTerminal(`unhandled promise rejection: ${(reason as Error)?.stack ?? String(reason)}`),
  );
  void server.init();
  return server;
}

/** tslab's converter, with every transpiled cell named after its execution so stacks can be mapped. */
function converterSet(create: () => Converter, sources: CellSources): ConverterSet & { warm(): void } {
  let node: Converter | undefined;
  // Every cell is compiled after the step globals' declarations (step-globals.ts).
  const wrap = (inner: Converter): Converter => ({
    ...inner,
    convert(prevDecl, src) {
      const result = inner.convert(withStepGlobals(prevDecl), src);
      return result.output ? { ...result, output: sources.register(result.output) } : result;
    },
    inspect: (prevDecl, src, position) => inner.inspect(withStepGlobals(prevDecl), src, position),
    complete: (prevDecl, src, position) => inner.complete(withStepGlobals(prevDecl), src, position),
    addModule: (name, content, meta) => inner.addModule(name, content, meta),
    close: () => inner.close(),
  });
  const set = {
    get node() {
      node ??= wrap(create());
      return node;
    },
    get browser(): Converter {
      throw new Error('the cellflow kernel runs cells in Node only (no browser mode)');
    },
    close() {
      node?.close();
    },
    /** Loads the compiler and builds its program with the step globals, before any cell needs it. */
    warm() {
      set.node.convert('', '');
    },
  };
  return set;
}
