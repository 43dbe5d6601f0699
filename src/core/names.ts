// Flow names: `metadata.cellflow.flow` when set, else the notebook's file name; always a name the
// datastore accepts as a path segment ([A-Za-z0-9_-], 1 to 128 characters).
import type { JsonValue } from './model';

const MAX_FLOW_NAME = 128;

export function sanitizeFlowName(raw: string): string {
  const cleaned = raw.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, MAX_FLOW_NAME);
  return cleaned.length > 0 ? cleaned : 'flow';
}

/** The file name without directories or `.ipynb`, for `/` and `\` separated paths alike. */
export function notebookBaseName(path: string): string {
  const file = path.split(/[\\/]/).pop() ?? path;
  return file.replace(/\.ipynb$/i, '');
}

export function flowNameOf(metadata: Record<string, JsonValue>, path: string): string {
  const settings = metadata.cellflow;
  if (settings && typeof settings === 'object' && !Array.isArray(settings)) {
    const flow = settings.flow;
    if (typeof flow === 'string' && flow.trim() !== '') {
      return sanitizeFlowName(flow.trim());
    }
  }
  return sanitizeFlowName(notebookBaseName(path));
}
