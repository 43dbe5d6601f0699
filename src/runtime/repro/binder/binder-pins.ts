// The versions `cellflow binder` pins in environment.yml besides Node: the JupyterLab and Python
// the extension and kernel are tested with (requirements-test.txt and the test virtualenv; a test
// checks both agree with these). Node is the run's own exact version.

export const TESTED_JUPYTERLAB = '4.6.6';
export const TESTED_PYTHON = '3.11.7';

export interface BinderPins {
  nodejs: string;
  python: string;
  jupyterlab: string;
  /** What a reader of the branch should know about the pins (e.g. what could not be checked). */
  notes: string[];
}

/**
 * conda-forge cannot be asked from where cellflow runs (it is not reachable from every machine, and
 * `binder` must work offline), so Node is pinned to the run's exact version, unchecked: when
 * conda-forge lacks that build, repo2docker's solve fails and names it; pin the nearest patch then.
 */
export function binderPins(recordedNode: string | undefined): BinderPins {
  const nodejs = (recordedNode ?? process.version).replace(/^v/, '');
  return {
    nodejs,
    python: TESTED_PYTHON,
    jupyterlab: TESTED_JUPYTERLAB,
    notes: [
      `nodejs=${nodejs} is the run's exact Node version; it was not checked against conda-forge when the branch was written (conda-forge was not consulted). If the Binder build cannot solve it, pin the nearest patch release of ${nodejs.split('.').slice(0, 2).join('.')} that conda-forge has.`,
      `python=${TESTED_PYTHON} and jupyterlab=${TESTED_JUPYTERLAB}: the versions cellflow's kernel and JupyterLab extension are tested with.`,
    ],
  };
}
