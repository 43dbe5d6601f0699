"""cellflow's JupyterLab extension, packaged for pip: the prebuilt labextension and nothing else."""


def _jupyter_labextension_paths():
    # Where JupyterLab finds the prebuilt extension inside this package (used by
    # `jupyter labextension develop` and by tools that inspect installed packages).
    return [{"src": "labextension", "dest": "cellflow"}]
