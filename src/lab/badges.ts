// Badges on cells: a step cell shows its step's name (and whether it has fresh or stale interactive
// results), the code cells that continue a step show which step they belong to, and parameters and
// skipped cells say so. Derived from the session's analysis, so they match the flow panel.
import type { Cell } from '@jupyterlab/cells';
import type { InteractiveMark } from './dag-view';
import { el } from './dom';
import { badgeNote } from './interactive-notes';
import type { FlowAnalysis } from './analysis';
import type { FlowSession } from './flow-session';
import type { SettingsModel } from './settings';

const BADGE_CLASS = 'cf-cell-badge';
const HOST_CLASS = 'cf-has-badge';

export interface CellBadge {
  text: string;
  role: 'step' | 'continues' | 'parameters' | 'skip';
  step?: string;
}

/** Cell id → badge, from an analysis. */
export function badgesOf(analysis: FlowAnalysis | null): Map<string, CellBadge> {
  const badges = new Map<string, CellBadge>();
  const flow = analysis?.flow;
  if (!flow) {
    return badges;
  }
  for (const step of flow.steps) {
    for (const chunk of step.code) {
      if (chunk.cell.id === step.cell.id) {
        continue;
      }
      badges.set(chunk.cell.id, { text: `↳ ${step.name}`, role: 'continues', step: step.name });
    }
    badges.set(step.cell.id, { text: `step ${step.name}`, role: 'step', step: step.name });
  }
  for (const parameter of flow.parameters) {
    badges.set(parameter.cell.id, { text: 'parameters', role: 'parameters' });
  }
  for (const cell of flow.skipped) {
    badges.set(cell.id, { text: 'skip', role: 'skip' });
  }
  return badges;
}

/** Keeps the badges of one notebook in step with its session and the `showBadges` setting. */
export class StepBadges {
  private readonly session: FlowSession;
  private readonly settings: SettingsModel;

  constructor(session: FlowSession, settings: SettingsModel) {
    this.session = session;
    this.settings = settings;
    session.changed.connect(this.update, this);
    settings.changed.connect(this.update, this);
    session.panel.disposed.connect(() => settings.changed.disconnect(this.update, this));
    this.update();
  }

  update(): void {
    const show = this.settings.current.showBadges;
    const badges = show ? badgesOf(this.session.analysis) : new Map<string, CellBadge>();
    const marks = this.session.interactive;
    const details = this.session.interactiveDetails;
    for (const cell of this.session.panel.content.widgets) {
      const badge = badges.get(cell.model.id);
      const step = badge?.role === 'step' ? badge.step : undefined;
      renderBadge(cell, badge, step ? marks[step] : undefined, step ? badgeNote(details[step]) : undefined);
    }
  }
}

/** What a step's badge adds for its interactive state. */
const MARK_TEXT: Record<InteractiveMark, string> = {
  fresh: 'ran',
  stale: 'stale',
  skipped: 'not taken',
};

function renderBadge(
  cell: Cell,
  badge: CellBadge | undefined,
  mark: InteractiveMark | undefined,
  note: string | undefined,
): void {
  let node = cell.node.querySelector<HTMLElement>(`:scope > .${BADGE_CLASS}`);
  if (!badge) {
    node?.remove();
    cell.removeClass(HOST_CLASS);
    return;
  }
  if (!node) {
    node = el('div', { className: BADGE_CLASS });
    cell.node.appendChild(node);
    cell.addClass(HOST_CLASS);
  }
  node.textContent = mark ? `${badge.text} · ${note ?? MARK_TEXT[mark]}` : badge.text;
  node.title =
    mark === 'stale'
      ? 'A parameter changed or an upstream step re-ran since this step ran: run it again for current results.'
      : mark === 'fresh'
        ? 'This step has interactive results in the kernel.'
        : badge.text;
  node.className = `${BADGE_CLASS} cf-badge-${badge.role}${mark ? ` cf-interactive-${mark}` : ''}`;
  if (badge.step) {
    node.dataset.step = badge.step;
  } else {
    delete node.dataset.step;
  }
  node.dataset.role = badge.role;
}
