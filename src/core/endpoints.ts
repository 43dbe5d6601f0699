// Endpoint cells (DESIGN "Serving"): a cell tagged `endpoint:NAME` defines
// `export function NAME(request, artifacts)`, which `cellflow serve` calls with a request's JSON and
// the run's final artifacts. Lint checks the signature and that every artifact the function reads
// exists at the end of the flow; the manifest records what it reads and its request's shape.
import { analyzeCode, type ExportedFunction } from './analysis';
import { artifactsAtEnd } from './artifacts';
import type { EndpointRuleId } from './rule-ids';
import type {
  Diagnostic,
  EndpointManifest,
  EndpointSource,
  FlowGraph,
  JsonValue,
  NotebookFlow,
  RequestField,
  RequestShape,
} from './model';
import { editDistance, isValidArtifactName } from './tags';

/**
 * The endpoint cell's code without its `export` keyword(s), line for line: the compiled module's
 * `endpoints` object exports the function, and in the kernel tslab already shares every top-level
 * declaration between cells (it refuses an explicit export of a name it exports itself).
 */
export function withoutExportKeywords(source: string): string {
  let out = source;
  for (const offset of [...analyzeCode(source).exportKeywordOffsets].sort((a, b) => b - a)) {
    out = out.slice(0, offset) + out.slice(offset).replace(/^export[ \t]*/, '');
  }
  return out;
}

function exportedFunction(endpoint: EndpointSource): ExportedFunction | undefined {
  return analyzeCode(endpoint.code.source).exportedFunctions.find((f) => f.name === endpoint.name);
}

/** Signature and artifact checks for every endpoint cell, and the `serve.reference` metadata. */
export function lintEndpoints(flow: NotebookFlow, graph: FlowGraph | undefined): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  const end = graph ? artifactsAtEnd(flow, graph) : undefined;
  for (const endpoint of flow.endpoints) {
    const cell = endpoint.code.cell;
    const facts = analyzeCode(endpoint.code.source);
    const error = (rule: EndpointRuleId, message: string, line?: number, hint?: string): void => {
      diagnostics.push({
        severity: 'error',
        rule,
        message,
        cell,
        ...(line !== undefined ? { line } : {}),
        ...(hint ? { hint } : {}),
      });
    };
    if (facts.syntaxErrors.length > 0) {
      continue;
    } // reported as syntax-error already
    const fn = exportedFunction(endpoint);
    const shape = `export function ${endpoint.name}(request, artifacts)`;
    if (!fn) {
      error(
        'endpoint-signature',
        `the cell is tagged 'endpoint:${endpoint.name}' but does not export a function named '${endpoint.name}': define ${shape}`,
        facts.exportLines[0],
      );
      continue;
    }
    const others = facts.exportedFunctions.filter((f) => f !== fn);
    if (others.length > 0 || facts.exportLines.length > 1) {
      error(
        'endpoint-signature',
        `an endpoint cell exports one function, '${endpoint.name}'; remove 'export' from the others`,
        others[0]?.line ?? facts.exportLines[1],
      );
    }
    const { parameters } = fn;
    if (parameters.length === 0 || parameters.length > 2 || parameters.some((p) => p.rest)) {
      error(
        'endpoint-signature',
        `'${endpoint.name}' takes ${parameters.some((p) => p.rest) ? 'a rest parameter' : `${parameters.length} parameters`}; an endpoint is ${shape}`,
        fn.line,
      );
      continue;
    }
    for (const line of facts.topLevelAwaitLines) {
      error(
        'endpoint-signature',
        'an endpoint cell cannot await at its top level (it runs once, when the server loads); await inside the function instead',
        line,
      );
    }
    if (!end || end.open) {
      continue;
    }
    const reported = new Set<string>();
    for (const read of fn.secondParameterReads) {
      if (end.names.has(read.name) || reported.has(read.name)) {
        continue;
      }
      reported.add(read.name);
      const guess = closestName(read.name, [...end.names]);
      error(
        'endpoint-unknown-artifact',
        `endpoint '${endpoint.name}' reads artifact '${read.name}', which the flow does not have at its end (step '${graph!.end}')${end.names.size ? `; it has ${[...end.names].sort().join(', ')}` : ''}`,
        read.line,
        guess ? `Did you mean 'artifacts.${guess}'?` : undefined,
      );
    }
  }
  diagnostics.push(...lintServeMetadata(flow, graph));
  return diagnostics;
}

