// The task runner's side of data-input capture: open a read recording around the step, then turn it
// into the task record's `inputs` (data files, hashed and stored) and `sources` (project modules it
// loaded). Kept apart from task-runner.ts so the runner only brackets its step call.
import * as path from 'path';
import type { Datastore } from '../../datastore/datastore';
import type { DataInput } from '../../records';
import { captureInputs, projectRootOf } from './data-inputs';
import { cellflowRoot } from './package-version';
import { recordReads } from './read-recorder';
import { cacheEnabled } from '../../caches';

export interface TaskInputs {
  inputs: DataInput[];
  sources: string[];
}

const isInside = (file: string, dir: string) => {
  const relative = path.relative(dir, file);
  return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative));
};

/** Starts recording; the returned function stops it and describes what the step read. */
export function startInputCapture(datastore: Datastore, moduleFilename: string): () => Promise<TaskInputs> {
  const stop = recordReads();
  return async () => {
    const log = stop();
    const projectRoot = projectRootOf(path.dirname(moduleFilename));
    let ownRoot: string | undefined;
    try {
      ownRoot = cellflowRoot();
    } catch {
      ownRoot = undefined;
    }
    // cellflow's own files are not data, unless the project is cellflow itself (its examples).
    const excluded = [
      ...(datastore.isLocal ? [datastore.root] : []),
      datastore.cacheDir,
      ...(ownRoot && !isInside(projectRoot, ownRoot) ? [ownRoot] : []),
    ];
    return captureInputs(log, {
      objects: datastore.objects,
      cacheDir: cacheEnabled('inputs') ? path.join(datastore.cacheDir, 'inputs') : undefined,
      projectRoot,
      excluded,
      modules: new Set(Object.keys(require.cache)),
    });
  };
}
