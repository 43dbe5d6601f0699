// The files `cellflow binder` adds to an exported commit: binder/ pinned exactly (repo2docker reads
// environment.yml, then runs postBuild), a reproduce script and notebook.
import type { BinderPins } from './binder-pins';

export interface BinderTemplate {
  flow: string;
  runId: string;
  pins: BinderPins;
  /** The project's directory in the repository ('.' for the root). */
  projectDir: string;
  /** The project is cellflow itself (this repository's examples): build it rather than install it. */
  projectIsCellflow: boolean;
  /** npm install spec for cellflow (--cellflow-spec); none: the copy the project locks. */
  cellflowSpec?: string;
  /** The datastore folder holding the run's records, relative to the repository root. */
  storeDir: string;
}

export const REPRODUCE_SCRIPT = 'reproduce.sh';
export const REPRODUCE_NOTEBOOK = 'reproduce.ipynb';

const quote = (text: string) => `'${text.replace(/'/g, `'\\''`)}'`;

export function environmentYml(t: BinderTemplate): string {
  return [
    `# Written by \`cellflow binder\` for the run ${t.flow}/${t.runId}; repo2docker installs this,`,
    "# then runs binder/postBuild. Node.js is the run's exact version (not checked against conda-forge",
    '# when written: see .cellflow-binder/binder.json); Python and JupyterLab are the versions the',
    '# cellflow kernel and extension are tested with.',
    'channels:',
    '  - conda-forge',
    'dependencies:',
    `  - python=${t.pins.python}`,
    `  - nodejs=${t.pins.nodejs}`,
    `  - jupyterlab=${t.pins.jupyterlab}`,
    '  - pip',
    '',
  ].join('\n');
}

/** The project's own cellflow, as installed by npm ci from the rewritten lockfile. */
function projectCellflow(t: BinderTemplate): string {
  return `"$PWD"/${quote(t.projectDir)}/node_modules/.bin/cellflow`;
}

/** Whether the branch runs the project's locked cellflow (not --cellflow-spec, not cellflow itself). */
const usesLockedCellflow = (t: BinderTemplate) => !t.projectIsCellflow && !t.cellflowSpec;

/**
 * The npm steps of postBuild (no conda needed): npm ci of the rewritten lockfile, which installs the
 * project's own cellflow; only --cellflow-spec and cellflow's own repository put one on PATH.
 */
export function installNpmScript(t: BinderTemplate): string {
  const project = quote(t.projectDir);
  const cellflow = t.projectIsCellflow
    ? [
        '# The project is cellflow itself: npm ci builds it (prepare); put its command on PATH.',
        `(cd ${project} && npm ci --no-audit --no-fund)`,
        `npm install --global --no-audit --no-fund "$PWD/"${project}`,
      ]
    : [
        '# Exactly the locked packages; unpublished ones (cellflow too, when it was installed from a',
        '# tarball or a folder) come from the stored tarballs under .cellflow-deps/.',
        `(cd ${project} && npm ci --no-audit --no-fund)`,
        ...(t.cellflowSpec
          ? [
              '# cellflow: as `cellflow binder --cellflow-spec` named it.',
              `npm install --global --no-audit --no-fund ${quote(t.cellflowSpec)}`,
            ]
          : []),
      ];
  return [
    '#!/bin/bash',
    `# Written by \`cellflow binder\` for the run ${t.flow}/${t.runId}.`,
    'set -e',
    'cd "$(dirname "$0")/.."',
    ...cellflow,
    '',
  ].join('\n');
}

export function postBuild(t: BinderTemplate): string {
  const cellflow = usesLockedCellflow(t) ? projectCellflow(t) : 'cellflow';
  const installed = usesLockedCellflow(t)
    ? `"$PWD"/${quote(t.projectDir)}/node_modules/cellflow`
    : '"$(npm root --global)/cellflow"';
  return [
    '#!/bin/bash',
    `# Written by \`cellflow binder\` for the run ${t.flow}/${t.runId}: the locked npm packages,`,
    "# the kernel of the project's cellflow, and its JupyterLab extension when that cellflow ships it",
    '# prebuilt (copied where `pip install` would put it: no build on Binder).',
    'set -e',
    'cd "$(dirname "$0")/.."',
    'bash binder/install-npm.sh',
    `${cellflow} kernel install --sys-prefix`,
    ...(t.projectIsCellflow
      ? [
          '# The project is cellflow itself: build its JupyterLab extension and install it.',
          `(cd ${quote(t.projectDir)} && npm run build:labextension && python -m pip install --no-cache-dir .)`,
        ]
      : [
          // The npm package ships it as one archive (scripts/pack-labextension.js).
          `LAB=${installed}/cellflow_lab/labextension.tar.gz`,
          'if [ -f "$LAB" ]; then',
          '  DEST="$(python -c \'import sys; print(sys.prefix)\')/share/jupyter/labextensions/cellflow"',
          '  mkdir -p "$DEST"',
          '  tar -xzf "$LAB" -C "$DEST"',
          'fi',
        ]),
    '',
  ].join('\n');
}

export function reproduceScript(t: BinderTemplate): string {
  const locked = usesLockedCellflow(t);
  return [
    '#!/bin/bash',
    `# Re-runs ${t.flow}/${t.runId} from its record and compares every artifact with the original:`,
    '# exit 0 when all are identical. Usage: ./reproduce.sh [CLEAN_DIR]',
    ...(locked
      ? [
          "# With the project's own cellflow, and the packages postBuild installed (the same lockfile):",
          '# nothing is installed a second time.',
        ]
      : []),
    'set -e',
    'cd "$(dirname "$0")"',
    `export CELLFLOW_HOME="$PWD/${t.storeDir}"`,
    `exec ${locked ? projectCellflow(t) : 'cellflow'} reproduce ${quote(`${t.flow}/${t.runId}`)} --in "\${1:-$(mktemp -d)}" --installed ${quote(t.projectDir)}`,
    '',
  ].join('\n');
}

export function reproduceNotebook(t: BinderTemplate, notebookPath: string): string {
  const notebook = {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: {
      kernelspec: { name: 'python3', display_name: 'Python 3', language: 'python' },
      language_info: { name: 'python' },
    },
    cells: [
      {
        cell_type: 'markdown',
        id: 'about',
        metadata: {},
        source: [
          `# Reproduce ${t.flow}/${t.runId}\n`,
          '\n',
          `This commit holds the run's exact sources (\`${notebookPath}\`), its lockfile and its record.\n`,
          'The cell below installs the locked packages in a clean directory, re-runs the flow with the\n',
          "recorded parameters and seed, and compares every artifact's sha256 with the original run.\n",
        ],
      },
      {
        cell_type: 'code',
        id: 'reproduce',
        metadata: {},
        execution_count: null,
        outputs: [],
        source: [`!bash ${REPRODUCE_SCRIPT}`],
      },
    ],
  };
  return JSON.stringify(notebook, null, 1) + '\n';
}
