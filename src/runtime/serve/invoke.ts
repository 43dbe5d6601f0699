// One call of an endpoint, as the server, `replay` and the kernel make it: check the request against
// the endpoint's declared shape, call the function with the run's artifacts, and turn the outcome into
// an HTTP status and a JSON body. A request the function rejects (it throws an error whose `status`
// is 4xx) is that status; any other exception is a 500; the result must survive JSON.
import type { EndpointManifest, RequestShape } from '../../core/model';
import type { ArtifactValues } from './artifacts-view';
import type { ServedEndpoint } from './served-run';

export interface Invocation {
  status: number;
  /** The JSON body: the function's result (200), or `{ error }`. */
  body: unknown;
  /** `body` as JSON text: the server answers with it and logs it, neither serialises it again. */
  json: string;
  /** The artifacts the function read, name → sha256 (shared between calls: frozen). */
  artifacts: Readonly<Record<string, string>>;
  /** Milliseconds spent in the shape check and the function. */
  latencyMs: number;
  /** For a 500: the exception's stack, for the server's log (never sent to the client). */
  stack?: string;
}

export async function invokeEndpoint(
  endpoint: ServedEndpoint,
  artifacts: ArtifactValues,
  request: unknown,
): Promise<Invocation> {
  const started = performance.now();
  const reads = new Set<string>();
  const finish = (
    status: number,
    body: unknown,
    stack?: string,
    json = JSON.stringify(body),
  ): Invocation => ({
    status,
    body,
    json,
    artifacts: artifacts.digests(reads),
    latencyMs: Math.round((performance.now() - started) * 1000) / 1000,
    ...(stack ? { stack } : {}),
  });
  const problem = shapeProblem(endpoint.manifest, request);
  if (problem) {
    return finish(400, { error: problem });
  }
  let result: unknown;
  try {
    result = await endpoint.fn(request, artifacts.view(reads));
  } catch (error) {
    const status = rejectionStatus(error);
    const message = error instanceof Error ? error.message : String(error);
    if (status !== undefined) {
      return finish(status, { error: message });
    }
    return finish(
      500,
      { error: `endpoint '${endpoint.manifest.name}' failed: ${message}` },
      (error as Error)?.stack,
    );
  }
  let json: string | undefined;
  try {
    json = JSON.stringify(result ?? null);
  } catch (error) {
    return finish(500, {
      error: `endpoint '${endpoint.manifest.name}' returned a value that is not JSON: ${(error as Error).message}`,
    });
  }
  if (json === undefined) {
    // A function or a symbol: JSON.stringify has no text for it.
    return finish(500, {
      error: `endpoint '${endpoint.manifest.name}' returned a value that is not JSON: a ${typeof result}`,
    });
  }
  // The body is what the client will parse from the text, so replay compares like with like.
  return finish(200, JSON.parse(json), undefined, json);
}

/** An error the function throws to reject a request: `Object.assign(new Error(m), { status: 400 })`. */
function rejectionStatus(error: unknown): number | undefined {
  if (error === null || typeof error !== 'object') {
    return undefined;
  }
  const status =
    (error as { status?: unknown; statusCode?: unknown }).status ??
    (error as { statusCode?: unknown }).statusCode;
  return typeof status === 'number' && Number.isInteger(status) && status >= 400 && status < 500
    ? status
    : undefined;
}

/** The declared request type, checked where the compiler could read it: required fields and primitive types. */
export function shapeProblem(manifest: EndpointManifest, request: unknown): string | undefined {
  const fields = manifest.request.fields;
  if (!fields) {
    return undefined;
  }
  if (request === null || typeof request !== 'object' || Array.isArray(request)) {
    return `${manifest.name} expects a JSON object (${describeShape(manifest.request)})`;
  }
  const body = request as Record<string, unknown>;
  for (const field of fields) {
    const value = body[field.name];
    if (value === undefined) {
      if (field.optional) {
        continue;
      }
      return `request field '${field.name}' is missing (${field.name}: ${field.text})`;
    }
    if (field.type !== 'other' && typeof value !== field.type) {
      return `request field '${field.name}' must be a ${field.type}, got ${value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value}`;
    }
  }
  return undefined;
}

export function describeShape(shape: RequestShape): string {
  if (!shape.fields) {
    return shape.type;
  }
  return `{ ${shape.fields.map((f) => `${f.name}${f.optional ? '?' : ''}: ${f.text}`).join('; ')} }`;
}
