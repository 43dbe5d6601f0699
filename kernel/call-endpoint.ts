// `await cellflow.callEndpoint('predict', request)`: calls an endpoint cell's function in the kernel
// the way `cellflow serve` would (JSON in, JSON out, the same request checks and status rules), with
// the latest interactive artifacts of the flow's end step in place of a run's.
import type { EndpointManifest } from '../src/core/model';
import type * as Serve from '../src/runtime/serve';
import type { InteractiveStore } from './interactive-store';
import type { NotebookIndex } from './notebook-index';
import type { StepContext } from './step-context';

/** What the server would answer: thrown as this error when the status is not 200. */
export class EndpointCallError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'EndpointCallError';
  }
}

export async function callEndpoint(
  name: string,
  request: unknown,
  parts: {
    locals: Record<string, unknown>;
    steps: StepContext;
    store: InteractiveStore;
    notebooks: NotebookIndex;
  },
): Promise<unknown> {
  const where = `cellflow.callEndpoint('${name}')`;
  const fn = parts.locals[name];
  if (typeof fn !== 'function') {
    throw new Error(
      `${where}: no function '${name}' in this kernel; run the cell tagged endpoint:${name} first.`,
    );
  }
  const results = [...parts.steps.results.values()];
  const graph = results.find((r) => r.graph)?.graph;
  if (!graph) {
    throw new Error(`${where}: no step has run in this kernel; run the flow's cells first.`);
  }
  const end = parts.steps.results.get(graph.end);
  if (!end) {
    throw new Error(
      `${where}: the end step '${graph.end}' has not run in this kernel; run the flow's cells down to it first.`,
    );
  }
  const manifest = endpointManifest(parts.notebooks, graph.end, name);
  // Loaded on the first call: the serving code (its HTTP server among it) is not every kernel's start-up.
  const { ArtifactValues, invokeEndpoint } = require('../src/runtime/serve') as typeof Serve;
  const artifacts = new ArtifactValues(end.artifacts, (ref) => parts.store.load(ref));
  // As the server: the request arrives as JSON text.
  const json = JSON.stringify(request);
  if (json === undefined) {
    throw new EndpointCallError(400, `${where}: the request is not JSON`);
  }
  const outcome = await invokeEndpoint(
    { manifest, fn: fn as (r: unknown, a: unknown) => unknown },
    artifacts,
    JSON.parse(json),
  );
  if (outcome.status !== 200) {
    const message = (outcome.body as { error?: string }).error ?? JSON.stringify(outcome.body);
    throw new EndpointCallError(outcome.status, `${where} → ${outcome.status}: ${message}`);
  }
  return outcome.body;
}

/** The endpoint's request shape from the notebook, when the kernel knows it (else no shape check). */
function endpointManifest(notebooks: NotebookIndex, endStep: string, name: string): EndpointManifest {
  const known = notebooks.notebookWithStep(endStep);
  const { endpointManifests } = require('../src/core/endpoints') as typeof import('../src/core/endpoints');
  let found: EndpointManifest | undefined;
  try {
    const flow = known?.flow;
    if (flow?.endpoints.some((e) => e.name === name)) {
      found = endpointManifests({ ...flow, endpoints: flow.endpoints.filter((e) => e.name === name) })[0];
    }
  } catch {
    // The saved cell does not define the function (lint says so): call what the kernel has, unchecked.
  }
  return found ?? { name, cell: { index: 0, id: name }, artifacts: [], request: { type: 'unknown' } };
}
