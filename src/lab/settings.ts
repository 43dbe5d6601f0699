// The extension's settings (schema/lab/plugin.json), read into a plain object that widgets observe.
import type { ISettingRegistry } from '@jupyterlab/settingregistry';
import { Signal } from '@lumino/signaling';

export const PLUGIN_ID = 'cellflow:plugin';

export interface CellflowSettings {
  /** Datastore root for runs started and browsed from JupyterLab; empty: the kernel's default. */
  datastore: string;
  /** Tasks a run may run at once; 0: the runtime's default. */
  maxWorkers: number;
  showBadges: boolean;
}

export const DEFAULT_SETTINGS: CellflowSettings = { datastore: '', maxWorkers: 0, showBadges: true };

export function readSettings(composite: Partial<Record<keyof CellflowSettings, unknown>>): CellflowSettings {
  const datastore = typeof composite.datastore === 'string' ? composite.datastore.trim() : '';
  const workers = composite.maxWorkers;
  const maxWorkers = typeof workers === 'number' && Number.isInteger(workers) && workers > 0 ? workers : 0;
  const showBadges = typeof composite.showBadges === 'boolean' ? composite.showBadges : true;
  return { datastore, maxWorkers, showBadges };
}

/** The options of a comm request that reads or writes the datastore, per the settings. */
export function datastoreOption(settings: CellflowSettings): { datastore?: string } {
  return settings.datastore ? { datastore: settings.datastore } : {};
}

/** Current settings plus a signal, so widgets need not know about the setting registry. */
export class SettingsModel {
  private value: CellflowSettings = DEFAULT_SETTINGS;
  readonly changed = new Signal<SettingsModel, CellflowSettings>(this);

  get current(): CellflowSettings {
    return this.value;
  }

  /** Follows a loaded plugin's settings for as long as the page lives. */
  bind(settings: ISettingRegistry.ISettings): void {
    const update = () => {
      this.value = readSettings(settings.composite as Partial<Record<keyof CellflowSettings, unknown>>);
      this.changed.emit(this.value);
    };
    settings.changed.connect(update);
    update();
  }
}
