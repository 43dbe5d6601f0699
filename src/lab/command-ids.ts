// Command ids, shared by the commands, the menu and toolbar (schema/lab/plugin.json) and the panel.
export const CommandIds = {
  makeStep: 'cellflow:make-step',
  editStep: 'cellflow:edit-step',
  fixTags: 'cellflow:fix-tags',
  export: 'cellflow:export',
  runFlow: 'cellflow:run-flow',
  stopFlow: 'cellflow:stop-flow',
  resumeFlow: 'cellflow:resume-flow',
  openPanel: 'cellflow:open-panel',
  openRuns: 'cellflow:open-runs',
} as const;

export const PALETTE_CATEGORY = 'cellflow';
