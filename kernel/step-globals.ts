// The types of what the kernel binds in every cell (`self`, `inputs`, `current`, `mergeArtifacts`,
// `cellflow`; kernel/step-context.ts gives the values), as the declarations tslab carries from one
// cell to the next (its `prevDecl`, a .d.ts). Handing them to the compiler as the declarations that
// precede the first cell, rather than running a cell that declares them, saves the kernel a whole
// compile before its first cell, and a `reset` (which empties tslab's declarations) keeps them.
export const STEP_GLOBALS = [
  'export declare let self: any;',
  'export declare let inputs: ReadonlyArray<Readonly<Record<string, any>> & { readonly step: string }> & { readonly [step: string]: any };',
  'export declare let current: { flowName: string; runId: string; originRunId: string | null; stepName: string; taskId: string;',
  '  attempt: number; isInteractive: boolean; pathspec: string; user: string; namespace: string; tags: string[];',
  '  parameterNames: string[]; foreachStack: { step: string; index: number; count: number; input: any }[];',
  '  seed?: number; random(): number };',
  'export declare let mergeArtifacts: (inputs: ReadonlyArray<any>, options?: { include?: string[]; exclude?: string[] }) => void;',
  'export declare let cellflow: { useItem(index: number): void; saveInteractive(options?: { tags?: string[] }): Promise<any>;',
  '  interactiveState(): { step: string; stale: boolean; ranAt?: string }[];',
  '  callEndpoint(name: string, request: unknown): Promise<any> };',
  '',
].join('\n');

/** tslab's declarations before a cell: the step globals when nothing has been declared yet. */
export const withStepGlobals = (prevDecl: string): string => prevDecl || STEP_GLOBALS;
