// Loaded by JupyterLab (package.json `styleModule`) so the extension's CSS is bundled with it.
import './base.css';
