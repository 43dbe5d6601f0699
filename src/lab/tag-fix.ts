// Old comma tags (`next:a,b`) in an open notebook: what the "Fix tags" action would change, and the
// message that offers it. Pure; core's fixCellTags does the rewriting, as `cellflow lint --fix` does.
import { fixCellTags } from '../core';

export interface CellTagsIn {
  index: number;
  id: string;
  tags: readonly string[];
}

export interface CellTagFix {
  index: number;
  id: string;
  /** The cell's whole new tag list. */
  tags: string[];
  changes: { from: string; to: string[] }[];
}

export interface TagFixPlan {
  fixes: CellTagFix[];
  /** Comma tags no tags can replace (an `env:` value holding a comma): left for the user. */
  unfixable: { index: number; id: string; tag: string }[];
}

export function planTagFix(cells: readonly CellTagsIn[]): TagFixPlan {
  const plan: TagFixPlan = { fixes: [], unfixable: [] };
  for (const cell of cells) {
    if (!cell.tags.some((t) => t.includes(','))) {
      continue;
    }
    const fixed = fixCellTags(cell.tags);
    for (const tag of fixed.unfixable) {
      plan.unfixable.push({ index: cell.index, id: cell.id, tag });
    }
    if (fixed.changes.length) {
      plan.fixes.push({ index: cell.index, id: cell.id, tags: fixed.tags, changes: fixed.changes });
    }
  }
  return plan;
}

/** The notification's text: what is wrong, and what "Fix tags" does, with the first rewrite shown. */
export function tagFixMessage(path: string, plan: TagFixPlan): string {
  const count = plan.fixes.reduce((n, f) => n + f.changes.length, 0);
  const first = plan.fixes[0]?.changes[0];
  const lines: string[] = [];
  if (first) {
    const to = first.to.map((t) => `'${t}'`).join(' ');
    lines.push(
      `${path} has ${count === 1 ? 'a comma tag' : `${count} comma tags`}, which nbformat forbids ` +
        `(e.g. '${first.from}' in cell ${plan.fixes[0].index + 1}). "Fix tags" writes one value per tag` +
        `${to ? ` (${to})` : ''} and saves the notebook.`,
    );
  }
  for (const { index, tag } of plan.unfixable) {
    lines.push(
      `Cell ${index + 1}: '${tag}' cannot be written without a comma; set that variable outside the notebook.`,
    );
  }
  return lines.join(' ');
}
