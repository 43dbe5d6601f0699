// The files `cellflow binder` adds to an exported commit: binder/ pinned to the run's Node major
// (repo2docker reads environment.yml, then runs postBuild), a reproduce script and notebook.

export interface BinderTemplate {
  flow: string;
  runId: string;
  nodeMajor: string;
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
    `# Written by \`cellflow binder\` for the run ${t.flow}/${t.runId}: Node.js pinned to the major`,
    '# version the run used; repo2docker installs this, then runs binder/postBuild.',
    'channels:',
    '  - conda-forge',
    'dependencies:',
    '  - python=3.12',
    `  - nodejs=${t.nodeMajor}`,
    '  - jupyterlab>=4.6,<5',
    '  - pip',
    '',
  ].join('\n');
}

/** The npm steps of postBuild (no conda needed): the run's locked packages, then cellflow on PATH. */
export function installNpmScript(t: BinderTemplate): string {
  const project = quote(t.projectDir);
  const cellflow = t.projectIsCellflow
    ? [
        '# The project is cellflow itself: npm ci builds it (prepare); put its command on PATH.',
        `(cd ${project} && npm ci --no-audit --no-fund)`,
        `npm install --global --no-audit --no-fund "$PWD/"${project}`,
      ]
    : [
        `(cd ${project} && npm ci --no-audit --no-fund)`,
        ...(t.cellflowSpec
          ? [
              '# cellflow: as `cellflow binder --cellflow-spec` named it.',
              `npm install --global --no-audit --no-fund ${quote(t.cellflowSpec)}`,
            ]
          : [
              '# cellflow: the copy the project locks (never a registry name the lockfile does not hold).',
              `npm install --global --no-audit --no-fund "$PWD/"${project}/node_modules/cellflow`,
            ]),
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
  return [
    '#!/bin/bash',
    `# Written by \`cellflow binder\` for the run ${t.flow}/${t.runId}: the locked npm packages,`,
    '# cellflow with its kernel, and its JupyterLab extension when that cellflow ships it prebuilt.',
    'set -e',
    'cd "$(dirname "$0")/.."',
    'bash binder/install-npm.sh',
    'cellflow kernel install --sys-prefix',
    ...(t.projectIsCellflow
      ? [
          '# The project is cellflow itself: build its JupyterLab extension and install it.',
          `(cd ${quote(t.projectDir)} && npm run build:labextension && python -m pip install --no-cache-dir .)`,
        ]
      : [
          'CELLFLOW_DIR="$(npm root --global)/cellflow"',
          'if [ -d "$CELLFLOW_DIR/cellflow_lab/labextension" ]; then',
          '  python -m pip install --no-cache-dir "$CELLFLOW_DIR"',
          'fi',
        ]),
    '',
  ].join('\n');
}

export function reproduceScript(t: BinderTemplate): string {
  return [
    '#!/bin/bash',
    `# Re-runs ${t.flow}/${t.runId} from its record and compares every artifact with the original:`,
    '# exit 0 when all are identical. Usage: ./reproduce.sh [CLEAN_DIR]',
    'set -e',
    'cd "$(dirname "$0")"',
    `export CELLFLOW_HOME="$PWD/${t.storeDir}"`,
    `exec cellflow reproduce ${quote(`${t.flow}/${t.runId}`)} --in "\${1:-$(mktemp -d)}"`,
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
