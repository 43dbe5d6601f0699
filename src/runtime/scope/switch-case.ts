// switch:ARTIFACT (DESIGN.md "Tag grammar"): the value a switch task left in self.ARTIFACT must name
// one of the step's successors; that one runs and the other cases are not taken.
import type { GraphNode } from '../../core/model';

/** The successor `value` names, or an error that lists the allowed ones. */
export function chosenCase(node: GraphNode, value: unknown): string {
  if (typeof value === 'string' && node.next.includes(value)) {
    return value;
  }
  const allowed = node.next.map((n) => `'${n}'`).join(', ');
  return fail(
    `switch:${node.switch} needs self.${node.switch} to be the name of one of the next steps (${allowed}), got ${describe(value)}.`,
  );
}

function fail(message: string): never {
  throw new Error(message);
}

function describe(value: unknown): string {
  if (value === undefined) {
    return 'undefined (was it assigned?)';
  }
  if (typeof value === 'string') {
    return JSON.stringify(value);
  }
  if (value === null || typeof value === 'number' || typeof value === 'boolean') {
    return String(value);
  }
  return typeof value === 'object' ? (value.constructor?.name ?? 'an object') : typeof value;
}
