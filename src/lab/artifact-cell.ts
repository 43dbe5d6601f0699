// "Open in notebook" for an artifact: the code cell that loads it through the Client API in the
// notebook's kernel (`Task.get(pathspec).data(name)`, as README's Client API section shows). Pure.

/** Words a `const` cannot be named, for artifacts such as `self.default`. */
const RESERVED = new Set(
  'break case catch class const continue debugger default delete do else enum export extends false finally for function if import in instanceof new null return super switch this throw true try typeof var void while with yield let static implements interface package private protected public await'.split(
    ' ',
  ),
);

export function artifactVariable(name: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(name) && !RESERVED.has(name) ? name : 'artifact';
}

/**
 * The cell's source. `datastore` is the run browser's datastore setting: the Client API is pointed at
 * it first, or it would read the default one and not find the run.
 */
export function artifactCellSource(taskPathspec: string, name: string, datastore?: string): string {
  const variable = artifactVariable(name);
  const lines = [
    datastore ? "import { setDatastore, Task } from 'cellflow';" : "import { Task } from 'cellflow';",
    ...(datastore
      ? [`setDatastore(${JSON.stringify(datastore)}); // the run browser's datastore (settings)`]
      : []),
    `const ${variable} = await Task.get(${JSON.stringify(taskPathspec)}).data(${JSON.stringify(name)});`,
    variable,
  ];
  return lines.join('\n');
}

/** Tags of the inserted cell: `skip`, so the cell stays out of the flow (an untagged cell would join the step above it). */
export const ARTIFACT_CELL_TAGS = ['skip'];