/** `metadata.cellflow.serve.reference` names the artifact `cellflow monitor` compares requests with. */
function lintServeMetadata(flow: NotebookFlow, graph: FlowGraph | undefined): Diagnostic[] {
  const serve = serveMetadata(flow.notebook.metadata);
  if (serve === undefined) {
    return [];
  }
  const problem = (message: string): Diagnostic[] => [
    { severity: 'error', rule: 'invalid-serve-metadata', message },
  ];
  if (serve === null || typeof serve !== 'object' || Array.isArray(serve)) {
    return problem(`notebook metadata cellflow.serve must be an object like {"reference": "ARTIFACT"}`);
  }
  const reference = serve.reference;
  if (reference === undefined) {
    return [];
  }
  if (typeof reference !== 'string' || !isValidArtifactName(reference)) {
    return problem(
      `notebook metadata cellflow.serve.reference must be an artifact name, got ${JSON.stringify(reference)}`,
    );
  }
  if (!graph) {
    return [];
  }
  const end = artifactsAtEnd(flow, graph);
  if (end.open || end.names.has(reference)) {
    return [];
  }
  const guess = closestName(reference, [...end.names]);
  return [
    {
      severity: 'error',
      rule: 'invalid-serve-metadata',
      message: `notebook metadata cellflow.serve.reference names artifact '${reference}', which the flow does not have at its end (step '${graph.end}')`,
      ...(guess ? { hint: `Did you mean '${guess}'?` } : {}),
    },
  ];
}

function serveMetadata(metadata: Record<string, JsonValue>): JsonValue | undefined {
  const cellflow = metadata.cellflow;
  if (cellflow === null || typeof cellflow !== 'object' || Array.isArray(cellflow)) {
    return undefined;
  }
  return cellflow.serve;
}

/** The manifest's `serve`, when the notebook names a valid reference artifact. */
export function serveManifest(flow: NotebookFlow): { reference: string } | undefined {
  const serve = serveMetadata(flow.notebook.metadata);
  if (serve === null || typeof serve !== 'object' || Array.isArray(serve)) {
    return undefined;
  }
  return typeof serve.reference === 'string' ? { reference: serve.reference } : undefined;
}

/** What the compiled manifest says about each endpoint (after lint passed). */
export function endpointManifests(flow: NotebookFlow): EndpointManifest[] {
  const objectTypes = new Map<string, RequestField[]>();
  for (const chunk of [...flow.prelude, ...flow.endpoints.map((e) => e.code)]) {
    analyzeCode(chunk.source).objectTypes.forEach((fields, name) => objectTypes.set(name, fields));
  }
  return flow.endpoints.map((endpoint) => {
    const fn = exportedFunction(endpoint)!;
    const request = fn.parameters[0];
    const fields =
      request.typeFields ?? (request.typeName !== undefined ? objectTypes.get(request.typeName) : undefined);
    const shape: RequestShape = { type: request.typeText ?? 'unknown', ...(fields ? { fields } : {}) };
    const artifacts = [...new Set(fn.secondParameterReads.map((r) => r.name))].sort();
    return {
      name: endpoint.name,
      cell: endpoint.code.cell,
      artifacts,
      ...(fn.secondParameterOpaqueLine !== undefined ? { readsOtherArtifacts: true } : {}),
      request: shape,
    };
  });
}

function closestName(word: string, candidates: string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const distance = editDistance(word.toLowerCase(), candidate.toLowerCase());
    if (distance <= Math.max(2, Math.floor(word.length / 3)) && distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}
