// What `self`, `inputs`, `current` and `mergeArtifacts` are in a cell outside any step: stand-ins that
// say what is missing, instead of the bare "Cannot read properties of undefined" a cell would get.
import type { ResolvedCell } from './cell-resolver';
import type { StepBindings } from './step-context';

export class NoStepContextError extends Error {
  constructor(name: string, cell: ResolvedCell) {
    super(explain(name, cell));
    this.name = 'NoStepContextError';
  }
}

function explain(name: string, cell: ResolvedCell): string {
  const head = `\`${name}\` exists only in a step's cells, and the kernel does not know this cell as part of a step`;
  if (cell.tags === undefined && !cell.fromFrontend) {
    return (
      `${head}: the client sent no cell metadata (nbclient and papermill do not), and no notebook in the ` +
      `kernel's working directory has a cell with this exact code. Save the notebook beside the kernel's ` +
      `working directory, or run it with JupyterLab or \`cellflow run\`.`
    );
  }
  return `${head}: tag the cell step:NAME, or put it below a step cell and run that cell first.`;
}

export function guardBindings(cell: ResolvedCell): StepBindings {
  const trap = (name: string): ProxyHandler<object> => ({
    get(_t, key) {
      if (key === Symbol.toPrimitive || key === 'then' || key === Symbol.iterator) {
        return undefined;
      }
      if (typeof key === 'symbol') {
        return undefined;
      }
      throw new NoStepContextError(name, cell);
    },
    set() {
      throw new NoStepContextError(name, cell);
    },
    has() {
      throw new NoStepContextError(name, cell);
    },
    ownKeys() {
      throw new NoStepContextError(name, cell);
    },
  });
  return {
    self: new Proxy({}, trap('self')) as Record<string, unknown>,
    inputs: new Proxy([], trap('inputs')) as unknown as StepBindings['inputs'],
    current: new Proxy({}, trap('current')) as StepBindings['current'],
    mergeArtifacts: () => {
      throw new NoStepContextError('mergeArtifacts', cell);
    },
  };
}
