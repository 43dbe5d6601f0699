// A task's recorded outputs (core/notebook-outputs.ts) shown as a notebook shows a cell's: through
// JupyterLab's own renderers (the notebook's rendermime registry) when there is one, untrusted, so
// HTML is sanitized as in an untrusted notebook. Without one (a static page), text and images only.
import type { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import type { IRenderMime } from '@jupyterlab/rendermime-interfaces';
import type { JsonValue } from '../core/model';
import type { NotebookOutput } from '../core/notebook-outputs';
import { el } from './dom';

const STDOUT = 'application/vnd.jupyter.stdout';
const STDERR = 'application/vnd.jupyter.stderr';
const IMAGES = ['image/png', 'image/jpeg', 'image/gif'];

/** Renders outputs into `host`; the returned renderers are disposed by the caller when it clears. */
export function renderOutputs(
  host: HTMLElement,
  outputs: NotebookOutput[],
  rendermime?: IRenderMimeRegistry | null,
): IRenderMime.IRenderer[] {
  const renderers: IRenderMime.IRenderer[] = [];
  if (outputs.length === 0) {
    host.append(el('div', { className: 'cf-muted', text: 'No outputs.' }));
    return renderers;
  }
  for (const output of outputs) {
    const { data, label } = asMimeBundle(output);
    const item = el('div', {
      className: `cf-output jp-OutputArea-output cf-output-${output.output_type}`,
      dataset: { outputType: output.output_type, mime: label },
    });
    host.append(item);
    const mime = rendermime?.preferredMimeType(data, 'any');
    if (rendermime && mime) {
      const renderer = rendermime.createRenderer(mime);
      renderers.push(renderer);
      item.dataset.mime = mime;
      item.append(renderer.node);
      void renderer.renderModel(
        rendermime.createModel({
          data: data as IRenderMime.IMimeModel['data'],
          metadata:
            output.output_type === 'display_data'
              ? (output.metadata as IRenderMime.IMimeModel['metadata'])
              : {},
          trusted: false,
        }),
      );
    } else {
      item.append(plainRendering(data));
    }
  }
  return renderers;
}

/** Streams and errors become the MIME bundles JupyterLab's output area gives them. */
function asMimeBundle(output: NotebookOutput): { data: Record<string, JsonValue>; label: string } {
  switch (output.output_type) {
    case 'stream': {
      const mime = output.name === 'stderr' ? STDERR : STDOUT;
      return { data: { [mime]: output.text }, label: mime };
    }
    case 'error':
      return { data: { [STDERR]: output.traceback.join('\n') }, label: STDERR };
    default:
      return { data: output.data, label: Object.keys(output.data)[0] ?? '' };
  }
}

function plainRendering(data: Record<string, JsonValue>): HTMLElement {
  const image = IMAGES.find((mime) => typeof data[mime] === 'string');
  if (image) {
    return el('img', { attrs: { src: `data:${image};base64,${String(data[image])}`, alt: image } });
  }
  const text = [STDOUT, STDERR, 'text/plain'].find((mime) => typeof data[mime] === 'string');
  if (text) {
    return el('pre', { text: String(data[text]) });
  }
  return el('div', { className: 'cf-muted', text: `(${Object.keys(data).join(', ')} not shown here)` });
}
