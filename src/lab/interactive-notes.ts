// Sentences for the flow panel saying where the notebook's interactive results are not what a flow
// run would give: stale steps and why, the one foreach element a body ran, partial joins. Pure.
import type { InteractiveStateResult } from '../core/protocol';

type StepState = InteractiveStateResult['steps'][number];

export interface InteractiveNote {
  kind: 'stale' | 'element' | 'partial' | 'not-taken';
  step: string;
  text: string;
}

export function interactiveNotes(steps: readonly StepState[]): InteractiveNote[] {
  const notes: InteractiveNote[] = [];
  for (const s of steps) {
    if (s.notTaken) {
      notes.push({
        kind: 'not-taken',
        step: s.step,
        text: `${s.step} was not taken: the switch at ${s.notTaken.switch} chose ${s.notTaken.taken} in its latest run.`,
      });
    }
    if (s.stale) {
      notes.push({
        kind: 'stale',
        step: s.step,
        text:
          s.reason === 'parameters'
            ? `${s.step} is stale: a parameter changed since it ran.`
            : `${s.step} is stale: an upstream step re-ran since it ran.`,
      });
    }
    if (s.element && s.element.count > 1) {
      notes.push({
        kind: 'element',
        step: s.step,
        text: `${s.step} ran element ${s.element.index + 1} of ${s.element.count} of the foreach at ${s.element.split} only.`,
      });
    }
    if (s.partial && s.partial.join === s.step) {
      notes.push({
        kind: 'partial',
        step: s.step,
        text: `${s.step} is partial: it joined ${s.partial.ran.length} of ${s.partial.count} elements; a flow run joins all ${s.partial.count}.`,
      });
    } else if (s.partial) {
      notes.push({
        kind: 'partial',
        step: s.step,
        text: `${s.step} is partial: it is built on ${s.partial.join}, which joined ${s.partial.ran.length} of ${s.partial.count} elements.`,
      });
    }
  }
  return notes;
}

/** The badge suffix of a step cell: `ran`, `stale`, `element 1/6`, `partial 1/6`. */
export function badgeNote(state: StepState | undefined): string | undefined {
  if (!state) {
    return undefined;
  }
  const parts = [state.stale ? 'stale' : 'ran'];
  if (state.element && state.element.count > 1) {
    parts.push(`element ${state.element.index + 1}/${state.element.count}`);
  }
  if (state.partial) {
    parts.push(`partial ${state.partial.ran.length}/${state.partial.count}`);
  }
  return parts.join(' · ');
}
