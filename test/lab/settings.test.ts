import { datastoreOption, DEFAULT_SETTINGS, readSettings } from '../../src/lab/settings';

test('settings from the registry, with defaults for anything missing or malformed', () => {
  expect(readSettings({})).toEqual(DEFAULT_SETTINGS);
  expect(readSettings({ datastore: ' /data/cf ', maxWorkers: 4, showBadges: false })).toEqual({
    datastore: '/data/cf',
    maxWorkers: 4,
    showBadges: false,
  });
  expect(readSettings({ datastore: 3, maxWorkers: 2.5, showBadges: 'no' })).toEqual(DEFAULT_SETTINGS);
  expect(readSettings({ maxWorkers: -1 }).maxWorkers).toBe(0);
});

test('the datastore goes into a request only when set', () => {
  expect(datastoreOption(DEFAULT_SETTINGS)).toEqual({});
  expect(datastoreOption({ ...DEFAULT_SETTINGS, datastore: '/d' })).toEqual({ datastore: '/d' });
});

test('the settings schema declares exactly these settings, the menu and the toolbar', () => {
  const schema = require('../../schema/lab/plugin.json');
  expect(Object.keys(schema.properties).sort()).toEqual(Object.keys(DEFAULT_SETTINGS).sort());
  for (const [key, value] of Object.entries(DEFAULT_SETTINGS)) {
    expect(schema.properties[key].default).toEqual(value);
  }
  const menu = schema['jupyter.lab.menus'].main[0];
  expect(menu.label).toBe('Cellflow');
  expect(
    menu.items.filter((i: { command?: string }) => i.command).map((i: { command: string }) => i.command),
  ).toEqual([
    'cellflow:make-step',
    'cellflow:edit-step',
    'cellflow:fix-tags',
    'cellflow:export',
    'cellflow:run-flow',
    'cellflow:stop-flow',
    'cellflow:resume-flow',
    'cellflow:open-panel',
    'cellflow:open-runs',
  ]);
});
